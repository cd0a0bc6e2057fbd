"""Stored product rows back to ProductSnapshots, built in bulk: a monitor run reads ~330,000 of them at
10,000 listings, so the per-row work is cut to dict lookups and one cheap constructor call.

Day after day most prices, offers, ranks, histograms and listing texts are the same stored text, so each
distinct text is decoded once per load and its value shared between snapshots (values are immutable
records; histograms are dicts, so each snapshot gets its own copy).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Text, cast, select, type_coerce
from sqlalchemy.engine import Connection

from crawler import rowcodec as rc
from crawler.dbtypes import utc_result
from crawler.models import ProductSnapshotRow, Target
from crawler.records import BuyboxState, Money, Outcome, ProductSnapshot

R = TypeVar("R")
_T = Target.__table__
_S = ProductSnapshotRow.__table__
_JSON_DECODERS: dict[str, Callable[[Any], Any]] = {
    "histogram": rc.decode_histogram,
    "coupon": rc.decode_coupon,
    "offers": rc.decode_offers,
    "bsr": rc.decode_bsr,
    "missing": rc.unstrings,
}
_DECIMALS = ("price", "list_price", "rating")
# The snapshot columns in the order SnapshotReader unpacks them (rows are read by position).
_FIELDS = (
    "content_id", "reviews_id", "price", "price_currency", "list_price", "list_price_currency", "currency",
    "buybox_state", "buybox_seller", "buybox_seller_id", "ships_from", "fulfilled_by_amazon", "availability",
    "in_stock", "rating", "review_count", "histogram", "coupon", "deal_badge", "other_sellers_count", "offers",
    "bsr", "redirected_to", "missing",
)  # fmt: skip
assert set(_FIELDS) == {c.name for c in _S.c} - {"target_id"}, "a product_snapshots column is not read"
COLUMNS = [
    _T.c.id,
    _T.c.run_id,
    _T.c.key,
    _T.c.marketplace,
    _T.c.url,
    _T.c.outcome,
    _T.c.reason,
    type_coerce(_T.c.fetched_at, Text).label("fetched_at"),  # SQLite's text, parsed by utc_result
    # JSON and decimal columns as text on every database (PostgreSQL's driver would parse them), so that
    # the text is the key its decoded value is remembered by.
    *(cast(_S.c[name], Text).label(name) if name in _JSON_DECODERS or name in _DECIMALS else _S.c[name]
      for name in _FIELDS),
]  # fmt: skip


def select_rows() -> Any:
    """Targets with their snapshot row (none for a blocked page), COLUMNS in order."""
    return select(*COLUMNS).select_from(_T.outerjoin(_S, _S.c.target_id == _T.c.id))


def frozen_builder(cls: type[R]) -> Callable[..., R]:
    """A constructor of the frozen, slotted dataclass `cls` taking every field positionally, in field order,
    about 3x faster than `cls(...)`, whose frozen __init__ sets each field through object.__setattr__ (a
    third of building a snapshot). It fills an unfrozen class with the same slots, then turns the object
    into a `cls` (CPython allows `__class__` assignment between classes of one layout, and checks it)."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    assert getattr(cls, "__slots__", None) == names and not hasattr(cls, "__post_init__"), cls
    code = f"def __init__(self, {', '.join(names)}):\n" + "".join(f"    self.{n} = {n}\n" for n in names)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - a fixed template over the class's field names, as dataclasses does
    filler = type(f"_{cls.__name__}Filler", (), {"__slots__": names, "__init__": namespace["__init__"]})

    def build(*values: Any) -> R:
        obj = filler(*values)
        obj.__class__ = cls
        return obj  # type: ignore[no-any-return]

    return build


_new_snapshot = frozen_builder(ProductSnapshot)
# The listing fields in ProductSnapshot's order, as SnapshotReader unpacks them.
_LISTING = tuple(f.name for f in dataclasses.fields(ProductSnapshot) if f.name in rc.LISTING_FIELDS)
assert _LISTING == ("parent_asin", "title", "brand", "breadcrumbs", "bullets", "images", "has_aplus",
                    "variation_asins"), _LISTING


