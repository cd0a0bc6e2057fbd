"""Product snapshots in and out of the database, with their text deduplicated into content blobs.

A snapshot is a `targets` row (where, when, outcome) plus, when the page yielded anything, a
`product_snapshots` row of the fast-moving fields pointing at two blobs: the listing text and the
top reviews. A blocked page is only its target row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from crawler import rowcodec as rc
from crawler.models import Content, ProductSnapshotRow, Target
from crawler.product_rows import SnapshotReader, select_rows
from crawler.records import BuyboxState, Outcome, ProductSnapshot

_T = Target.__table__
_CACHE_LIMIT = 50_000  # content ids remembered per Store; about 5 MB at most


def chunked(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    """Slices for `IN (...)` lists, which SQLite caps at a few thousand parameters on old builds."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ContentCache:
    """hash -> contents.id, so unchanged text costs neither a row nor (mostly) a query.

    Ids learnt inside a transaction count only after it commits: a rolled-back insert has no id.
    """

    def __init__(self, dialect: str) -> None:
        # Both dialects spell "INSERT ... ON CONFLICT DO NOTHING" the same way.
        from sqlalchemy.dialects import postgresql, sqlite

        self._insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._ids: dict[bytes, int] = {}
        self._pending: dict[bytes, int] = {}

    def id_for(self, conn: Connection, value: Any) -> int | None:
        return self.ids_for(conn, [value])[0]

    def ids_for(self, conn: Connection, values: Sequence[Any]) -> list[int | None]:
        """The content id of each value (None for None), inserting new texts: at most a query for the
        unknown hashes and an insert of the new ones, however many values."""
        texts = [rc.content_text(v) for v in values]
        unknown = {d: t for d, t in filter(None, texts) if d not in self._ids and d not in self._pending}
        if unknown:
            self._pending.update(self._find(conn, unknown))
            new = [{"hash": d, "data": rc.pack_blob(t)} for d, t in unknown.items() if d not in self._pending]
            if new:
                # Another process may insert the same text at the same time: keep theirs.
                stmt = self._insert(Content).on_conflict_do_nothing(index_elements=["hash"])
                inserted = conn.execute(stmt.returning(Content.id, Content.hash), new)
                self._pending.update((h, i) for i, h in inserted)
                lost = [row["hash"] for row in new if row["hash"] not in self._pending]
                if lost:
                    found = self._find(conn, lost)
                    assert len(found) == len(lost), "a content row vanished while being stored"
                    self._pending.update(found)
        return [None if t is None else self._ids.get(t[0]) or self._pending[t[0]] for t in texts]

    @staticmethod
    def _find(conn: Connection, digests: Iterable[bytes]) -> dict[bytes, int]:
        out: dict[bytes, int] = {}
        for part in chunked(digests):
            query = select(Content.id, Content.hash).where(Content.hash.in_(part))
            out.update((h, i) for i, h in conn.execute(query))
        return out

    def commit(self) -> None:
        if len(self._ids) + len(self._pending) > _CACHE_LIMIT:
            self._ids.clear()
        self._ids.update(self._pending)
        self._pending.clear()

    def rollback(self) -> None:
        self._pending.clear()

    @staticmethod
    def load(conn: Connection, ids: Iterable[int | None]) -> dict[int, Any]:
        wanted = {i for i in ids if i is not None}
        out: dict[int, Any] = {}
        for part in chunked(sorted(wanted)):
            for row in conn.execute(select(Content.id, Content.data).where(Content.id.in_(part))):
                out[row.id] = rc.read_blob(row.data)
        return out


