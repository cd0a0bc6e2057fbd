"""The JSON contract of the ad-hoc commands (`check`, `offers`): documented in README.md.

Money becomes a string amount ("1299.99") beside a `currency` key; enums their values; datetimes ISO 8601.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crawler.records import PRODUCT_FIELDS, Coupon, Money, Offer, OffersPage, ProductSnapshot, to_jsonable


def money(value: Money | None) -> str | None:
    return str(value.amount) if value is not None else None


def number(value: Decimal | None) -> float | None:
    # Ratings are not money: a JSON number reads best for users' scripts.
    return float(value) if value is not None else None


def offer_json(o: Offer, currency: str | None) -> dict[str, Any]:
    return {
        "seller": o.seller,
        "seller_id": o.seller_id,
        "price": money(o.price),
        "currency": o.price.currency if o.price else currency,
        "shipping": money(o.shipping),
        "condition": o.condition,
        "fulfilled_by_amazon": o.fulfilled_by_amazon,
        "is_buybox": o.is_buybox,
        "seller_rating": number(o.seller_rating),
        "seller_rating_count": o.seller_rating_count,
    }


def coupon_json(c: Coupon | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "text": c.text,
        "percent": str(c.percent) if c.percent is not None else None,
        "amount": money(c.amount),
    }


def product_json(s: ProductSnapshot) -> dict[str, Any]:
    """Exactly the record's public fields, in the documented order."""
    out: dict[str, Any] = {}
    for name in PRODUCT_FIELDS:
        value = getattr(s, name)
        if name in ("price", "list_price"):
            out[name] = money(value)
        elif name == "rating":
            out[name] = number(value)
        elif name == "coupon":
            out[name] = coupon_json(value)
        elif name == "offers":
            out[name] = [offer_json(o, s.currency) for o in value]
        elif name == "rating_histogram":
            out[name] = {str(k): v for k, v in value.items()} if value is not None else None
        else:
            out[name] = to_jsonable(value)
    return out


def offers_json(page: OffersPage) -> dict[str, Any]:
    from crawler.marketplaces import get

    currency = get(page.marketplace).currency
    return {
        "asin": page.asin,
        "marketplace": page.marketplace,
        "url": page.url,
        "outcome": page.outcome.value,
        "reason": page.reason,
        "total_count": page.total_count,
        "offers": [offer_json(o, currency) for o in page.offers],
    }


def search_result_json(r: Any) -> dict[str, Any]:
    return {
        "page": r.page,
        "position": r.position,
        "asin": r.asin,
        "sponsored": r.sponsored,
        "organic_position": r.organic_position,
        "sponsored_position": r.sponsored_position,
        "title": r.title,
        "brand": r.brand,
        "price": money(r.price),
        "currency": r.price.currency if r.price else None,
        "rating": number(r.rating),
        "review_count": r.review_count,
        "badges": list(r.badges),
        "coupon": r.coupon,
        "deal": r.deal,
    }


def search_json(
    keyword: str, marketplace: str, pages: list[Any], results: list[Any], tracked: list[Any]
) -> dict[str, Any]:
    return {
        "keyword": keyword,
        "marketplace": marketplace,
        "pages": [
            {"page": p.page, "url": p.url, "outcome": p.outcome.value, "reason": p.reason}
            for p in sorted(pages, key=lambda p: p.page)
        ],
        "results": [search_result_json(r) for r in results],
        "banners": [to_jsonable(b) for p in pages for b in p.banners],
        "tracked": [
            {
                "asin": t.asin,
                "organic_position": t.organic_position,
                "sponsored_position": t.sponsored_position,
                "page": t.page,
            }
            for t in tracked
        ],
    }


def list_json(pages: list[Any]) -> dict[str, Any]:
    first = next((p for p in pages if p.outcome.value == "ok"), pages[0] if pages else None)
    entries = [
        {
            "rank": e.rank,
            "asin": e.asin,
            "title": e.title,
            "price": money(e.price),
            "currency": e.price.currency if e.price else None,
            "rating": number(e.rating),
            "review_count": e.review_count,
            **({"list": e.list} if e.list else {}),
        }
        for p in pages
        for e in p.entries
    ]
    return {
        "list": first.name if first else None,
        "kind": first.kind if first else None,
        "category": first.category if first else None,
        "url": first.url if first else None,
        "outcome": first.outcome.value if first else None,
        "reason": first.reason if first else None,
        "entries": entries,
    }
