"""The read/write API over the database, in records: what the CLI, pipelines and monitors use.

Every save is one transaction (or part of `Store.batch()`); loading returns records equal (==) to the
ones saved. A `Store` is not thread-safe: give each thread or process its own (they may share a file).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from crawler import rowcodec as rc
from crawler.db import Database
from crawler.models import AlertRow, Run, Target
from crawler.page_store import PageQueries
from crawler.product_store import ProductQueries
from crawler.records import ListPage, OffersPage, Outcome, ProductSnapshot, SearchPage
from monitors.base import Alert

log = logging.getLogger(__name__)

RUN_STATUSES = ("running", "complete", "incomplete", "failed")
ADHOC_RUN_KIND = "check"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    marketplaces: tuple[str, ...]
    counts: dict[str, Any] = field(default_factory=dict)
    config_name: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A stored page record with when and in which run it was fetched (pages carry no time)."""

    run_id: int
    fetched_at: datetime
    record: T
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """How one fetch of a run ended, for reports and crawl health."""

    id: int
    run_id: int
    kind: str
    marketplace: str
    key: str
    page: int
    url: str
    outcome: Outcome | None  # None: not fetched yet
    reason: str | None
    evidence: str | None
    fetched_at: datetime | None


@dataclass(frozen=True, slots=True)
class PageSave:
    """One fetched page to store under a run: its kind (product, offers, search, list) and record."""

    kind: str
    record: Any
    evidence: str | None = None
    fetched_at: datetime | None = None  # default: the record's own time (products), else now


