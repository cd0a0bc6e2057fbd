"""Product snapshots in and out of the database, with their text deduplicated into content blobs.

A snapshot is a `targets` row (where, when, outcome) plus, when the page yielded anything, a
`product_snapshots` row of the fast-moving fields pointing at two blobs: the listing text and the
top reviews. A blocked page is only its target row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, insert, select, type_coerce
from sqlalchemy.engine import Connection

from crawler import rowcodec as rc
from crawler.dbtypes import utc_result
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


_JSON_DECODERS: dict[str, Callable[[Any], Any]] = {
    "histogram": rc.decode_histogram,
    "coupon": rc.decode_coupon,
    "offers": rc.decode_offers,
    "bsr": rc.decode_bsr,
    "missing": rc.unstrings,
}
_DECIMALS = ("price", "list_price", "rating")  # read as stored text, decoded by _Shared
_T = Target.__table__
_S = ProductSnapshotRow.__table__
# The snapshot columns in the order _snapshot unpacks them (a row read by position: reading 25
# attributes by name was a third of the cost of a snapshot).
_FIELDS = (
    "content_id", "reviews_id", "price", "price_currency", "list_price", "list_price_currency", "currency",
    "buybox_state", "buybox_seller", "buybox_seller_id", "ships_from", "fulfilled_by_amazon", "availability",
    "in_stock", "rating", "review_count", "histogram", "coupon", "deal_badge", "other_sellers_count", "offers",
    "bsr", "redirected_to", "missing",
)  # fmt: skip
assert set(_FIELDS) == {c.name for c in _S.c} - {"target_id"}, "a product_snapshots column is not read"
_COLUMNS = [
    _T.c.id,
    _T.c.run_id,
    _T.c.key,
    _T.c.marketplace,
    _T.c.url,
    _T.c.outcome,
    _T.c.reason,
    type_coerce(_T.c.fetched_at, Text).label("fetched_at"),  # SQLite's text, parsed by utc_result
    # JSON and decimal columns come as text, decoded once per distinct text per load (see _Shared).
    *(
        type_coerce(_S.c[name], Text).label(name)
        if name in _JSON_DECODERS or name in _DECIMALS
        else _S.c[name]
        for name in _FIELDS
    ),
]


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

    def histories(
        self, conn: Connection, asins: Sequence[str], marketplace: str, *, since: Any
    ) -> list[tuple[int, ProductSnapshot]]:
        """(run id, snapshot) of many ASINs from `since` on, per ASIN oldest first: a query per 500 ASINs."""
        out: list[tuple[int, ProductSnapshot]] = []
        for part in chunked(asins):
            query = self._select().where(
                _T.c.kind == "product",
                _T.c.marketplace == marketplace,
                _T.c.key.in_(part),
                _T.c.outcome.is_not(None),
                _T.c.fetched_at >= since,
            )
            rows = conn.execute(query.order_by(_T.c.key, _T.c.fetched_at, _T.c.id)).all()
            out += zip([r.run_id for r in rows], self._build(conn, rows), strict=True)
        return out

    def last_ok_before(
        self, conn: Connection, asins: Sequence[str], marketplace: str, before: Any
    ) -> list[tuple[int, ProductSnapshot]]:
        """(run id, snapshot) of each ASIN's latest `ok` snapshot fetched before `before`, if any."""
        out: list[tuple[int, ProductSnapshot]] = []
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
            query = self._select().where(_T.c.id.in_(select(latest_ok).select_from(keys)))
            rows = conn.execute(query.order_by(_T.c.key)).all()
            out += zip([r.run_id for r in rows], self._build(conn, rows), strict=True)
        return out

    def of_run(self, conn: Connection, run_id: int) -> list[ProductSnapshot]:
        query = self._select().where(_T.c.run_id == run_id, _T.c.kind == "product", _T.c.outcome.is_not(None))
        return self._build(conn, conn.execute(query.order_by(_T.c.id)).all())

    @staticmethod
    def _select() -> Any:
        return select(*_COLUMNS).select_from(_T.outerjoin(_S, _S.c.target_id == _T.c.id))

    def _build(self, conn: Connection, rows: Sequence[Any]) -> list[ProductSnapshot]:
        blobs = self.contents.load(conn, [i for r in rows for i in (r.content_id, r.reviews_id)])
        # Text blobs decoded once per id, not once per snapshot (a listing's text rarely changes).
        listings = {i: rc.listing_fields(blobs.get(i)) for i in {r.content_id for r in rows}}
        reviews = {i: rc.decode_reviews(blobs.get(i)) for i in {r.reviews_id for r in rows}}
        shared = _Shared()
        return [_snapshot(r, listings[r.content_id], reviews[r.reviews_id], shared) for r in rows]


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


