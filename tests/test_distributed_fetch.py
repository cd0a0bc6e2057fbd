"""Distributed workers fetch as a one-process crawl does: the run's delivery postcode per marketplace
(the address change, once per run and marketplace on each worker, forgotten when the next run wants
another location) and each target's fetch mode (browser pages in Chromium, `auto` moving the pages that
need it). Real workers, real Redis, real PostgreSQL, the real storefront."""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.records import Outcome
from fixtures.storefront import Storefront, catalog
from tests.workers import finish, products, start_coordinator, start_worker, targets

TRUTH = catalog.load("day1")
FAR = catalog.load("day1", "96001")  # what the storefront shows for that delivery postcode
BOTTLE, CHAIR, FILTER = TRUTH.by_key("us-bottle"), TRUTH.by_key("us-chair"), TRUTH.by_key("us-filter")
DE_PRODUCT = next(p for p in TRUTH.products.values() if p.marketplace == "de")
LIST = ("/gp/bestsellers/kitchen", "us")
LIST_TRUTH = TRUTH.list("bestsellers", "kitchen")
POLITE_ENOUGH = "[politeness]\ndelay_seconds = 0\njitter = 0\nautothrottle = false\nretries = 0\n"


def watchlist(products: list[tuple[Any, str | None]], *, postcode: str | None = None, us_fetch: str = "http",
              lists: tuple[tuple[str, str], ...] = ()) -> str:
    """(product, its own fetch mode or None) pairs; `postcode` and `us_fetch` for the us marketplace."""
    out = ['name = "distributed-fetch"']
    for p, fetch in products:
        out.append(f'[[products]]\nasin = "{p.asin}"\nmarketplace = "{p.marketplace}"'
                   + (f'\nfetch = "{fetch}"' if fetch else ""))
    for path, market in lists:
        out.append(f'[[lists]]\npath = "{path}"\nmarketplace = "{market}"')
    out.append(f'[marketplaces.us]\nfetch = "{us_fetch}"' + (f'\npostcode = "{postcode}"' if postcode else ""))
    out.append("[marketplaces.de]")
    return "\n".join(out) + "\n" + POLITE_ENOUGH


def run(tmp_path: Path, storefront: Storefront, db: str, toml: str, name: str, timeout: float = 120) -> dict:
    """One distributed run of `toml` (the workers are already up); its summary."""
    config = tmp_path / f"{name}.toml"
    config.write_text(toml, encoding="utf-8")
    code, out, err = finish(start_coordinator(config, db, storefront.url, tmp_path), timeout)
    assert code == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["status"] == "complete", summary
    return summary


def address_changes(storefront: Storefront, since: int) -> int:
    return sum(1 for method, path, _, _ in storefront.request_log[since:]
               if method == "POST" and "address-change" in path)


def test_workers_set_the_runs_postcode_then_forget_it_and_refuse_browser_pages_without_a_browser(storefront_reset: Storefront, redis_url,
                                                                      pg_db_url, tmp_path: Path) -> None:
    home_price, far_price = FILTER.price, FAR.products[FILTER.asin].price
    assert home_price != far_price  # the page really depends on the postcode
    workers = [start_worker(f"w{i}", pg_db_url, tmp_path) for i in (1, 2)]
    try:
        pages = [(FILTER, None), (BOTTLE, None), (CHAIR, None), (DE_PRODUCT, None)]
        before = len(storefront_reset.request_log)
        far = run(tmp_path, storefront_reset, pg_db_url, watchlist(pages, postcode="96001"), "far")
        # each worker that read a us page set the postcode first, once for the run; de has none
        assert 1 <= address_changes(storefront_reset, before) <= 2
        assert str(products(pg_db_url, far["run_id"])[FILTER.asin].price.amount) == far_price

        before = len(storefront_reset.request_log)
        # no postcode this time, and the chair in the browser, which these workers do not have
        home = run(tmp_path, storefront_reset, pg_db_url, watchlist([*pages[:2], (CHAIR, "browser"), pages[3]]),
                   "home")
        assert address_changes(storefront_reset, before) == 0
        # the same long-running workers: the previous run's location is gone from their cookie jars
        stored = products(pg_db_url, home["run_id"])
        assert str(stored[FILTER.asin].price.amount) == home_price
        assert {a: p.outcome for a, p in stored.items() if a != CHAIR.asin} == {
            p.asin: Outcome.OK for p, _ in pages if p is not CHAIR}
        # a browser page on a worker without a browser: claimed, then an outcome naming the fix
        chair = next(r for r in targets(pg_db_url, home["run_id"]) if r.key == CHAIR.asin)
        assert chair.outcome == "http_error" and "has no browser" in chair.reason and "apt-get install" in chair.reason
    finally:
        from crawler.distributed import request_stop

        request_stop(redis_url)
        for w in workers:
            assert finish(w, 60)[0] == 0