class ProductQueries:
    def __init__(self, dialect: str) -> None:
        self.contents = ContentCache(dialect)

    def save(self, conn: Connection, target_id: int, snap: ProductSnapshot) -> None:
        self.save_many(conn, [(target_id, snap)])

    def save_many(self, conn: Connection, snaps: Sequence[tuple[int, ProductSnapshot]]) -> None:
        """The snapshot rows of (target id, snapshot) pairs, in one insert."""
        texts = [v for _, s in snaps for v in (rc.listing_content(s), rc.encode_reviews(s.top_reviews))]
        ids = iter(self.contents.ids_for(conn, texts))
        rows = []
        for target_id, snap in snaps:
            row = _snapshot_row(snap, next(ids), next(ids))
            if any(v is not None for v in row.values()):  # a blocked page has nothing to keep
                row["target_id"] = target_id
                rows.append(row)
        if rows:
            conn.execute(insert(ProductSnapshotRow), rows)

    def history(
        self,
        conn: Connection,
        asin: str,
        marketplace: str,
        *,
        since: Any = None,
        before: Any = None,
        only_ok: bool = False,
        latest: bool = False,
    ) -> list[ProductSnapshot]:
        query = select_rows().where(
            _T.c.kind == "product",
            _T.c.marketplace == marketplace,
            _T.c.key == asin,
            _T.c.outcome.is_not(None),
        )
        if since is not None:
            query = query.where(_T.c.fetched_at >= since)
        if before is not None:
            query = query.where(_T.c.fetched_at < before)
        if only_ok:
            query = query.where(_T.c.outcome == Outcome.OK.value)
        if latest:
            query = query.order_by(_T.c.fetched_at.desc(), _T.c.id.desc()).limit(1)
        else:
            query = query.order_by(_T.c.fetched_at, _T.c.id)
        return self._build(conn, conn.execute(query).all())

    def histories(
        self, conn: Connection, asins: Sequence[str], marketplace: str, *, since: Any
    ) -> list[tuple[int, ProductSnapshot]]:
        """(run id, snapshot) of many ASINs from `since` on, per ASIN oldest first: a query per 500 ASINs."""
        out: list[tuple[int, ProductSnapshot]] = []
        reader = SnapshotReader(self.contents.load)  # one for all chunks: a text decoded once per load
        for part in chunked(asins):
            query = select_rows().where(
                _T.c.kind == "product",
                _T.c.marketplace == marketplace,
                _T.c.key.in_(part),
                _T.c.outcome.is_not(None),
                _T.c.fetched_at >= since,
            )
            rows = conn.execute(query.order_by(_T.c.key, _T.c.fetched_at, _T.c.id)).all()
            out += zip([r[1] for r in rows], self._build(conn, rows, reader), strict=True)  # run_id
        return out

    def last_ok_before(
        self, conn: Connection, asins: Sequence[str], marketplace: str, before: Any
    ) -> list[tuple[int, ProductSnapshot]]:
        """(run id, snapshot) of each ASIN's latest `ok` snapshot fetched before `before`, if any."""
        out: list[tuple[int, ProductSnapshot]] = []
        reader = SnapshotReader(self.contents.load)
        # Per ASIN one index seek back from `before` (a correlated LIMIT 1), not a window function that
        # numbers every earlier reading: 25x faster at 100 runs of history (the ASINs themselves come from
        # an index-only scan of their readings).
        inner = _T.alias("earlier")
        for part in chunked(asins):
            keys = (select(_T.c.key)
                    .where(_T.c.kind == "product", _T.c.marketplace == marketplace, _T.c.key.in_(part))
                    .group_by(_T.c.key).subquery("keys"))
            latest_ok = (
                select(inner.c.id)
                .where(inner.c.kind == "product", inner.c.marketplace == marketplace, inner.c.key == keys.c.key,
                       inner.c.outcome == Outcome.OK.value, inner.c.fetched_at < before)
                .order_by(inner.c.fetched_at.desc(), inner.c.id.desc())
                .limit(1).correlate(keys).scalar_subquery()
            )
            query = select_rows().where(_T.c.id.in_(select(latest_ok).select_from(keys)))
            rows = conn.execute(query.order_by(_T.c.key)).all()
            out += zip([r[1] for r in rows], self._build(conn, rows, reader), strict=True)  # run_id
        return out

    def of_run(self, conn: Connection, run_id: int) -> list[ProductSnapshot]:
        query = select_rows().where(_T.c.run_id == run_id, _T.c.kind == "product", _T.c.outcome.is_not(None))
        return self._build(conn, conn.execute(query.order_by(_T.c.id)).all())

    def _build(
        self, conn: Connection, rows: Sequence[Any], reader: SnapshotReader | None = None
    ) -> list[ProductSnapshot]:
        return (reader or SnapshotReader(self.contents.load)).snapshots(conn, rows)


def _snapshot_row(snap: ProductSnapshot, content_id: int | None, reviews_id: int | None) -> dict[str, Any]:
    return {
        "content_id": content_id,
        "reviews_id": reviews_id,
        "price": snap.price.amount if snap.price is not None else None,
        "price_currency": snap.price.currency if snap.price is not None else None,
        "list_price": snap.list_price.amount if snap.list_price is not None else None,
        "list_price_currency": snap.list_price.currency if snap.list_price is not None else None,
        "currency": snap.currency,
        "buybox_state": BuyboxState(snap.buybox_state).value if snap.buybox_state else None,
        "buybox_seller": snap.buybox_seller,
        "buybox_seller_id": snap.buybox_seller_id,
        "ships_from": snap.ships_from,
        "fulfilled_by_amazon": snap.fulfilled_by_amazon,
        "availability": snap.availability,
        "in_stock": snap.in_stock,
        "rating": snap.rating,
        "review_count": snap.review_count,
        "histogram": rc.encode_histogram(snap.rating_histogram),
        "coupon": rc.encode_coupon(snap.coupon),
        "deal_badge": snap.deal_badge,
        "other_sellers_count": snap.other_sellers_count,
        "offers": rc.encode_offers(snap.offers),
        "bsr": rc.encode_bsr(snap.bsr),
        "redirected_to": snap.redirected_to,
        "missing": rc.strings(snap.missing),
    }
