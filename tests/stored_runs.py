"""Builders for tests that fill a real database through the Store API: runs, products, pages, a watchlist."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from crawler.config import Config, parse_config
from crawler.db import open_database
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
    SearchPage,
    SearchResult,
)
from crawler.store import Store
from tests.conftest import db_url_for

OWN = "B0OWN00001"
COMP = "B0COMP0001"
ME = "AOWNSELLER01"
HIJACKER = "AHIJACKER001"
BASE = "https://www.amazon.com"
KEYWORD = "garlic press"
BRAND = "Rival"
LIST_PATH = "/gp/bestsellers/kitchen"

WATCHLIST = f"""
name = "test"
[marketplaces.us]
own_seller_ids = ["{ME}"]
own_seller_names = ["Acme Home"]

[[products]]
asin = "{OWN}"
marketplace = "us"
own = true
price_floor = 10

[[products]]
asin = "{COMP}"
marketplace = "us"

[[keywords]]
term = "{KEYWORD}"
marketplace = "us"
pages = 2
track = ["{OWN}"]
top_n = 5

[[lists]]
path = "{LIST_PATH}"
marketplace = "us"
pages = 2
top_n = 5

[[brands]]
name = "{BRAND}"
marketplace = "us"

[thresholds]
rank_move = 3
"""


def config() -> Config:
    return parse_config(WATCHLIST)


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def open_store(tmp_path: Path) -> tuple[str, Store]:
    url = db_url_for(tmp_path, "sw.db")
    return url, Store(open_database(url))


def usd(v: str) -> Money:
    return Money(Decimal(v), "USD")


def product(asin: str, at: datetime, outcome: Outcome = Outcome.OK, **fields: Any) -> ProductSnapshot:
    base: dict[str, Any] = {}
    if outcome is Outcome.OK:
        base = {"title": f"Acme {asin}", "brand": "Acme", "price": usd("19.99"), "currency": "USD",
                "buybox_state": BuyboxState.OWNED, "buybox_seller": "Acme Home", "buybox_seller_id": ME,
                "rating": Decimal("4.6"), "review_count": 100, "in_stock": True, "bsr": (Rank(50, "Kitchen"),)}
    base.update(fields)
    return ProductSnapshot(asin=asin, marketplace="us", url=f"{BASE}/dp/{asin}", outcome=outcome, fetched_at=at,
                           **base)


def lost(asin: str, at: datetime, **fields: Any) -> ProductSnapshot:
    return product(asin, at, buybox_seller="Cheap Co", buybox_seller_id=HIJACKER, **fields)


def coupon(percent: str) -> Coupon:
    return Coupon(f"Save {percent}%", percent=Decimal(percent))


def offer(seller_id: str, price: str) -> Offer:
    return Offer(seller=f"Shop {seller_id}", seller_id=seller_id, price=usd(price))


def search_page(keyword: str, page: int, cards: list[str], sort: str | None = None,
                outcome: Outcome = Outcome.OK, start: int = 0) -> SearchPage:
    """Cards as ASINs; "*" marks a sponsored one. `sort` makes it a brand search URL."""
    results, organic, sponsored = [], start, 0
    for pos, a in enumerate(cards, 1):
        ad = a.startswith("*")
        sponsored += ad
        organic += not ad
        results.append(SearchResult(page=page, position=pos, asin=a.lstrip("*"), sponsored=ad,
                                    organic_position=None if ad else organic,
                                    sponsored_position=sponsored if ad else None, brand=BRAND, title=f"{BRAND} x"))
    url = f"{BASE}/s?k={keyword.replace(' ', '+')}" + (f"&s={sort}" if sort else "") + (
        f"&page={page}" if page > 1 else "")
    return SearchPage(keyword=keyword, marketplace="us", url=url, page=page, outcome=outcome,
                      results=tuple(results) if outcome is Outcome.OK else ())


def list_page(page: int, asins: list[str], outcome: Outcome = Outcome.OK, first_rank: int = 1) -> ListPage:
    entries = tuple(ListEntry(rank=first_rank + i, asin=a, title=f"Item {a}", price=usd("9.99"))
                    for i, a in enumerate(asins))
    url = f"{BASE}{LIST_PATH}" + (f"?pg={page}" if page > 1 else "")
    return ListPage(kind="bestsellers", marketplace="us", url=url, outcome=outcome,
                    entries=entries if outcome is Outcome.OK else ())


def start_run(store: Store, at: datetime, kind: str = "crawl") -> int:
    return store.start_run(kind, ["us"], "test", started_at=at)


def days_ago(n: float) -> datetime:
    now = datetime.now(UTC).replace(microsecond=0)
    return now - timedelta(days=n)