class Store:
    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self._clock = clock or (lambda: datetime.now(UTC))
        self._conn: Connection | None = None
        self._products = ProductQueries(db.dialect)
        self._pages = PageQueries(self._products.contents)
        # page kind -> saves (target id, record) pairs in the rows of that kind
        self._savers: dict[str, Callable[[Connection, Sequence[tuple[int, Any]]], None]] = {
            "product": self._products.save_many,
            "offers": self._pages.save_offers_many,
            "search": self._pages.save_search_many,
            "list": self._pages.save_list_many,
        }

    # -- transactions ------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many saves into one transaction (much faster on SQLite; all or nothing)."""
        if self._conn is not None:
            yield
            return
        try:
            with self.db.transaction(write=True) as conn:
                self._conn = conn
                try:
                    yield
                finally:
                    self._conn = None
        except BaseException:
            self._products.contents.rollback()
            raise
        self._products.contents.commit()

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
            return
        try:
            with self.db.transaction(write=write) as conn:
                yield conn
        except BaseException:
            self._products.contents.rollback()
            raise
        self._products.contents.commit()

    # -- runs ----------------------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        marketplaces: list[str],
        config_name: str | None = None,
        started_at: datetime | None = None,
    ) -> int:
        with self._tx(write=True) as conn:
            return self._insert_run(conn, kind, marketplaces, config_name, started_at or self._clock())

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any]) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status=status, counts=dict(counts), finished_at=self._clock())
            )
            if done.rowcount != 1:
                raise LookupError(f"no run with id {run_id}")

    def latest_run(self, kind: str | None = None, status: str | None = "complete") -> RunInfo | None:
        query = select(Run)
        if kind is not None:
            query = query.where(Run.kind == kind)
        if status is not None:
            query = query.where(Run.status == status)
        found = self._runs(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(1))
        return found[0] if found else None

    def previous_run(self, run_id: int, status: str | None = "complete") -> RunInfo | None:
        """The latest run of the same kind started before `run_id` (the baseline to diff against)."""
        this = self.run(run_id)
        query = select(Run).where(
            Run.kind == this.kind,
            Run.id != run_id,
            (Run.started_at < this.started_at) | ((Run.started_at == this.started_at) & (Run.id < run_id)),
        )
        if status is not None:
            query = query.where(Run.status == status)
        found = self._runs(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(1))
        return found[0] if found else None

    def run(self, run_id: int) -> RunInfo:
        found = self._runs(select(Run).where(Run.id == run_id))
        if not found:
            raise LookupError(f"no run with id {run_id}")
        return found[0]

    def runs(self, limit: int = 20) -> list[RunInfo]:
        """The newest runs first."""
        return self._runs(select(Run).order_by(Run.started_at.desc(), Run.id.desc()).limit(limit))

    def run_targets(self, run_id: int, kind: str | None = None) -> list[TargetOutcome]:
        query = select(Target).where(Target.run_id == run_id)
        if kind is not None:
            query = query.where(Target.kind == kind)
        with self._tx(write=False) as conn:
            rows = conn.execute(query.order_by(Target.id)).all()
        return [_target_outcome(r) for r in rows]

    # -- products ------------------------------------------------------------------------------------

    def save_product(self, run_id: int | None, snap: ProductSnapshot, evidence: str | None = None) -> int:
        """Store one product check; `run_id=None` files it under a new one-product ad-hoc run."""
        fetched_at = snap.fetched_at or self._clock()
        with self._tx(write=True) as conn:
            if run_id is None:
                run_id = self._adhoc_run(conn, snap.marketplace, snap.outcome, fetched_at)
            return self._save_pages(conn, run_id, [PageSave("product", snap, evidence, fetched_at)])[0]

    def save_pages(self, run_id: int, pages: Sequence[PageSave]) -> list[int]:
        """Store many fetched pages of one run in one transaction, all or nothing; their target ids in order.

        A crawl's pipeline saves its pages in batches this way: an insert per table per batch instead
        of a transaction and a statement per row."""
        if not pages:
            return []
        with self._tx(write=True) as conn:
            return self._save_pages(conn, run_id, pages)

    def last_ok_product(
        self, asin: str, marketplace: str, before: datetime | None = None
    ) -> ProductSnapshot | None:
        """The latest `ok` snapshot, fetched strictly before `before` when given."""
        with self._tx(write=False) as conn:
            found = self._products.history(conn, asin, marketplace, before=before, only_ok=True, latest=True)
        return found[0] if found else None

    def product_history(
        self, asin: str, marketplace: str, since: datetime | None = None, only_ok: bool = False
    ) -> list[ProductSnapshot]:
        """Snapshots oldest first, from `since` (inclusive)."""
        with self._tx(write=False) as conn:
            return self._products.history(conn, asin, marketplace, since=since, only_ok=only_ok)

    def product_histories(
        self, asins: list[str], marketplace: str, since: datetime
    ) -> list[Fetched[ProductSnapshot]]:
        """Snapshots of many ASINs from `since` (inclusive), per ASIN oldest first, with their runs."""
        with self._tx(write=False) as conn:
            found = self._products.histories(conn, asins, marketplace, since=since)
        return [Fetched(run_id, snap.fetched_at, snap) for run_id, snap in found]  # type: ignore[arg-type]

    def last_ok_products(
        self, asins: list[str], marketplace: str, before: datetime
    ) -> list[Fetched[ProductSnapshot]]:
        """Each ASIN's latest `ok` snapshot fetched strictly before `before` (none for ASINs without)."""
        with self._tx(write=False) as conn:
            found = self._products.last_ok_before(conn, asins, marketplace, before)
        return [Fetched(run_id, snap.fetched_at, snap) for run_id, snap in found]  # type: ignore[arg-type]

    def run_products(self, run_id: int) -> list[ProductSnapshot]:
        """Every product snapshot of one run, any outcome, in the order saved."""
        with self._tx(write=False) as conn:
            return self._products.of_run(conn, run_id)

    # -- offers, search, lists -----------------------------------------------------------------------

    def save_offers(
        self, run_id: int, page: OffersPage, fetched_at: datetime | None = None, evidence: str | None = None
    ) -> int:
        return self.save_pages(run_id, [PageSave("offers", page, evidence, fetched_at)])[0]

    def offers_history(
        self, asin: str, marketplace: str, since: datetime | None = None, only_ok: bool = False
    ) -> list[Fetched[OffersPage]]:
        with self._tx(write=False) as conn:
            targets = self._history_targets(conn, "offers", marketplace, asin, since, only_ok)
            pages = self._pages.load_offers(conn, targets)
        return [Fetched(t.run_id, t.fetched_at, p, t.evidence) for t, p in zip(targets, pages, strict=True)]

    def run_offers(self, run_id: int, since: datetime | None = None) -> list[Fetched[OffersPage]]:
        """Every offers page of one run (fetched from `since` on), ordered as `offers_history` orders them."""
        query = select(*_HISTORY_COLUMNS).where(
            Target.run_id == run_id, Target.kind == "offers", Target.outcome.is_not(None)
        )
        if since is not None:
            query = query.where(Target.fetched_at >= since)
        with self._tx(write=False) as conn:
            targets = list(conn.execute(query.order_by(Target.run_id, Target.page, Target.id)).all())
            pages = self._pages.load_offers(conn, targets)
        return [Fetched(t.run_id, t.fetched_at, p, t.evidence) for t, p in zip(targets, pages, strict=True)]

    def save_search_page(
        self, run_id: int, page: SearchPage, fetched_at: datetime | None = None, evidence: str | None = None
    ) -> int:
        return self.save_pages(run_id, [PageSave("search", page, evidence, fetched_at)])[0]

    def search_history(
        self, keyword: str, marketplace: str, since: datetime | None = None, only_ok: bool = False
    ) -> list[Fetched[SearchPage]]:
        """Result pages oldest first (pages of one run in page order); group them by `run_id`."""
        with self._tx(write=False) as conn:
            targets = self._history_targets(conn, "search", marketplace, keyword, since, only_ok)
            pages = self._pages.load_search(conn, targets)
        return [Fetched(t.run_id, t.fetched_at, p, t.evidence) for t, p in zip(targets, pages, strict=True)]

    def save_list_page(
        self, run_id: int, page: ListPage, fetched_at: datetime | None = None, evidence: str | None = None
    ) -> int:
        return self.save_pages(run_id, [PageSave("list", page, evidence, fetched_at)])[0]

    def list_history(
        self, url_or_path: str, marketplace: str, since: datetime | None = None, only_ok: bool = False
    ) -> list[Fetched[ListPage]]:
        """A best-seller style list by URL or path (`ref=` segments and the query are ignored)."""
        key, _ = list_key(url_or_path)
        with self._tx(write=False) as conn:
            targets = self._history_targets(conn, "list", marketplace, key, since, only_ok)
            pages = self._pages.load_lists(conn, targets)
        return [Fetched(t.run_id, t.fetched_at, p, t.evidence) for t, p in zip(targets, pages, strict=True)]

    # -- alerts --------------------------------------------------------------------------------------

    def save_alerts(self, run_id: int, alerts: Iterable[Alert]) -> int:
        rows = [rc.alert_row(run_id, a) for a in alerts]
        if rows:
            with self._tx(write=True) as conn:
                conn.execute(insert(AlertRow), rows)
        return len(rows)

    def replace_alerts(self, run_id: int, alerts: Iterable[Alert]) -> int:
        """A run's alerts after a new monitors pass: the old ones go and the new ones come in one transaction."""
        rows = [rc.alert_row(run_id, a) for a in alerts]
        with self._tx(write=True) as conn:
            conn.execute(delete(AlertRow).where(AlertRow.run_id == run_id))
            if rows:
                conn.execute(insert(AlertRow), rows)
        return len(rows)

    def alerts_for_run(self, run_id: int) -> list[Alert]:
        with self._tx(write=False) as conn:
            rows = conn.execute(select(AlertRow).where(AlertRow.run_id == run_id).order_by(AlertRow.id)).all()
        return [rc.alert_from_row(r) for r in rows]

    # -- helpers -------------------------------------------------------------------------------------

    def _runs(self, query: Any) -> list[RunInfo]:
        with self._tx(write=False) as conn:
            rows = conn.execute(query).all()
        return [
            RunInfo(
                id=r.id,
                kind=r.kind,
                status=r.status,
                started_at=r.started_at,
                finished_at=r.finished_at,
                marketplaces=tuple(r.marketplaces or ()),
                counts=dict(r.counts or {}),
                config_name=r.config_name,
            )
            for r in rows
        ]

    def _insert_run(
        self,
        conn: Connection,
        kind: str,
        marketplaces: list[str],
        config_name: str | None,
        started_at: datetime,
        status: str = "running",
    ) -> int:
        return conn.execute(
            insert(Run)
            .values(
                kind=kind,
                started_at=started_at,
                status=status,
                marketplaces=list(marketplaces),
                counts={},
                config_name=config_name,
            )
            .returning(Run.id)
        ).scalar_one()

    def _adhoc_run(self, conn: Connection, marketplace: str, outcome: Outcome, at: datetime) -> int:
        run_id = self._insert_run(conn, ADHOC_RUN_KIND, [marketplace], None, at, status="complete")
        conn.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(finished_at=at, counts={"products": 1, f"outcome/{Outcome(outcome).value}": 1})
        )
        return run_id

    def _save_pages(self, conn: Connection, run_id: int, pages: Sequence[PageSave]) -> list[int]:
        now = self._clock()
        rows = [_target_row(run_id, p, now) for p in pages]
        # One multi-row INSERT ... RETURNING, ids in the order given (SQLite >= 3.35 and PostgreSQL).
        stmt = insert(Target).returning(Target.id, sort_by_parameter_order=True)
        ids = list(conn.execute(stmt, rows).scalars())
        by_kind: dict[str, list[tuple[int, Any]]] = {}
        for target_id, p in zip(ids, pages, strict=True):
            by_kind.setdefault(p.kind, []).append((target_id, p.record))
        for kind, saved in by_kind.items():
            self._savers[kind](conn, saved)
        return ids

    def _history_targets(
        self, conn: Connection, kind: str, marketplace: str, key: str, since: datetime | None, only_ok: bool
    ) -> list[Any]:
        query = select(*_HISTORY_COLUMNS).where(
            Target.kind == kind,
            Target.marketplace == marketplace,
            Target.key == key,
            Target.outcome.is_not(None),
        )
        if since is not None:
            query = query.where(Target.fetched_at >= since)
        if only_ok:
            query = query.where(Target.outcome == Outcome.OK.value)
        # Runs in order, and a run's pages in page order even when page 1 was retried after page 2.
        return list(conn.execute(query.order_by(Target.run_id, Target.page, Target.id)).all())

    # -- distributed runs (crawler/distributed.py) ---------------------------------------------------
    # A distributed run's targets exist before they are fetched: outcome NULL = pending. `claimed_by`
    # names the worker fetching it; while it waits in the Redis queue claimed_by is NULL and
    # `claimed_at` is when it was queued. Completing a target is "first answer wins".

    def add_pending_targets(self, run_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Insert pending targets (`kind, marketplace, key, page, url`), queued now; their ids in order."""
        at = self._clock()
        with self._tx(write=True) as conn:
            return [
                conn.execute(
                    insert(Target).values(run_id=run_id, claimed_at=at, attempts=1, **row).returning(Target.id)
                ).scalar_one()
                for row in rows
            ]

    def claim_target(self, target_id: int, worker: str) -> bool:
        """Mark a pending target as being fetched by `worker`; False when it already has an outcome."""
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(Target)
                .where(Target.id == target_id, Target.outcome.is_(None))
                .values(claimed_by=worker, claimed_at=self._clock())
            )
            return done.rowcount == 1

    def complete_target(
        self, target_id: int, kind: str, record: Any, evidence: str | None, fetched_at: datetime | None,
        worker: str | None = None,
    ) -> bool:
        """Store a fetched page under its pending target; False (nothing written) if it was done already.
        `worker` is recorded as the one who fetched it (it may have been queued again meanwhile).

        Workers write concurrently: two pages sharing texts can deadlock on `contents` in PostgreSQL,
        which aborts one of them; that one is retried (it is one transaction, so all or nothing)."""
        import time

        from sqlalchemy.exc import DBAPIError

        for attempt in range(4):
            try:
                return self._complete_target(target_id, kind, record, evidence, fetched_at, worker)
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in ("40P01", "40001") or attempt == 3:  # deadlock, serialization failure
                    raise
                log.info("target %s: %s, retrying", target_id, type(exc.orig).__name__)
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _complete_target(
        self, target_id: int, kind: str, record: Any, evidence: str | None, fetched_at: datetime | None,
        worker: str | None,
    ) -> bool:
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(Target)
                .where(Target.id == target_id, Target.outcome.is_(None))
                .values(
                    outcome=Outcome(record.outcome).value,
                    reason=record.reason,
                    evidence=evidence,
                    url=record.url,
                    fetched_at=fetched_at or getattr(record, "fetched_at", None) or self._clock(),
                    **({"claimed_by": worker} if worker else {}),
                )
            )
            if done.rowcount != 1:
                return False
            if kind not in self._savers:
                raise ValueError(f"unknown page kind {kind!r}")
            self._savers[kind](conn, [(target_id, record)])
            return True

    def pending_targets(self, run_id: int) -> list[Any]:
        """(id, kind, url, claimed_by, claimed_at, attempts) of the run's targets without an outcome."""
        query = select(
            Target.id, Target.kind, Target.url, Target.claimed_by, Target.claimed_at, Target.attempts
        ).where(Target.run_id == run_id, Target.outcome.is_(None))
        with self._tx(write=False) as conn:
            return list(conn.execute(query.order_by(Target.id)).all())

    def requeue_target(self, target_id: int) -> bool:
        """Hand a pending target out again (its worker died or stalled): unclaimed, queued now."""
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(Target)
                .where(Target.id == target_id, Target.outcome.is_(None))
                .values(claimed_by=None, claimed_at=self._clock(), attempts=Target.attempts + 1)
            )
            return done.rowcount == 1

    def give_up_target(self, target_id: int, reason: str) -> bool:
        """Close a pending target that could not be fetched (so the run can finish)."""
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(Target)
                .where(Target.id == target_id, Target.outcome.is_(None))
                .values(outcome=Outcome.HTTP_ERROR.value, reason=reason, fetched_at=self._clock())
            )
            return done.rowcount == 1

    def stale_runs(self, alive: Callable[[RunInfo], bool]) -> list[RunInfo]:
        """`running` runs whose owner (recorded in counts by `crawler.recovery`) is no longer `alive`."""
        return [r for r in self._runs(select(Run).where(Run.status == "running")) if not alive(r)]

    def set_run_counts(self, run_id: int, counts: dict[str, Any]) -> None:
        with self._tx(write=True) as conn:
            conn.execute(update(Run).where(Run.id == run_id).values(counts=dict(counts)))


