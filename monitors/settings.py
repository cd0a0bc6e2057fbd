"""What the monitors need to know about the seller: identities, watched subjects and thresholds.

Built by the config loader from TOML; every field has a default so tests state only what they vary.
Threshold semantics are uniform: a *change* alerts when it reaches its threshold (>=: a 5 % move with
a 5 % threshold alerts), a *floor* alerts only strictly below it (a 4.3 rating with a 4.3 floor is fine).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ANY_MARKETPLACE = "*"


@dataclass(frozen=True, slots=True)
class OwnProduct:
    """An ASIN the seller owns, with the values the listing is expected to show (None = not checked)."""

    asin: str
    marketplace: str | None = None  # None: the same expectations on every marketplace
    title: str | None = None
    brand: str | None = None
    main_image: str | None = None  # an image URL or Amazon image id (e.g. "71abcDEF12L")
    bullets_count: int | None = None
    category: str | None = None  # the leaf breadcrumb, or the whole path "A > B > C"
    price_floor: Decimal | None = None  # in the marketplace's currency


@dataclass(frozen=True, slots=True)
class TrackedKeyword:
    keyword: str
    marketplace: str
    asins: tuple[str, ...]  # the seller's ASINs whose rank is tracked
    top_n: int = 10


@dataclass(frozen=True, slots=True)
class TrackedList:
    path: str  # e.g. "/gp/bestsellers/kitchen/289814"
    marketplace: str
    top_n: int = 20


@dataclass(frozen=True)
class MonitorSettings:
    # Identities. Seller ids per marketplace; ANY_MARKETPLACE ("*") applies everywhere (unified EU accounts).
    own_seller_ids: dict[str, frozenset[str]] = field(default_factory=dict)
    own_seller_names: tuple[str, ...] = ()
    own_brands: tuple[str, ...] = ()  # besides the expected brands of own products
    authorised_seller_ids: frozenset[str] = frozenset()
    own_products: tuple[OwnProduct, ...] = ()
    # competitor ASIN -> the own ASINs it competes with (empty: watched on its own)
    competitors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keywords: tuple[TrackedKeyword, ...] = ()
    lists: tuple[TrackedList, ...] = ()
    watched_brands: tuple[str, ...] = ()
    # Buy box
    buybox_share_min: Decimal = Decimal(85)  # percent
    buybox_share_days: tuple[int, ...] = (7, 30)
    buybox_share_min_samples: int = 3  # fewer ok snapshots in a window: no share alert
    # Ratings and reviews
    rating_step: Decimal = Decimal("0.1")
    rating_floor: Decimal = Decimal("4.3")
    low_star_max: int = 3  # 1-3 stars, Amazon's own "critical reviews" filter
    # Prices
    price_change_percent: Decimal = Decimal(5)
    price_trend_days: int = 7
    # Keywords and lists
    rank_move: int = 10
    bsr_move_percent: Decimal = Decimal(20)
    keyword_fall_runs: int = 3
    newcomer_runs: int = 3
    # A value that changed at least `flap_changes` times over the last `flap_window` readings and came
    # back to an earlier value is reported once as flapping instead of once per change.
    flap_window: int = 6
    flap_changes: int = 3
    # Crawl health (percent)
    blocked_ratio: Decimal = Decimal(10)
    missing_ratio: Decimal = Decimal(30)
    # Built in __post_init__: (asin, marketplace or None) -> OwnProduct
    _own_index: dict[tuple[str, str | None], OwnProduct] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(p.asin, p.marketplace): p for p in self.own_products}
        object.__setattr__(self, "_own_index", index)

    def own(self, asin: str, marketplace: str) -> OwnProduct | None:
        """The own product's expectations on this marketplace, or None when the ASIN is not own."""
        index = self._own_index
        return index.get((asin, marketplace)) or index.get((asin, None))

    def is_own_seller(self, seller_id: str | None, marketplace: str) -> bool:
        if not seller_id:
            return False
        ids = self.own_seller_ids
        return seller_id in ids.get(marketplace, ()) or seller_id in ids.get(ANY_MARKETPLACE, ())

    def is_authorised(self, seller_id: str | None, marketplace: str) -> bool:
        return self.is_own_seller(seller_id, marketplace) or (seller_id or "") in self.authorised_seller_ids

    def own_asins(self) -> frozenset[str]:
        return frozenset(p.asin for p in self.own_products)

    def all_own_brands(self) -> frozenset[str]:
        brands = [*self.own_brands, *(p.brand for p in self.own_products if p.brand)]
        return frozenset(b.casefold() for b in brands)
