"""Distributed crawls: `crawl --distributed` seeds Redis and tends the run in PostgreSQL, `worker`
processes fetch. Real Redis, real PostgreSQL, real storefront, every process its own."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.records import Outcome, ProductSnapshot
from tests.workers import (
    REDIS_URL,
    ROOT,
    env,
    finish,
    products,
    running_workers,
    start_coordinator,
    start_worker,
    targets,
    wait_for_workers,
)

WATCHLIST = """
name = "distributed"
products = [
  { asin = "B0NB4SPGE0", marketplace = "us", own = true },
  { asin = "B0BTCPSXTQ", marketplace = "us", own = true },
  { asin = "B03RLSBH60", marketplace = "us", own = true },
  { asin = "B0B8H4KD6C", marketplace = "us", own = true },
  { asin = "B08KQZPK3D", marketplace = "uk", own = true },
  { asin = "B08I2FS3VE", marketplace = "uk", own = true },
  { asin = "B0DBDI2NS6", marketplace = "de", own = true },
  { asin = "B05BYU1XM0", marketplace = "de", own = true },
  { asin = "B01YHCC47I", marketplace = "jp", own = true },
  { asin = "B0TK69NDEX", marketplace = "jp", own = true },
]
keywords = [{ term = "yoga mat", marketplace = "us", pages = 2, track = ["B0BTCPSXTQ"] }]
lists = [{ path = "/gp/bestsellers/drugstore", marketplace = "de", pages = 2 }]

[marketplaces.us]
own_seller_ids = ["A2NPK0UTF1TTRS"]
[marketplaces.uk]
own_seller_ids = ["A1UKN0RTHPK005"]
[marketplaces.de]
own_seller_ids = ["A2KCHWRKGMBH01"]
[marketplaces.jp]
own_seller_ids = ["A2HNTJPSH0P003"]

