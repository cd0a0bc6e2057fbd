"""Storage as the commands use it: one database and evidence store, opened for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from crawler.records import Outcome, ProductSnapshot


class Storage:
    """A Store plus the evidence it references: saving a snapshot keeps the page it came from when needed."""

    def __init__(self, store: Any, evidence: Any) -> None:
        self.store = store
        self.evidence = evidence
        self._adhoc_run: int | None = None

    def last_ok_product(self, asin: str, marketplace: str) -> ProductSnapshot | None:
        return self.store.last_ok_product(asin, marketplace)

    def start_run(self, kind: str, marketplaces: list[str], config_name: str | None = None) -> int:
        return self.store.start_run(kind, marketplaces, config_name=config_name)

    def finish_run(self, run_id: int, done: int, expected: int, counts: dict[str, Any] | None = None) -> None:
        status = "complete" if done >= expected else "incomplete"
        self.store.finish_run(run_id, status, counts or {"targets": expected, "done": done})

    def keep_evidence(
        self,
        run_id: int,
        kind: str,
        url: str,
        outcome: Outcome,
        body: bytes | None,
        fetched_at: datetime | None,
    ) -> str | None:
        if body is None:
            return None
        if outcome != Outcome.OK or self.evidence.should_keep_ok(run_id, kind):
            return self.evidence.keep(run_id, kind, url, outcome.value, body, fetched_at)
        return None

    def save_run_product(self, run_id: int, snap: ProductSnapshot, body: bytes | None) -> int:
        ref = self.keep_evidence(run_id, "product", snap.url, snap.outcome, body, snap.fetched_at)
        return self.store.save_product(run_id, snap, evidence=ref)

    def save_checked_product(self, snap: ProductSnapshot, body: bytes | None) -> int:
        """An ad-hoc `check`: its own one-target run."""
        run_id = self.start_run("check", [snap.marketplace])
        snap_id = self.save_run_product(run_id, snap, body)
        self.finish_run(run_id, 1, 1)
        return snap_id


@contextmanager
def storage(db_url: str | None = None) -> Iterator[Storage]:
    from crawler.db import open_database
    from crawler.evidence import EvidenceStore
    from crawler.paths import data_dir
    from crawler.store import Store

    db = open_database(db_url)
    try:
        yield Storage(Store(db), EvidenceStore(data_dir()))
    finally:
        db.close()