class _Shared:
    """Column values decoded once per distinct stored text and shared between the snapshots of one
    load: day after day most prices, offers, ranks and histograms are the same text. The values are
    immutable records, safe to share (but histograms are dicts: _snapshot copies them)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, Any, Any], Any] = {}

    def json(self, name: str, raw: Any) -> Any:
        if raw is not None and not isinstance(raw, str):  # a driver (psycopg) parsed the JSON already
            return _JSON_DECODERS[name](raw)
        key = (name, raw, None)
        value = self._seen.get(key, self)
        if value is self:
            value = self._seen[key] = _JSON_DECODERS[name](None if raw is None else json.loads(raw))
        return value

    def decimal(self, raw: Any) -> Decimal | None:
        """SQLite keeps decimals as text (crawler.dbtypes.ExactDecimal); PostgreSQL hands out Decimals."""
        if not isinstance(raw, str):
            return _exact(raw)
        key = ("decimal", raw, None)
        value = self._seen.get(key)
        if value is None:
            value = self._seen[key] = Decimal(raw)
        return value  # type: ignore[no-any-return]

    def money(self, raw: Any, currency: str | None) -> Money | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            return Money(_exact(raw), currency)  # type: ignore[arg-type]
        key = ("money", raw, currency)
        value = self._seen.get(key)
        if value is None:
            value = self._seen[key] = Money(Decimal(raw), currency)  # type: ignore[arg-type]
        return value  # type: ignore[no-any-return]


def _exact(raw: Any) -> Decimal | None:
    """As crawler.dbtypes.ExactDecimal reads a value that is not text."""
    return raw if raw is None or isinstance(raw, Decimal) else Decimal(raw)


# Enum lookups by value without Enum.__call__, which is most of the cost of a row's two enums.
_OUTCOMES = {o.value: o for o in Outcome}
_BUYBOX_STATES = {b.value: b for b in BuyboxState}


def _snapshot(
    r: Any, listing: dict[str, Any], top_reviews: tuple[Any, ...], shared: _Shared
) -> ProductSnapshot:
    (_id, _run_id, asin, marketplace, url, outcome, reason, fetched_at, _content_id, _reviews_id,
     price, price_currency, list_price, list_price_currency, currency, state, buybox_seller, buybox_seller_id,
     ships_from, fba, availability, in_stock, rating, review_count, histogram, coupon, deal_badge,
     other_sellers_count, offers, bsr, redirected_to, missing) = r  # fmt: skip
    hist = shared.json("histogram", histogram)
    return ProductSnapshot(
        asin=asin,
        marketplace=marketplace,
        url=url,
        outcome=_OUTCOMES.get(outcome) or Outcome(outcome),
        reason=reason,
        fetched_at=utc_result(fetched_at),
        price=shared.money(price, price_currency),
        list_price=shared.money(list_price, list_price_currency),
        currency=currency,
        buybox_state=(_BUYBOX_STATES.get(state) or BuyboxState(state)) if state else None,
        buybox_seller=buybox_seller,
        buybox_seller_id=buybox_seller_id,
        ships_from=ships_from,
        fulfilled_by_amazon=fba,
        availability=availability,
        in_stock=in_stock,
        rating=shared.decimal(rating),
        review_count=review_count,
        rating_histogram=None if hist is None else dict(hist),  # a dict: each snapshot its own
        top_reviews=top_reviews,
        coupon=shared.json("coupon", coupon),
        deal_badge=deal_badge,
        other_sellers_count=other_sellers_count,
        offers=shared.json("offers", offers),
        bsr=shared.json("bsr", bsr),
        missing=shared.json("missing", missing),
        redirected_to=redirected_to,
        **listing,
    )
