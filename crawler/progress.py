"""A progress bar with counts and an ETA while a crawl runs (rich), fed by Scrapy's signals."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured


class ProgressBar:
    def __init__(self, crawler: Any, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.crawler = crawler
        self.progress = Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            transient=False,
        )
        self.task = self.progress.add_task("crawl", total=total, detail="")
        self.counts: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressBar:
        total = crawler.settings.getint("STOREWATCH_PROGRESS_TOTAL", 0)
        if total <= 0:
            raise NotConfigured
        ext = cls(crawler, total)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        return ext

    def opened(self, spider: Any = None) -> None:
        self.progress.start()

    def closed(self, spider: Any = None, reason: str = "") -> None:
        self.progress.stop()

    def item(self, item: Any, **_: Any) -> None:
        outcome = item["record"].outcome.value
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        detail = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, detail=detail)
