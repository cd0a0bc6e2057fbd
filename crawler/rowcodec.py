"""Records to compact row values and back, exactly: `decode(encode(x)) == x` for every record.

Compact forms (JSON columns): money is "19.99 USD"; an offer is a short list; histograms and ranks
are lists of pairs. Slow-changing text goes to content blobs (`content_text`, `pack_blob`), stored once
per hash.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crawler.records import (
    Coupon,
    ListEntry,
    Money,
    Offer,
    Rank,
    Review,
    SearchResult,
    SponsoredBanner,
    to_jsonable,
)
from monitors.base import Alert, Lifecycle, Severity, SubjectKind


def money(value: Money | None) -> str | None:
    return None if value is None else f"{value.amount} {value.currency}"


def unmoney(text: str | None) -> Money | None:
    if text is None:
        return None
    amount, _, currency = text.rpartition(" ")
    return Money(Decimal(amount), currency)


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _trim(items: list[Any]) -> list[Any]:
    while items and items[-1] is None:
        items.pop()
    return items


def _pad(items: list[Any], size: int) -> list[Any]:
    return list(items) + [None] * (size - len(items))


# Offers: [seller, seller_id, price, is_buybox, fba, shipping, condition, rating, rating_count]
def encode_offers(offers: tuple[Offer, ...]) -> list[list[Any]] | None:
    if not offers:
        return None
    return [
        _trim(
            [
                o.seller,
                o.seller_id,
                money(o.price),
                o.is_buybox,
                o.fulfilled_by_amazon,
                money(o.shipping),
                o.condition,
                dec(o.seller_rating),
                o.seller_rating_count,
            ]
        )
        for o in offers
    ]


def decode_offers(rows: list[list[Any]] | None) -> tuple[Offer, ...]:
    out = []
    for row in rows or ():
        seller, seller_id, price, is_buybox, fba, shipping, condition, rating, rating_count = _pad(row, 9)
        out.append(
            Offer(
                seller=seller,
                seller_id=seller_id,
                price=unmoney(price),
                shipping=unmoney(shipping),
                condition=condition,
                fulfilled_by_amazon=fba,
                is_buybox=bool(is_buybox),
                seller_rating=undec(rating),
                seller_rating_count=rating_count,
            )
        )
    return tuple(out)


def encode_histogram(hist: dict[int, int] | None) -> list[list[int]] | None:
    return None if hist is None else [[int(k), v] for k, v in hist.items()]


def decode_histogram(rows: list[list[int]] | None) -> dict[int, int] | None:
    return None if rows is None else {int(k): v for k, v in rows}


def encode_coupon(coupon: Coupon | None) -> list[Any] | None:
    return None if coupon is None else [coupon.text, dec(coupon.percent), money(coupon.amount)]


def decode_coupon(row: list[Any] | None) -> Coupon | None:
    if row is None:
        return None
    text, percent, amount = _pad(row, 3)
    return Coupon(text=text, percent=undec(percent), amount=unmoney(amount))


def encode_bsr(ranks: tuple[Rank, ...]) -> list[list[Any]] | None:
    return [[r.rank, r.category] for r in ranks] or None


def decode_bsr(rows: list[list[Any]] | None) -> tuple[Rank, ...]:
    return tuple(Rank(rank=r, category=c) for r, c in rows or ())


def encode_reviews(reviews: tuple[Review, ...]) -> list[list[Any]] | None:
    return [[r.id, r.stars, r.title, r.date, r.verified] for r in reviews] or None


def decode_reviews(rows: list[list[Any]] | None) -> tuple[Review, ...]:
    return tuple(Review(id=i, stars=s, title=t, date=d, verified=v) for i, s, t, d, v in rows or ())


def encode_banners(banners: tuple[SponsoredBanner, ...]) -> list[list[Any]] | None:
    return [[b.kind, b.brand, list(b.asins)] for b in banners] or None


def decode_banners(rows: list[list[Any]] | None) -> tuple[SponsoredBanner, ...]:
    return tuple(SponsoredBanner(kind=k, brand=b, asins=tuple(a)) for k, b, a in rows or ())


def strings(values: tuple[str, ...]) -> list[str] | None:
    return list(values) or None


def unstrings(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


# -- content blobs: text stored once per hash ------------------------------------------------------


def content_text(value: Any) -> tuple[bytes, bytes] | None:
    """(sha256, canonical JSON) of a JSON-able value, or None for "nothing to store". The hash finds a
    stored blob; the text is compressed (`pack_blob`) only when the blob is new."""
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(text).digest(), text


def pack_blob(text: bytes) -> bytes:
    return zlib.compress(text, 9)


def read_blob(data: bytes | None) -> Any:
    return None if data is None else json.loads(zlib.decompress(data))


LISTING_FIELDS = (
    "parent_asin",
    "title",
    "brand",
    "bullets",
    "images",
    "breadcrumbs",
    "has_aplus",
    "variation_asins",
)


def listing_content(snap: Any) -> dict[str, Any] | None:
    """The slow-changing listing text of a ProductSnapshot, or None when the page yielded none."""
    content = {}
    for name in LISTING_FIELDS:
        value = getattr(snap, name)
        if value is not None and value != ():
            content[name] = list(value) if isinstance(value, tuple) else value
    return content or None


def listing_fields(content: dict[str, Any] | None) -> dict[str, Any]:
    content = content or {}
    out: dict[str, Any] = {}
    for name in LISTING_FIELDS:
        value = content.get(name)
        out[name] = tuple(value) if isinstance(value, list) else value
    for name in ("bullets", "images", "breadcrumbs", "variation_asins"):
        out[name] = out[name] or ()
    return out


def result_text(item: SearchResult | ListEntry) -> list[Any] | None:
    brand = getattr(item, "brand", None)
    if item.title is None and brand is None:
        return None
    return [item.title, brand] if isinstance(item, SearchResult) else [item.title]


# -- alert values: JSON with tags so Decimal, Money, datetime and tuples come back as they went in --


def tag(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, StrEnum):
        return value.value  # compares equal to the enum member
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, Money):
        return {"$money": money(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [tag(v) for v in value]}
    if isinstance(value, list):
        return [tag(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: tag(v) for k, v in value.items()}
        return {"$dict": [[tag(k), tag(v)] for k, v in value.items()]}
    return tag(to_jsonable(value))  # other records: stored as their JSON contract


def untag(value: Any) -> Any:
    if isinstance(value, list):
        return [untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$dec":
            return Decimal(inner)
        if key == "$money":
            return unmoney(inner)
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$tuple":
            return tuple(untag(v) for v in inner)
        if key == "$dict":
            return {untag(k): untag(v) for k, v in inner}
    return {k: untag(v) for k, v in value.items()}


# -- alerts ------------------------------------------------------------------------------------------


def alert_row(run_id: int, a: Alert) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "monitor": a.monitor,
        "severity": Severity(a.severity).value,
        "subject_kind": SubjectKind(a.subject_kind).value,
        "subject": a.subject,
        "marketplace": a.marketplace,
        "field": a.field,
        "before": tag(a.before),
        "after": tag(a.after),
        "message_key": a.message_key,
        "params": tag(dict(a.params)),
        "since": a.since,
        "url": a.url,
        "lifecycle": Lifecycle(a.lifecycle).value,
        "evidence": a.evidence,
        "discriminator": a.discriminator,
        "event": a.event,
        "checked": a.checked,
    }


def alert_from_row(r: Any) -> Alert:
    return Alert(
        monitor=r.monitor,
        severity=Severity(r.severity),
        subject_kind=SubjectKind(r.subject_kind),
        subject=r.subject,
        marketplace=r.marketplace,
        message_key=r.message_key,
        params=untag(r.params) or {},
        field=r.field,
        before=untag(r.before),
        after=untag(r.after),
        since=r.since,
        url=r.url,
        lifecycle=Lifecycle(r.lifecycle),
        evidence=r.evidence,
        discriminator=r.discriminator,
        event=r.event,
        checked=r.checked,
    )