[politeness]
delay_seconds = 0
jitter = 0
autothrottle = false
retries = 0
"""
PAGES = 10 + 2 + 2


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def test_two_workers_store_the_same_data_as_one_process_crawl(storefront, redis_url, pg_db_url, config,
                                                                tmp_path: Path) -> None:
    import json

    workers = [start_worker(f"w{i}", pg_db_url, tmp_path, "--max-idle-seconds", "2") for i in (1, 2)]
    code, out, err = finish(start_coordinator(config, pg_db_url, storefront.url, tmp_path))
    assert code == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["status"] == "complete"
    assert summary["counts"]["pages"] == summary["counts"]["pages_expected"] == PAGES
    rows = targets(pg_db_url, summary["run_id"])
    assert len(rows) == PAGES and all(r.outcome == "ok" for r in rows)
    assert {r.claimed_by for r in rows} <= {"w1", "w2"}
    for w in workers:  # idle workers exit by themselves with --max-idle-seconds
        assert finish(w, 30)[0] == 0

    # The same watchlist crawled in one process, into SQLite: the stored products are equal.
    single_db = f"sqlite:///{tmp_path / 'single.db'}"
    proc = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "crawl", "--config",
                           str(config), "--base-url", storefront.url, "--db", single_db, "--json"],
                          cwd=ROOT, env=env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    single = products(single_db, json.loads(proc.stdout)["run_id"])
    dist = products(pg_db_url, summary["run_id"])
    assert dist.keys() == single.keys() and len(dist) == 10
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    for asin, snap in single.items():
        assert replace(snap, fetched_at=epoch) == replace(dist[asin], fetched_at=epoch), asin


def test_a_worker_killed_mid_run_loses_no_target(storefront_reset, redis_url, pg_db_url, config,
                                                  tmp_path: Path) -> None:
    import json

    storefront_reset.set_failures("slow=1:ms=700")  # every page takes 0.7 s: the kill lands mid-page
    doomed = start_worker("doomed", pg_db_url, tmp_path)
    coordinator = start_coordinator(config, pg_db_url, storefront_reset.url, tmp_path, lease=2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the doomed worker holds some targets
        rows = targets(pg_db_url, 1) if _run_exists(pg_db_url) else []
        if sum(r.claimed_by == "doomed" and r.outcome is None for r in rows) >= 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the first worker never claimed a target")
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate()
    storefront_reset.set_failures(None)
    survivor = start_worker("survivor", pg_db_url, tmp_path, "--max-idle-seconds", "2")
    code, out, err = finish(coordinator, 90)
    assert code == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["status"] == "complete", summary
    rows = targets(pg_db_url, summary["run_id"])
    assert len(rows) == PAGES and all(r.outcome == "ok" for r in rows)
    requeued = [r for r in rows if r.attempts > 1 and r.claimed_by == "survivor"]
    assert requeued, "the killed worker's targets were never queued again"
    assert all(r.claimed_by in ("doomed", "survivor") for r in rows)
    assert len(products(pg_db_url, summary["run_id"])) == 10  # one snapshot each, none twice
    assert finish(survivor, 30)[0] == 0


def _run_exists(db: str) -> bool:
    from crawler.db import open_database
    from crawler.store import Store

    with open_database(db) as database:
        return bool(Store(database).runs(1))


def test_workers_stop_on_the_stop_key_and_on_sigterm(redis_url, pg_db_url, tmp_path: Path) -> None:
    from crawler.distributed import request_stop

    # "a" with its browser: a worker running a Playwright driver stops as cleanly
    first, second = start_worker("a", pg_db_url, tmp_path, browser=True), start_worker("b", pg_db_url, tmp_path)
    wait_for_workers({"a", "b"})
    request_stop(REDIS_URL)
    assert finish(first, 30)[0] == 0
    assert finish(second, 30)[0] == 0
    assert running_workers() == set()  # they signed off
    late = start_worker("late", pg_db_url, tmp_path)  # a stop asked earlier does not stop a new worker
    wait_for_workers({"late"})
    time.sleep(2)
    assert late.poll() is None
    late.send_signal(signal.SIGTERM)
    assert finish(late, 30)[0] == 0


# -- the claim protocol, on the database alone (both backends) ----------------------------------------


def test_first_answer_wins_and_expired_claims_are_handed_out_again(test_db_url: str) -> None:
    from datetime import timedelta

    from crawler.db import open_database
    from crawler.store import Store

    clock = [datetime(2026, 3, 1, 2, 0, tzinfo=UTC)]
    with open_database(test_db_url) as database:
        store = Store(database, clock=lambda: clock[0])
        run = store.start_run("crawl", ["us"])
        a, b = store.add_pending_targets(run, [
            {"kind": "product", "marketplace": "us", "key": "B000000001", "page": 0, "url": "http://x/dp/B000000001"},
            {"kind": "product", "marketplace": "us", "key": "B000000002", "page": 0, "url": "http://x/dp/B000000002"},
        ])
        assert store.claim_target(a, "w1")
        clock[0] += timedelta(minutes=10)
        assert store.requeue_target(a)  # w1 went quiet: handed out again
        assert store.claim_target(a, "w2")
        snap = ProductSnapshot(asin="B000000001", marketplace="us", url="http://x/dp/B000000001",
                               outcome=Outcome.OK, title="Bottle", fetched_at=clock[0])
        assert store.requeue_target(a)  # w2 is slow too: queued again while it fetches
        assert store.complete_target(a, "product", snap, None, snap.fetched_at, "w2")
        late = replace(snap, title="Bottle (late copy)")
        assert not store.complete_target(a, "product", late, None, snap.fetched_at, "w1")  # w1 woke up: ignored
        assert not store.claim_target(a, "w3")  # done: nobody fetches it again
        assert store.give_up_target(b, "gave up")
        assert store.pending_targets(run) == []
        stored = {p.asin: p for p in store.run_products(run)}
        assert stored["B000000001"].title == "Bottle" and stored["B000000002"].outcome == Outcome.HTTP_ERROR
        outcomes = {t.key: (t.outcome, t.reason) for t in store.run_targets(run)}
        assert {r.id: r.claimed_by for r in targets(test_db_url, run)}[a] == "w2"  # who fetched it
        assert outcomes == {"B000000001": (Outcome.OK, None), "B000000002": (Outcome.HTTP_ERROR, "gave up")}


def test_a_run_left_running_by_a_dead_process_is_marked_incomplete(test_db_url: str) -> None:
    from crawler.db import open_database
    from crawler.recovery import begin_run, owner
    from crawler.store import Store

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with open_database(test_db_url) as database:
        store = Store(database)
        orphan = store.start_run("crawl", ["us"])
        store.set_run_counts(orphan, {"owner": {**owner(), "pid": dead.pid, "pid_started": "1"}})
        mine = begin_run(store, "crawl", ["us"])  # this process is alive: its run is left alone
        newer = begin_run(store, "crawl", ["us"])
        assert store.run(orphan).status == "incomplete"
        assert store.run(mine).status == "running" and store.run(newer).status == "running"


def test_a_new_coordinator_finishes_a_run_whose_coordinator_and_queue_were_lost(
        storefront, redis_url, pg_db_url, config, tmp_path: Path) -> None:
    from crawler.config import load_config
    from crawler.distributed import Coordinator, clear_queue, wait_for_run
    from crawler.session import storage
    from crawler.targets import build_targets

    with storage(pg_db_url) as s:
        run_id = s.store.start_run("crawl", ["us", "uk", "de", "jp"])
        Coordinator(REDIS_URL, pg_db_url).seed(s.store, run_id, build_targets(load_config(config), storefront.url))
    clear_queue(REDIS_URL)  # the coordinator died and Redis was flushed: only the database knows the run
    worker = start_worker("w", pg_db_url, tmp_path, "--max-idle-seconds", "3")
    summary = wait_for_run(run_id, redis_url=REDIS_URL, db_url=pg_db_url, lease=1, timeout=60)
    assert summary["status"] == "complete" and summary["counts"]["pages"] == PAGES
    rows = targets(pg_db_url, run_id)
    assert all(r.outcome == "ok" and r.attempts >= 2 and r.claimed_by == "w" for r in rows)
    assert finish(worker, 30)[0] == 0