@pytest.mark.requires_browser
def test_workers_read_script_rendered_fields_in_the_browser_with_the_postcode(
        storefront: Storefront, redis_url, pg_db_url, tmp_path: Path) -> None:
    from crawler.browser import BrowserNotFound, find_browser

    try:
        find_browser()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    # chair and filter in the browser (deal badge drawn by script; the postcode in the browser's
    # context); the list on `auto` (cards 31-50 need scripts: it moves); the bottle on `auto` stays on
    # plain HTTP with its offers panel
    toml = watchlist([(CHAIR, "browser"), (FILTER, "browser"), (BOTTLE, None)], postcode="96001",
                     us_fetch="auto", lists=(LIST,))
    worker = start_worker("chromium", pg_db_url, tmp_path, "--max-idle-seconds", "3", browser=True)
    before = len(storefront.request_log)
    summary = run(tmp_path, storefront, pg_db_url, toml, "browser", timeout=240)
    _, err = worker.communicate(timeout=90)
    assert worker.returncode == 0, err[-3000:]
    # chair and filter in the browser from the start, the list moved there by auto; the bottle not
    assert summary["counts"]["browser_pages"] == 3 and summary["counts"]["moved_to_browser"] == {"list": 1}
    stored = products(pg_db_url, summary["run_id"])
    assert stored[CHAIR.asin].deal_badge == CHAIR.deal == "Limited time deal"
    assert str(stored[FILTER.asin].price.amount) == FAR.products[FILTER.asin].price != FILTER.price
    assert sorted(o.seller_id for o in stored[BOTTLE.asin].offers) == sorted(o.seller_id for o in BOTTLE.offers)
    from crawler.db import open_database
    from crawler.store import Store

    with open_database(pg_db_url) as db:
        [page] = [f.record for f in Store(db).list_history(LIST[0], "us") if f.run_id == summary["run_id"]]
    expected = [(rank, asin, TRUTH.card(asin, "us").title) for rank, asin in enumerate(LIST_TRUTH.entries[:50], 1)]
    assert [(e.rank, e.asin, e.title) for e in page.entries] == expected
    asked = [path for _, path, _, _ in storefront.request_log[before:]]
    # the bottle stayed on plain HTTP: its offers panel was the crawler's own request
    assert f"/gp/aod/ajax?asin={BOTTLE.asin}" in asked
    assert address_changes(storefront, before) == 1


def test_a_long_running_worker_counts_robot_checks_per_run_with_the_runs_cap_and_retries(
        storefront_reset: Storefront, redis_url, pg_db_url, tmp_path: Path) -> None:
    from tests.test_politeness import CountingProxy

    us = [p for p in TRUTH.products.values() if p.marketplace == "us"][:4]
    # the worker machine's own proxies, from its environment, with credentials
    proxy = CountingProxy("agent", "s3cret-proxy-pass")
    worker = start_worker("long", pg_db_url, tmp_path, "--proxies-env", "SW_WORKER_PROXIES",
                          environ={"SW_WORKER_PROXIES": proxy.url})
    try:
        # every us product page is a robot check. The watchlist says no retries and a cap of 3 (the
        # worker's own defaults, 2 retries and a cap of 10, would ask 10 times): 3 pages asked once
        # each, then us stops for the run and the 4th page is never asked.
        storefront_reset.set_failures(",".join(f"robot=1:path=/dp/{p.asin}" for p in us))
        before = len(storefront_reset.request_log)
        strict = watchlist([(p, None) for p in us]) + "max_robot_checks = 3\n"
        blocked = run(tmp_path, storefront_reset, pg_db_url, strict, "blocked")
        assert {r.outcome for r in targets(pg_db_url, blocked["run_id"])} == {"blocked"}
        asked = [path for _, path, _, _ in storefront_reset.request_log[before:] if path.startswith("/dp/")]
        assert len(asked) == 3 and len(set(asked)) == 3, asked
        storefront_reset.set_failures(None)
        # the next run starts with a fresh count, as a new crawl process would
        again = run(tmp_path, storefront_reset, pg_db_url, watchlist([(p, None) for p in us]), "again")
        assert {r.outcome for r in targets(pg_db_url, again["run_id"])} == {"ok"}
        via_proxy = {urlsplit(r).path for r in proxy.requests}
        assert {f"/dp/{p.asin}" for p in us} <= via_proxy and proxy.auth_seen and None not in proxy.auth_seen
    finally:
        from crawler.distributed import request_stop

        request_stop(redis_url)
        code, _, err = finish(worker, 60)
        proxy.close()
        assert code == 0
        assert "s3cret-proxy-pass" not in err


def test_workers_wait_the_watchlists_delay_when_it_is_longer_than_their_own(
        redis_url, pg_db_url, tmp_path: Path) -> None:
    from tests.test_politeness import TimedStorefront

    us = [p for p in TRUTH.products.values() if p.marketplace == "us"][:4]
    slow = watchlist([(p, None) for p in us]).replace("delay_seconds = 0\njitter = 0",
                                                        "delay_seconds = 0.6\njitter = 0")
    worker = start_worker("patient", pg_db_url, tmp_path)  # its own --delay is 0
    try:
        with TimedStorefront() as sf:
            run(tmp_path, sf, pg_db_url, slow, "slow")
            starts = sorted(a for a, _, path in sf.timing if path.startswith("/dp/"))
        assert len(starts) == 4, starts
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= 0.55, gaps  # the watchlist's 0.6 s, not the worker's 0
    finally:
        from crawler.distributed import request_stop

        request_stop(redis_url)
        assert finish(worker, 60)[0] == 0
