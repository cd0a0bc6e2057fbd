"""The browser path (scrapy-playwright + Chromium) against the offline storefront, each crawl in its own
process: the same small watchlist read over plain HTTP, in the browser, and `auto`; the browser reads
what only scripts render (offers panel rows in the product page, list cards 31-50, us-chair's deal
badge), carries the delivery postcode in its context and goes through the configured proxy; `auto`
gets the same fields while using the browser only for the pages that need it. Evidence screenshots."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.storefront import Storefront, catalog
from tests.test_politeness import ROOT, CountingProxy, crawl, watchlist

pytestmark = pytest.mark.requires_browser

TRUTH = catalog.load("day1")
FAR = catalog.load("day1", "96001")  # what the storefront shows for that postcode
BOTTLE, CHAIR, FILTER = TRUTH.by_key("us-bottle"), TRUTH.by_key("us-chair"), TRUTH.by_key("us-filter")
LIST = ("/gp/bestsellers/kitchen", "us")
LIST_TRUTH = TRUTH.list("bestsellers", "kitchen")


@pytest.fixture(scope="module")
def runs(chromium: str, storefront: Storefront, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One crawl per fetch mode of the same watchlist (postcode 96001); the browser run goes through a proxy."""
    tmp = tmp_path_factory.mktemp("modes")
    proxy = CountingProxy()
    toml = watchlist([BOTTLE, CHAIR, FILTER], lists=[LIST], postcodes={"us": "96001"}, concurrency=2,
                     proxies_env="TEST_BROWSER_PROXIES")
    out: dict[str, Any] = {"proxy": proxy}
    stores: list[Any] = []
    try:
        for mode in ("http", "browser", "auto"):
            start = len(storefront.request_log)
            env = {"TEST_BROWSER_PROXIES": proxy.url if mode == "browser" else ""}
            summary, store, _ = crawl(tmp, storefront.url, toml, "--fetch", mode, env=env, name=mode,
                                      closer=stores.append)
            out[mode] = (summary, store, [p for _, p, _, _ in storefront.request_log[start:]])
    finally:
        proxy.close()
    yield out
    for store in stores:
        store.db.close()


def product(store: Any, t: Any) -> Any:
    return store.product_history(t.asin, "us")[-1]


def list_page(store: Any) -> Any:
    return store.list_history(LIST[0], "us")[-1].record


@pytest.mark.stores_data
def test_http_marks_what_only_scripts_render_as_missing(runs: dict[str, Any]) -> None:
    summary, store, asked = runs["http"]
    assert summary["counts"]["browser_pages"] == 0
    assert product(store, CHAIR).deal_badge is None
    untitled = [e.rank for e in list_page(store).entries if e.title is None]
    assert untitled == list(range(31, 51))
    # the offers panel came from a request of the crawler's own
    assert f"/gp/aod/ajax?asin={BOTTLE.asin}" in asked


@pytest.mark.stores_data
@pytest.mark.parametrize("mode", ["browser", "auto"])
def test_browser_reads_the_script_rendered_fields(runs: dict[str, Any], mode: str) -> None:
    summary, store, _ = runs[mode]
    assert summary["status"] == "complete"
    assert product(store, CHAIR).deal_badge == CHAIR.deal == "Limited time deal"
    entries = list_page(store).entries
    expected = [(rank, asin, TRUTH.card(asin, "us").title) for rank, asin in enumerate(LIST_TRUTH.entries[:50], 1)]
    assert [(e.rank, e.asin, e.title) for e in entries] == expected
    bottle = product(store, BOTTLE)
    assert sorted(o.seller_id for o in bottle.offers) == sorted(o.seller_id for o in BOTTLE.offers)
    # the delivery postcode reached every page, in the browser's context too
    assert str(product(store, FILTER).price.amount) == FAR.products[FILTER.asin].price != FILTER.price


@pytest.mark.stores_data
def test_browser_mode_reads_every_page_in_the_browser_through_the_proxy(runs: dict[str, Any]) -> None:
    summary, _, asked = runs["browser"]
    assert summary["counts"]["browser_pages"] == summary["counts"]["pages_expected"] == 4
    # the panel rows came from the product page itself: the page's own loader asked (pc=dp), not the crawler
    assert f"/gp/aod/ajax?asin={BOTTLE.asin}" not in asked
    assert f"/gp/aod/ajax?asin={BOTTLE.asin}&pc=dp" in asked
    via_proxy = runs["proxy"].requests
    assert any(f"/dp/{BOTTLE.asin}" in r for r in via_proxy) and any("/gp/bestsellers/kitchen" in r for r in via_proxy)


@pytest.mark.stores_data
def test_auto_uses_the_browser_only_where_needed(runs: dict[str, Any]) -> None:
    summary, _, _ = runs["auto"]
    c = summary["counts"]
    # us-chair (deal badge) and the list (cards 31-50) move; us-bottle and us-filter stay on plain HTTP
    assert 0 < c["browser_pages"] < c["pages_expected"]
    assert c["moved_to_browser"] == {"product": 1, "list": 1}


def test_check_screenshot_keeps_a_png_and_names_it_in_the_json(chromium: str, storefront: Storefront,
                                                               tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "from crawler.cli import entry; entry()", "check", CHAIR.asin,
           "--base-url", storefront.url, "--screenshot", "--json", "--no-save"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "STOREWATCH_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    shot = Path(out["screenshot"])
    assert shot.parent == tmp_path / "screenshots" and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out["deal_badge"] == CHAIR.deal  # read in the browser, so the script-rendered badge is there
    plain = subprocess.run(cmd[:-3] + ["--json", "--no-save"], check=False, capture_output=True, text=True, cwd=ROOT,
                           timeout=60, env={**os.environ, "STOREWATCH_HOME": str(tmp_path)})
    assert "screenshot" not in json.loads(plain.stdout)  # the documented key set, unless asked


def test_take_screenshots_returns_a_png_per_loaded_url(chromium: str, storefront: Storefront,
                                                       tmp_path: Path) -> None:
    from crawler.screenshots import take_screenshots

    urls = [f"{storefront.url}/dp/{BOTTLE.asin}", "http://127.0.0.1:9/unreachable"]
    taken = take_screenshots(urls, directory=tmp_path)
    assert list(taken) == urls[:1]
    assert Path(taken[urls[0]]).read_bytes()[:4] == b"\x89PNG"
