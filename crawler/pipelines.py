"""Item pipeline: every record is stored as soon as it arrives, so a killed crawl loses at most one page."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class StorePipeline:
    """Saves snapshots and pages under the run given in settings (STOREWATCH_DB, STOREWATCH_RUN_ID)."""

    def __init__(self, crawler: Any, db_url: str | None, run_id: int) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.run_id = run_id
        self._cm: Any = None
        self.storage: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        run_id = crawler.settings.getint("STOREWATCH_RUN_ID", 0)
        if not run_id:
            raise NotConfigured("no STOREWATCH_RUN_ID: ad-hoc commands store results themselves")
        return cls(crawler, crawler.settings.get("STOREWATCH_DB"), run_id)

    def open_spider(self, spider: Any = None) -> None:
        from crawler.session import storage

        self._cm = storage(self.db_url)
        self.storage = self._cm.__enter__()

    def close_spider(self, spider: Any = None) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        kind = item["kind"]
        record = item["record"]
        stats = self.crawler.stats
        stats.inc_value(f"pages/{kind}/{record.outcome.value}")
        for name in getattr(record, "missing", ()):
            stats.inc_value(f"parse/missing/{kind}/{name}")
        try:
            self.save(kind, item)
        except Exception:  # one bad record never stops the run; it is counted and logged
            stats.inc_value("storewatch/save_failed")
            logger.exception("could not store %s %s", kind, item.get("key"))
        # Bodies are large and already kept as evidence where needed: don't hold them in memory.
        item.pop("body", None)
        return item

    def save(self, kind: str, item: dict[str, Any]) -> None:
        s = self.storage
        record = item["record"]
        if kind == "product":
            s.save_run_product(self.run_id, record, item.get("body"))
            return
        fetched_at = item.get("fetched_at")
        ref = s.keep_evidence(self.run_id, kind, record.url, record.outcome, item.get("body"), fetched_at)
        if kind == "search":
            s.store.save_search_page(self.run_id, record, fetched_at, evidence=ref)
        elif kind == "list":
            s.store.save_list_page(self.run_id, record, fetched_at, evidence=ref)
        elif kind == "offers":
            s.store.save_offers(self.run_id, record, fetched_at, evidence=ref)
