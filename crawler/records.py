"""The records storewatch reads off pages: frozen, typed, and free of any I/O.

Money is always `Money(Decimal, currency)`; `None` means "not shown on the page", never zero.
Parsers build these records; spiders attach run metadata with `dataclasses.replace`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

ASIN_RE = re.compile(r"^[0-9A-Z]{10}$")


def is_asin(value: str) -> bool:
    """An ASIN is ten characters of 0-9 and A-Z (books use their ISBN-10, e.g. 000004458X)."""
    return bool(ASIN_RE.match(value or ""))


class Outcome(StrEnum):
    """How a fetch ended. Only `ok` snapshots are ever diffed."""

    OK = "ok"
    BLOCKED = "blocked"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    PARSE_INCOMPLETE = "parse_incomplete"
    REDIRECTED = "redirected"

    @property
    def readable(self) -> bool:
        """True when the page was read (the CLI exits 0)."""
        return self in (Outcome.OK, Outcome.PARSE_INCOMPLETE)


class BuyboxState(StrEnum):
    OWNED = "owned"  # someone holds the buy box: there is an Add to Cart with a price
    SUPPRESSED = "suppressed"  # offers exist but no featured offer ("See all buying options")
    UNAVAILABLE = "unavailable"  # "Currently unavailable" / out of stock
    PRICE_HIDDEN = "price_hidden"  # "add to cart to see price"
    CHOOSE_VARIATION = "choose_variation"  # a size/colour must be chosen before a price shows


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class Coupon:
    """A coupon of this product in the buy box ("Save 10% with coupon")."""

    text: str
    percent: Decimal | None = None
    amount: Money | None = None


@dataclass(frozen=True, slots=True)
class Review:
    id: str
    stars: int | None
    title: str | None
    date: str | None
    verified: bool


@dataclass(frozen=True, slots=True)
class Offer:
    seller: str | None
    seller_id: str | None
    price: Money | None
    shipping: Money | None = None  # None: not shown; Money(0) only when "FREE delivery" is printed
    condition: str | None = None
    fulfilled_by_amazon: bool | None = None
    is_buybox: bool = False
    seller_rating: Decimal | None = None  # percent positive, where shown
    seller_rating_count: int | None = None


@dataclass(frozen=True, slots=True)
class Rank:
    """One best-sellers rank line: #rank in category."""

    rank: int
    category: str


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    asin: str
    marketplace: str
    url: str
    outcome: Outcome
    reason: str | None = None
    parent_asin: str | None = None
    fetched_at: datetime | None = None
    title: str | None = None
    brand: str | None = None
    price: Money | None = None
    list_price: Money | None = None
    currency: str | None = None
    buybox_state: BuyboxState | None = None
    buybox_seller: str | None = None
    buybox_seller_id: str | None = None
    ships_from: str | None = None
    fulfilled_by_amazon: bool | None = None
    availability: str | None = None
    in_stock: bool | None = None
    rating: Decimal | None = None
    review_count: int | None = None
    rating_histogram: dict[int, int] | None = None  # stars -> percent
    top_reviews: tuple[Review, ...] = ()
    coupon: Coupon | None = None
    deal_badge: str | None = None
    other_sellers_count: int | None = None
    offers: tuple[Offer, ...] = ()
    bsr: tuple[Rank, ...] = ()
    breadcrumbs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    has_aplus: bool | None = None
    variation_asins: tuple[str, ...] = ()
    # Parser health: expected fields this page did not yield (not part of the JSON contract).
    missing: tuple[str, ...] = field(default=(), compare=False)
    redirected_to: str | None = None


# The public JSON contract of `storewatch check --json`: exactly these top-level keys (plus "changes").
PRODUCT_FIELDS: tuple[str, ...] = (
    "asin", "parent_asin", "marketplace", "url", "fetched_at", "outcome", "reason", "title", "brand",
    "price", "list_price", "currency", "buybox_state", "buybox_seller", "buybox_seller_id", "ships_from",
    "fulfilled_by_amazon", "availability", "in_stock", "rating", "review_count", "rating_histogram",
    "top_reviews", "coupon", "deal_badge", "other_sellers_count", "offers", "bsr", "breadcrumbs",
    "bullets", "images", "has_aplus", "variation_asins",
)


@dataclass(frozen=True, slots=True)
class OffersPage:
    asin: str
    marketplace: str
    url: str
    outcome: Outcome
    reason: str | None = None
    offers: tuple[Offer, ...] = ()
    total_count: int | None = None  # the count the panel prints, where shown
    missing: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class SearchResult:
    page: int
    position: int  # 1-based position among result cards on this page
    asin: str
    sponsored: bool
    organic_position: int | None  # counted over all pages read, sponsored cards not counted
    sponsored_position: int | None
    title: str | None = None
    brand: str | None = None
    price: Money | None = None
    rating: Decimal | None = None
    review_count: int | None = None
    badges: tuple[str, ...] = ()
    coupon: str | None = None
    deal: str | None = None


@dataclass(frozen=True, slots=True)
class SponsoredBanner:
    """The sponsored-brand banner or sponsored video above or inside the results."""

    kind: str  # "brand" | "video"
    brand: str | None
    asins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchPage:
    keyword: str
    marketplace: str
    url: str
    page: int
    outcome: Outcome
    reason: str | None = None
    results: tuple[SearchResult, ...] = ()
    banners: tuple[SponsoredBanner, ...] = ()
    missing: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class ListEntry:
    rank: int
    asin: str
    title: str | None = None
    price: Money | None = None
    rating: Decimal | None = None
    review_count: int | None = None
    list: str | None = None  # the heading of its list on the all-departments landing page


@dataclass(frozen=True, slots=True)
class ListPage:
    kind: str  # "bestsellers" | "new_releases" | "movers_and_shakers"
    marketplace: str
    url: str
    outcome: Outcome
    reason: str | None = None
    name: str | None = None  # e.g. "Best Sellers in Amazon Devices & Accessories"
    category: str | None = None
    entries: tuple[ListEntry, ...] = ()
    missing: tuple[str, ...] = field(default=(), compare=False)


def to_jsonable(value: Any) -> Any:
    """Records to plain JSON: Decimal and Money amounts as strings, enums by value, datetimes ISO 8601."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
