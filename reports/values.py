"""Alert values as text in the report's language: field names, money, percents, yes/no, page kinds.

Monitors hand values over raw (Decimal, int, bool, None, lists; the currency in a `currency` param).
The name of a value decides how it reads: `percent`, `share` and `threshold` are percents (in percent
units), money names are amounts in the alert's currency. Scraped strings are cut to one short line;
the templates escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from monitors.base import Alert, SubjectKind
from reports import i18n
from reports.i18n import N_

MAX_TEXT = 160  # scraped strings longer than this are cut; the product page has the rest
PERCENT_NAMES = frozenset({"percent", "percent_change", "share", "threshold", "buybox_share",
                           "rating_histogram"})  # the histogram holds each star count's percent
SIGNED_NAMES = frozenset({"percent_change"})  # a change: "+12.5%"
MONEY_NAMES = frozenset(
    {
        "price",
        "list_price",
        "own_price",
        "landed",
        "difference",
        "effective",
        "floor",
        "low",
        "high",
        "amount",
    }
)
MONEY_FIELDS = frozenset({"price", "list_price"})

FIELD_LABELS: dict[str, str] = {
    "price": N_("price"),
    "list_price": N_("list price"),
    "title": N_("title"),
    "brand": N_("brand"),
    "buybox_seller": N_("buy box seller"),
    "buybox_state": N_("buy box"),
    "buybox_share": N_("buy box share"),
    "rating": N_("rating"),
    "review_count": N_("review count"),
    "rating_histogram": N_("star ratings"),
    "top_reviews": N_("top reviews"),
    "coupon": N_("coupon"),
    "deal_badge": N_("deal"),
    "availability": N_("availability"),
    "in_stock": N_("in stock"),
    "other_sellers_count": N_("other sellers"),
    "seller": N_("seller"),
    "offers": N_("offers"),
    "bsr": N_("sales rank"),
    "bullets": N_("bullet points"),
    "images": N_("images"),
    "main_image": N_("main image"),
    "image_count": N_("number of images"),
    "has_aplus": N_("A+ content"),
    "variation_asins": N_("variations"),
    "parent_asin": N_("parent ASIN"),
    "ships_from": N_("ships from"),
    "fulfilled_by_amazon": N_("fulfilled by Amazon"),
    "breadcrumbs": N_("category"),
    "organic_position": N_("search position"),
    "position": N_("position"),
    "sponsored": N_("sponsored results"),
    "banner": N_("sponsored banner"),
    "rank": N_("rank"),
    "asin": N_("product"),
    "url": N_("address"),
    "outcome": N_("page"),
    "reviews": N_("reviews"),
}
VALUE_LABELS: dict[str, str] = {
    "owned": N_("held"),
    "suppressed": N_("suppressed"),
    "unavailable": N_("unavailable"),
    "price_hidden": N_("price hidden"),
    "choose_variation": N_("choose a variation"),
    "not_found": N_("not found"),
    "blocked": N_("blocked"),
    "http_error": N_("server error"),
    "timeout": N_("timed out"),
    "redirected": N_("redirected"),
    "ok": N_("read"),
}
VALUE_FIELDS = frozenset({"buybox_state", "outcome", "state"})
# Crawl-health alerts name a page kind as their subject (and in their `kind` param).
PAGE_KINDS: dict[str, str] = {
    "product": N_("product pages"),
    "offers": N_("offer pages"),
    "search": N_("search pages"),
    "bestsellers": N_("best-seller pages"),
    "list": N_("best-seller pages"),
    "brand": N_("brand pages"),
    "monitors": N_("monitors"),
}
NOT_SHOWN = N_("not shown")
YES, NO = N_("yes"), N_("no")


def field_label(name: str | None) -> str:
    if not name:
        return ""
    label = FIELD_LABELS.get(name)
    return i18n.gettext(label) if label else name.replace("_", " ")


def subject_label(alert: Alert, value: str | None = None) -> str:
    """The subject as shown: an ASIN, keyword, list or brand as is; a page kind translated."""
    subject = alert.subject if value is None else value
    if (alert.subject_kind is SubjectKind.CRAWL or value is not None) and subject in PAGE_KINDS:
        return i18n.gettext(PAGE_KINDS[subject])
    return cut(subject)


def cut(text: str) -> str:
    text = " ".join(text.split())  # scraped text: no newlines or runs of spaces in one line
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def format_value(value: Any, name: str | None = None, currency: str | None = None) -> str:
    """A before/after value or a param, as text in the current language."""
    if value is None:
        return i18n.gettext(NOT_SHOWN)
    if isinstance(value, bool):
        return i18n.gettext(YES if value else NO)
    if isinstance(value, Enum):
        value = value.value
    amount = getattr(value, "amount", None)
    if amount is not None and hasattr(value, "currency"):  # records.Money
        return i18n.money(amount, value.currency)
    if isinstance(value, Mapping):
        if "amount" in value and "currency" in value:  # Money as JSON
            try:
                return i18n.money(value["amount"], value["currency"])
            except ArithmeticError:
                pass
        return cut(", ".join(f"{k}: {format_value(v)}" for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return cut(", ".join(format_value(v) for v in value)) or "—"
    if isinstance(value, (int, float, Decimal)):
        if name in PERCENT_NAMES:
            return i18n.percent(value, signed=name in SIGNED_NAMES)
        if currency and name in MONEY_NAMES:
            return i18n.money(value, currency)
        return i18n.number(value)
    if isinstance(value, (datetime, date)):
        return i18n.when(value, short=True)
    text = str(value)
    if name in VALUE_FIELDS and text in VALUE_LABELS:
        return i18n.gettext(VALUE_LABELS[text])
    return cut(text)
