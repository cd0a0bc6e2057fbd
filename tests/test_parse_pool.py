"""Parsing in worker processes (crawler.parse_pool): the same records as parsing inline, errors come
back as errors, and a worker that dies costs only speed. Crawls through it are in test_crawl_watchlist
(the nightly crawl turns it on) and test_faults (a killed crawl leaves no worker behind)."""
from __future__ import annotations

import asyncio
import gzip
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.parse_pool import SHARED_BYTES, ParsePool
from spiders.parsers.product import parse_product
from spiders.parsers.search import parse_search

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


def page(kind: str, name: str) -> bytes:
    return gzip.decompress((PAGES / kind / name).read_bytes())


def in_pool(*jobs: tuple[Any, ...], before: Any = None, shared_bytes: int = SHARED_BYTES) -> list[Any]:
    """Run (fn, *args) jobs through a one-process pool, all at once, as a crawl's callbacks would."""
    pool = ParsePool(1, shared_bytes)

    async def run() -> list[Any]:
        pool.open()  # and closed inside the loop, as the crawl's signals do
        try:
            if before is not None:
                await before(pool)
            return await asyncio.gather(*(pool.run(fn, *args) for fn, *args in jobs), return_exceptions=True)
        finally:
            pool.close()

    return asyncio.run(run())


# Bodies travel through shared memory; when it is full (here it holds one page, or none), in the message.
@pytest.mark.parametrize("shared_bytes", [SHARED_BYTES, 500_000, 0])
def test_pages_parsed_in_a_worker_equal_pages_parsed_inline(shared_bytes: int) -> None:
    product = page("product", "de-dose-day1.html.gz")
    search = page("search", "jp-suitou-p1-day1.html.gz")
    jobs = [(parse_product, product, "http://127.0.0.1/dp/B0X", "de", 200),
            (parse_search, search, "http://127.0.0.1/s?k=x", "jp", 200), (os.getpid,)] * 3
    answers = in_pool(*jobs, shared_bytes=shared_bytes)
    assert answers[0] == parse_product(product, "http://127.0.0.1/dp/B0X", "de", 200)
    assert answers[1] == parse_search(search, "http://127.0.0.1/s?k=x", "jp", 200)
    assert answers[0].title and answers[1].results  # real records, not empty ones
    assert answers[0:3] == answers[3:6] == answers[6:9]  # answers matched to their jobs
    assert answers[2] != os.getpid()  # parsed in another process


def test_a_parser_error_comes_back_as_the_error() -> None:
    (answer,) = in_pool((int, "not a number"))
    assert isinstance(answer, ValueError) and "not a number" in str(answer)


def test_a_worker_that_dies_costs_only_speed(caplog: pytest.LogCaptureFixture) -> None:
    async def kill(pool: ParsePool) -> None:
        worker = pool.workers[0]
        assert await pool.run(os.getpid) == worker.proc.pid
        waiting = asyncio.ensure_future(pool.run(time.time))  # sent to the worker, answered here
        os.kill(worker.proc.pid, signal.SIGKILL)
        assert await waiting > 0 and worker.gone

    product = page("product", "de-dose-day1.html.gz")
    answers = in_pool((parse_product, product, "http://127.0.0.1/dp/B0X", "de", 200), (os.getpid,), before=kill)
    assert answers == [parse_product(product, "http://127.0.0.1/dp/B0X", "de", 200), os.getpid()]
    assert "parsed in the crawl's own process" in caplog.text


def test_records_read_back_from_a_worker_are_equal_and_typed() -> None:
    import dataclasses
    import pickle

    from crawler.parse_pool import pickle_records_by_value

    snap = parse_product(page("product", "de-dose-day1.html.gz"), "http://127.0.0.1/dp/B0X", "de", 200)
    pickle_records_by_value()
    back = pickle.loads(pickle.dumps(snap))
    assert back == snap and type(back.price) is type(snap.price)
    assert dataclasses.astuple(back) == dataclasses.astuple(snap)  # fields outside == (missing) too


def test_workers_start_with_the_crawler_not_with_the_spider() -> None:
    """The workers import the parsers while the crawl builds its components and opens the database (a
    worker started at spider_opened made the first pages wait ~0.15 s); a crawl that stops without ever
    opening its spider still ends them."""
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"STOREWATCH_PARSE_PROCESSES": 1})
    pool = ParsePool.from_crawler(crawler)
    procs = [w.proc for w in pool.workers]
    try:
        assert len(procs) == 1 and procs[0].poll() is None
    finally:
        crawler.signals.send_catch_log(signal=signals.engine_stopped)
    assert pool.workers == [] and procs[0].poll() is not None