_HISTORY_COLUMNS = (
    Target.id,
    Target.run_id,
    Target.key,
    Target.marketplace,
    Target.fetched_at,
    Target.url,
    Target.outcome,
    Target.reason,
    Target.evidence,
    Target.page,
)


def list_key(url_or_path: str) -> tuple[str, int]:
    """(path without `ref=` segments or trailing slash, page number from `pg=`) of a list URL."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url_or_path)
    segments = [s for s in parts.path.split("/") if s and not s.startswith("ref=")]
    pages = parse_qs(parts.query).get("pg") or parse_qs(parts.path.rpartition("/")[2]).get("pg") or ["1"]
    try:
        number = int(pages[0])
    except ValueError:
        number = 1
    return "/" + "/".join(segments), number


def _target_row(run_id: int, p: PageSave, now: datetime) -> dict[str, Any]:
    """The `targets` row of a fetched page: what it was (kind, key, page number), where and how it ended."""
    r = p.record
    if p.kind in ("product", "offers"):
        key, number = r.asin, 0
    elif p.kind == "search":
        key, number = r.keyword, r.page
    elif p.kind == "list":
        key, number = list_key(r.url)
    else:
        raise ValueError(f"unknown page kind {p.kind!r}")
    fetched_at = p.fetched_at or (r.fetched_at if p.kind == "product" else None) or now
    return {
        "run_id": run_id,
        "kind": p.kind,
        "marketplace": r.marketplace,
        "key": key,
        "page": number,
        "url": r.url,
        "outcome": Outcome(r.outcome).value,
        "reason": r.reason,
        "evidence": p.evidence,
        "fetched_at": fetched_at,
    }


def _target_outcome(t: Any) -> TargetOutcome:
    return TargetOutcome(
        id=t.id,
        run_id=t.run_id,
        kind=t.kind,
        marketplace=t.marketplace,
        key=t.key,
        page=t.page,
        url=t.url,
        outcome=Outcome(t.outcome) if t.outcome else None,
        reason=t.reason,
        evidence=t.evidence,
        fetched_at=t.fetched_at,
    )
