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
from crawler.records import BuyboxState, Money, Outcome, ProductSnapshot

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
        blob = rc.content_blob(value)
        if blob is None:
            return None
        digest, data = blob
        known = self._ids.get(digest) or self._pending.get(digest)
        if known is not None:
            return known
        find = select(Content.id).where(Content.hash == digest)
        content_id = conn.execute(find).scalar()
        if content_id is None:
            # Another process may insert the same text at the same time: keep theirs.
            stmt = (
                self._insert(Content)
                .values(hash=digest, data=data)
                .on_conflict_do_nothing(index_elements=["hash"])
                .returning(Content.id)
            )
            content_id = conn.execute(stmt).scalar() or conn.execute(find).scalar_one()
        self._pending[digest] = content_id
        return content_id

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


_T = Target.__table__
_S = ProductSnapshotRow.__table__
_COLUMNS = [
    _T.c.id,
    _T.c.key,
    _T.c.marketplace,
    _T.c.url,
    _T.c.outcome,
    _T.c.reason,
    _T.c.fetched_at,
    *(c for c in _S.c if c.name != "target_id"),
]


class ProductQueries:
    def __init__(self, dialect: str) -> None:
        self.contents = ContentCache(dialect)

    def save(self, conn: Connection, target_id: int, snap: ProductSnapshot) -> None:
        row = {
            "content_id": self.contents.id_for(conn, rc.listing_content(snap)),
            "reviews_id": self.contents.id_for(conn, rc.encode_reviews(snap.top_reviews)),
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
        if any(v is not None for v in row.values()):  # a blocked page has nothing to keep
            conn.execute(insert(ProductSnapshotRow).values(target_id=target_id, **row))

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
        query = self._select().where(
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

    def of_run(self, conn: Connection, run_id: int) -> list[ProductSnapshot]:
        query = self._select().where(_T.c.run_id == run_id, _T.c.kind == "product", _T.c.outcome.is_not(None))
        return self._build(conn, conn.execute(query.order_by(_T.c.id)).all())

    @staticmethod
    def _select() -> Any:
        return select(*_COLUMNS).select_from(_T.outerjoin(_S, _S.c.target_id == _T.c.id))

    def _build(self, conn: Connection, rows: Sequence[Any]) -> list[ProductSnapshot]:
        blobs = self.contents.load(conn, [i for r in rows for i in (r.content_id, r.reviews_id)])
        return [_snapshot(r, blobs) for r in rows]


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount, currency)  # type: ignore[arg-type]


def _snapshot(r: Any, blobs: dict[int, Any]) -> ProductSnapshot:
    listing = rc.listing_fields(blobs.get(r.content_id))
    return ProductSnapshot(
        asin=r.key,
        marketplace=r.marketplace,
        url=r.url,
        outcome=Outcome(r.outcome),
        reason=r.reason,
        fetched_at=r.fetched_at,
        price=_money(r.price, r.price_currency),
        list_price=_money(r.list_price, r.list_price_currency),
        currency=r.currency,
        buybox_state=BuyboxState(r.buybox_state) if r.buybox_state else None,
        buybox_seller=r.buybox_seller,
        buybox_seller_id=r.buybox_seller_id,
        ships_from=r.ships_from,
        fulfilled_by_amazon=r.fulfilled_by_amazon,
        availability=r.availability,
        in_stock=r.in_stock,
        rating=r.rating,
        review_count=r.review_count,
        rating_histogram=rc.decode_histogram(r.histogram),
        top_reviews=rc.decode_reviews(blobs.get(r.reviews_id)),
        coupon=rc.decode_coupon(r.coupon),
        deal_badge=r.deal_badge,
        other_sellers_count=r.other_sellers_count,
        offers=rc.decode_offers(r.offers),
        bsr=rc.decode_bsr(r.bsr),
        missing=rc.unstrings(r.missing),
        redirected_to=r.redirected_to,
        **listing,
    )