class _Memo(dict[Any, Any]):
    """Stored value -> decoded value, decoded on first sight: one dict lookup per column per row."""

    __slots__ = ("decode",)

    def __init__(self, decode: Callable[[Any], Any]) -> None:
        super().__init__()
        self.decode = decode

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = self.decode(raw)
        return value


def _json(decode: Callable[[Any], Any]) -> _Memo:
    return _Memo(lambda raw: decode(None if raw is None else json.loads(raw)))


def _money(raw: tuple[str | None, str | None]) -> Money | None:
    amount, currency = raw
    return None if amount is None else Money(Decimal(amount), currency)  # type: ignore[arg-type]


class SnapshotReader:
    """Builds the snapshots of one load, whose rows may come in several queries (chunks of ASINs)."""

    def __init__(self, load_contents: Callable[[Connection, Iterable[int | None]], dict[int, Any]]) -> None:
        self._load = load_contents  # content id -> its decoded JSON (ContentCache.load)
        self._outcomes = _Memo(Outcome)
        self._states = _Memo(lambda raw: BuyboxState(raw) if raw else None)
        self._decimals = _Memo(lambda raw: None if raw is None else Decimal(raw))
        self._money = _Memo(_money)
        self._json = {name: _json(decode) for name, decode in _JSON_DECODERS.items()}
        # content id -> the listing fields (_LISTING order) / the top reviews
        self._listings: dict[int | None, tuple[Any, ...]] = {}
        self._reviews: dict[int | None, tuple[Any, ...]] = {}

    def _load_contents(self, conn: Connection, rows: Sequence[Any]) -> None:
        listings = {r[8] for r in rows} - self._listings.keys()  # content_id (by position: 10x cheaper)
        reviews = {r[9] for r in rows} - self._reviews.keys()  # reviews_id
        blobs = self._load(conn, listings | reviews)
        for i in listings:
            fields = rc.listing_fields(blobs.get(i))  # type: ignore[arg-type]
            self._listings[i] = tuple(fields[name] for name in _LISTING)
        for i in reviews:
            self._reviews[i] = rc.decode_reviews(blobs.get(i))  # type: ignore[arg-type]

    def snapshots(self, conn: Connection, rows: Sequence[Any]) -> list[ProductSnapshot]:
        """The snapshots of rows selected by `select_rows()`, in order."""
        self._load_contents(conn, rows)
        outcomes, states, decimals, money = self._outcomes, self._states, self._decimals, self._money
        hists, coupons, offers, ranks, missings = self._json.values()
        listings, reviews, new = self._listings, self._reviews, _new_snapshot
        out = []
        for (_id, _run_id, asin, marketplace, url, outcome, reason, fetched_at, content_id, reviews_id,
             price, price_currency, list_price, list_price_currency, currency, state, buybox_seller,
             buybox_seller_id, ships_from, fba, availability, in_stock, rating, review_count, histogram,
             coupon, deal_badge, other_sellers_count, offers_text, bsr, redirected_to,
             missing) in rows:  # fmt: skip
            (parent_asin, title, brand, breadcrumbs, bullets, images, has_aplus,
             variation_asins) = listings[content_id]  # fmt: skip
            hist = hists[histogram]
            # Every field of ProductSnapshot, in its order (frozen_builder takes them positionally).
            out.append(new(
                asin, marketplace, url, outcomes[outcome], reason, parent_asin, utc_result(fetched_at), title,
                brand, money[price, price_currency], money[list_price, list_price_currency], currency,
                states[state], buybox_seller, buybox_seller_id, ships_from, fba, availability, in_stock,
                decimals[rating], review_count, None if hist is None else dict(hist), reviews[reviews_id],
                coupons[coupon], deal_badge, other_sellers_count, offers[offers_text], ranks[bsr],
                breadcrumbs, bullets, images, has_aplus, variation_asins, missings[missing], redirected_to,
            ))  # fmt: skip
        return out

