"""Run one Scrapy crawl in this process and hand back what it yielded.

A Twisted reactor cannot restart, so a process runs one crawl: the CLI's ad-hoc commands call
`run_crawl` once; the nightly crawl and the tests start a fresh process per crawl.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CrawlResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def run_crawl(spider_cls: type, settings: dict[str, Any], **spider_kwargs: Any) -> CrawlResult:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    result = CrawlResult()
    settings = {"LOG_INSTALL_ROOT_HANDLER": settings.get("LOG_LEVEL") != "NONE", **settings}
    process = CrawlerProcess(settings)
    if settings.get("LOG_LEVEL") in ("NONE", "ERROR"):
        logging.getLogger("scrapy").setLevel(logging.ERROR)
    crawler = process.create_crawler(spider_cls)

    def collect(item: Any, **_: Any) -> None:
        result.items.append(item)

    crawler.signals.connect(collect, signal=signals.item_scraped)
    process.crawl(crawler, **spider_kwargs)
    with _few_collections():
        process.start()
    result.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return result


@contextmanager
def _few_collections() -> Iterator[None]:
    """The garbage collector's full passes kept off what start-up built, and run less often.

    Everything imported and built before the crawl (Scrapy, SQLAlchemy, settings, the spider's targets)
    lives until the crawl ends, yet each full collection walked all of it again: measured, about a seventh of
    a plain-HTTP crawl's own CPU time. Frozen, it is left out of collections; a crawl's garbage is
    requests, responses and records, freed by reference counting, so fewer, larger young collections
    miss nothing. Both are undone afterwards (a test process runs many crawls and other work)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 10_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
