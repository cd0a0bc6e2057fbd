"""The crawl's item pipeline: pages are stored in batches (by count, by time, at close), evidence is kept
as each page arrives, and one bad record costs only itself. Crawls through it are in test_crawl_watchlist
and test_faults (kill -9); here the pipeline runs inside an asyncio loop, as Scrapy runs it."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.db import open_database
from crawler.pipelines import StorePipeline
from crawler.records import Outcome, ProductSnapshot, SearchPage
from crawler.store import Store
from spiders.base import now


@pytest.fixture
def db(test_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("STOREWATCH_HOME", str(tmp_path / "home"))
    with open_database(test_db_url) as database:
        Store(database).start_run("crawl", ["us"])
    yield test_db_url


def pipeline(db: str, pages: int, seconds: float = 60.0) -> StorePipeline:
    crawler = get_crawler(settings_dict={"STOREWATCH_RUN_ID": 1, "STOREWATCH_DB": db,
                                         "STOREWATCH_BATCH_PAGES": pages, "STOREWATCH_BATCH_SECONDS": seconds})
    crawler.stats.open_spider()
    return StorePipeline.from_crawler(crawler)


def product(asin: str, outcome: Outcome = Outcome.OK) -> dict[str, Any]:
    snap = ProductSnapshot(asin=asin, marketplace="us", url=f"http://127.0.0.1/dp/{asin}", outcome=outcome,
                           title=f"Kettle {asin}", fetched_at=now())
    return {"kind": "product", "key": f"us:{asin}", "record": snap, "body": b"<html>" + asin.encode()}


def stored(db: str) -> list[str]:
    with open_database(db) as database:
        return [t.key for t in Store(database).run_targets(1)]


def test_pages_are_stored_per_batch_and_the_rest_at_close(db: str) -> None:
    async def crawl() -> None:
        pipe = pipeline(db, pages=3)
        pipe.open_spider()
        items = [pipe.process_item(product(f"B00BATCH0{n}")) for n in range(1, 6)]
        assert stored(db) == ["B00BATCH01", "B00BATCH02", "B00BATCH03"]  # a full batch, in order
        assert all("body" not in item for item in items)  # bodies are not held while pages wait
        pipe.close_spider()

    asyncio.run(crawl())
    assert stored(db) == [f"B00BATCH0{n}" for n in range(1, 6)]


def test_a_batch_waits_at_most_its_time(db: str) -> None:
    async def crawl() -> None:
        pipe = pipeline(db, pages=100, seconds=0.05)
        pipe.open_spider()
        pipe.process_item(product("B00BATCH01"))
        assert stored(db) == []
        await asyncio.sleep(0.3)
        assert stored(db) == ["B00BATCH01"]
        pipe.close_spider()

    asyncio.run(crawl())


def test_a_bad_record_costs_only_itself_and_is_counted(db: str) -> None:
    bad = SearchPage(keyword=None, marketplace="us", url="http://127.0.0.1/s?k=x", page=1,  # type: ignore[arg-type]
                     outcome=Outcome.OK)  # no keyword: its target row cannot be written
    pipe = pipeline(db, pages=3)

    async def crawl() -> None:
        pipe.open_spider()
        pipe.process_item(product("B00BATCH01"))
        pipe.process_item({"kind": "search", "key": "us:x", "record": bad, "fetched_at": now(), "body": None})
        pipe.process_item(product("B00BATCH02", Outcome.BLOCKED))
        pipe.close_spider()

    asyncio.run(crawl())
    assert stored(db) == ["B00BATCH01", "B00BATCH02"]
    stats = pipe.crawler.stats
    assert stats.get_value("storewatch/save_failed") == 1
    assert stats.get_value("pages/product/ok") == 1 and stats.get_value("pages/product/blocked") == 1
    with open_database(db) as database:
        targets = Store(database).run_targets(1)
    # evidence: the run's first ok page of a kind as a sample, and every page that was not ok
    assert [t.evidence is not None for t in targets] == [True, True]
