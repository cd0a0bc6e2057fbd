"""Small builders for monitor tests: snapshots, pages, histories over consecutive daily runs."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

from crawler.records import (
    BuyboxState,
    Coupon,
    ListEntry,
    ListPage,
    Money,
    Offer,
    Outcome,
    ProductSnapshot,
    Rank,
    Review,
    SearchPage,
    SearchResult,
    SponsoredBanner,
)
from monitors.base import Alert
from monitors.history import History, Run
from monitors.messages import MESSAGE_KEYS
from monitors.settings import MonitorSettings, OwnProduct, TrackedKeyword, TrackedList

T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
OWN = "B0OWN00001"
OWN2 = "B0OWN00002"
COMP = "B0COMP0001"
ME = "AOWNSELLER1"
OWN_NAME = "Acme Home Store"
MP = "us"
KEYWORD = "garlic press"
LIST_PATH = "/gp/bestsellers/kitchen"
OK, BLOCKED, NOT_FOUND = Outcome.OK, Outcome.BLOCKED, Outcome.NOT_FOUND


def run(i: int, days: float = 1) -> Run:
    return Run(f"r{i}", T0 + timedelta(days=i * days))


def usd(value: str | int) -> Money:
    return Money(Decimal(str(value)), "USD")


def product(asin: str = OWN, outcome: Outcome = OK, **fields: Any) -> ProductSnapshot:
    base: dict[str, Any] = {}
    if outcome is OK:
        base = {"title": "Acme Garlic Press", "brand": "Acme", "price": usd("19.99"),
                "buybox_state": BuyboxState.OWNED, "buybox_seller": OWN_NAME, "buybox_seller_id": ME,
                "rating": Decimal("4.6"), "review_count": 1000, "in_stock": True}
    base.update(fields)
    return ProductSnapshot(asin=asin, marketplace=MP, url=f"https://www.amazon.com/dp/{asin}", outcome=outcome,
                           **base)


def lost(asin: str = OWN, seller_id: str = "AHIJACKER1", seller: str = "Cheap Co", **fields: Any) -> ProductSnapshot:
    return product(asin, buybox_seller=seller, buybox_seller_id=seller_id, **fields)


def offer(seller_id: str | None, price: str | None = "19.99", seller: str | None = "", **fields: Any) -> Offer:
    """An offer; the seller name defaults to "Shop <id>" (pass None for an offer without a name)."""
    return Offer(seller=seller if seller != "" else f"Shop {seller_id}", seller_id=seller_id,
                 price=usd(price) if price is not None else None, **fields)


def review(rid: str, stars: int) -> Review:
    return Review(id=rid, stars=stars, title=f"title {rid}", date="2026-11-01", verified=True)


def coupon(percent: str | None = None, amount: str | None = None, text: str = "Save with coupon") -> Coupon:
    return Coupon(text=text, percent=Decimal(percent) if percent else None, amount=usd(amount) if amount else None)


def rank(r: int, category: str = "Kitchen") -> tuple[Rank, ...]:
    return (Rank(r, category),)


def history(series: dict[str, Sequence[ProductSnapshot | None]] | None = None, days: float = 1) -> History:
    """Products over consecutive runs (None = not fetched that run); the last run is current."""
    series = series or {}
    n = max((len(s) for s in series.values()), default=1)
    h = History(run=run(n - 1, days))
    for i in range(n):
        for snaps in series.values():
            if i < len(snaps) and snaps[i] is not None:
                h.add_product(run(i, days), snaps[i])  # type: ignore[arg-type]
    return h


def own_series(*snaps: ProductSnapshot | None) -> History:
    return history({OWN: snaps})


def search_page(cards: Iterable[str], page: int = 1, outcome: Outcome = OK, start: int = 0,
                banners: tuple[SponsoredBanner, ...] = (), keyword: str = KEYWORD, **card: Any) -> SearchPage:
    """Cards as ASINs, a leading "*" marks a sponsored card (e.g. ["*B0COMP0001", OWN])."""
    results, organic, sponsored = [], start, 0
    for pos, a in enumerate(cards, 1):
        is_ad = a.startswith("*")
        if is_ad:
            sponsored += 1
        else:
            organic += 1
        results.append(SearchResult(page=page, position=pos, asin=a.lstrip("*"), sponsored=is_ad,
                                    organic_position=None if is_ad else organic,
                                    sponsored_position=sponsored if is_ad else None, **card))
    return SearchPage(keyword=keyword, marketplace=MP, url=f"https://www.amazon.com/s?k={keyword}&page={page}",
                      page=page, outcome=outcome, results=tuple(results) if outcome is OK else (),
                      banners=banners)


def ranked(asins: Iterable[str], extra: int = 0) -> list[str]:
    """Organic cards with `asins` first, padded with `extra` filler ASINs."""
    return [*asins, *(f"B0FILL{i:04d}" for i in range(extra))]


def list_page(asins: Sequence[str], outcome: Outcome = OK) -> ListPage:
    entries = tuple(ListEntry(rank=i, asin=a, title=f"Item {a}", price=usd("9.99")) for i, a in enumerate(asins, 1))
    return ListPage(kind="bestsellers", marketplace=MP, url=f"https://www.amazon.com{LIST_PATH}", outcome=outcome,
                    entries=entries if outcome is OK else ())


def searches(runs: Sequence[Sequence[SearchPage] | None], h: History | None = None, keyword: str = KEYWORD) -> History:
    h = h or History(run=run(len(runs) - 1))
    for i, pages in enumerate(runs):
        if pages is not None:
            h.add_search(run(i), keyword, MP, pages)
    return h


def lists(runs: Sequence[Sequence[ListPage] | None]) -> History:
    h = History(run=run(len(runs) - 1))
    for i, pages in enumerate(runs):
        if pages is not None:
            h.add_list(run(i), LIST_PATH, MP, pages)
    return h


def settings(**overrides: Any) -> MonitorSettings:
    base: dict[str, Any] = {
        "own_seller_ids": {MP: frozenset({ME})},
        "own_seller_names": (OWN_NAME,),
        "own_products": (OwnProduct(OWN, title="Acme Garlic Press", brand="Acme", price_floor=Decimal(15)),
                         OwnProduct(OWN2)),
        "competitors": {COMP: (OWN,)},
        "keywords": (TrackedKeyword(KEYWORD, MP, (OWN,), top_n=5),),
        "lists": (TrackedList(LIST_PATH, MP, top_n=5),),
        "watched_brands": ("Rival",),
    }
    base.update(overrides)
    return MonitorSettings(**base)


def is_jsonable(value: Any) -> bool:
    try:
        json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal) else _fail(v))
    except TypeError:
        return False
    return True


def _fail(v: Any) -> Any:
    raise TypeError(type(v).__name__)


def check_module(module: ModuleType, h: History, s: MonitorSettings) -> list[Alert]:
    """Every alert of a monitor module, checked against the message contract."""
    alerts = [a for cls in module.MONITORS for a in cls().check(h, s)]
    for a in alerts:
        assert a.message_key in MESSAGE_KEYS, a.message_key
        assert set(a.params) == set(MESSAGE_KEYS[a.message_key]), (a.message_key, sorted(a.params))
        assert is_jsonable([a.params, a.before, a.after]), a
        if a.subject_kind.value == "product":
            assert a.url and a.subject in a.url
    return alerts


def summary(alerts: Iterable[Alert]) -> list[tuple[str, str]]:
    return sorted((a.message_key, a.discriminator) for a in alerts)


def with_params(alerts: Iterable[Alert], key: str) -> list[dict[str, Any]]:
    return [a.params for a in alerts if a.message_key == key]


