"""Readable terminal tables for the ad-hoc commands (rich). Scraped text is printed as text, never markup."""
from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crawler.jsonout import product_json
from crawler.records import Money

# Piped output (into a file, a mail, a chat) gets room for whole ids instead of 80 columns.
console = Console(highlight=False, soft_wrap=False,
                  width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Money):  # the currency is in the table's title
        return str(value.amount)
    if isinstance(value, list):
        if not value:
            return "—"
        if all(isinstance(v, str) for v in value):
            return escape(" | ".join(value))
        if all(isinstance(v, dict) and v.keys() == {"rank", "category"} for v in value):  # best-sellers ranks
            return escape(" | ".join(f"#{v['rank']:,} in {v['category']}" for v in value))
        return escape(f"{len(value)} item(s)")
    if isinstance(value, dict):
        return escape(", ".join(f"{k}: {v}" for k, v in value.items() if v is not None))
    return escape(str(value))


def print_product(snap: Any) -> None:
    data = product_json(snap)
    table = Table(title=f"{snap.asin} · {snap.marketplace} · {snap.outcome.value}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in data.items():
        if name in ("offers", "top_reviews"):
            continue
        table.add_row(name, _show(value))
    console.print(table)
    if snap.offers:
        _offers_table(snap.offers, f"offers of {snap.asin}")
    if snap.top_reviews:
        reviews = Table(title="top reviews")
        for col in ("id", "stars", "title", "date", "verified"):
            reviews.add_column(col)
        for r in snap.top_reviews:
            reviews.add_row(escape(r.id), _show(r.stars), _show(r.title), _show(r.date), "yes" if r.verified else "")
        console.print(reviews)


def print_changes(changes: list[Any], previous: Any) -> None:
    if previous is None:
        console.print("No earlier check of this product is stored: nothing to compare.")
        return
    if not changes:
        console.print(f"No change since {previous.fetched_at:%Y-%m-%d %H:%M} UTC.")
        return
    table = Table(title=f"changed since {previous.fetched_at:%Y-%m-%d %H:%M} UTC")
    for col in ("field", "before", "after"):
        table.add_column(col, overflow="fold")
    for c in changes:
        table.add_row(c.field, _show(c.before), _show(c.after))
    console.print(table)


def _id_column(table: Table, name: str, width: int) -> None:
    """Ids are never cut: a truncated seller id is useless in a case with Amazon."""
    table.add_column(name, no_wrap=True, min_width=width)


def _text_column(table: Table, name: str, width: int = 40) -> None:
    table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=width)


def _offers_table(offers: Any, title: str) -> None:
    table = Table(title=title)
    table.add_column("#", no_wrap=True, min_width=2)
    _text_column(table, "seller", 20)
    _id_column(table, "seller id", 14)
    for col in ("price", "shipping", "condition", "FBA", "buy box"):
        table.add_column(col, no_wrap=True, min_width=len(col))
    for i, o in enumerate(offers, 1):
        table.add_row(str(i), _show(o.seller), _show(o.seller_id), _show(o.price), _show(o.shipping),
                      _show(o.condition), {True: "yes", False: "no"}.get(o.fulfilled_by_amazon, "—"),
                      "★" if o.is_buybox else "")
    console.print(table)


def print_offers(page: Any) -> None:
    if not page.outcome.readable:
        console.print(f"{page.asin}: {page.outcome.value} ({escape(page.reason or '')})")
        return
    currency = page.offers[0].price.currency if page.offers and page.offers[0].price else ""
    _offers_table(page.offers, f"offers of {page.asin} · {page.marketplace} · {currency}")


def print_search(keyword: str, pages: list[Any], results: list[Any], tracked: list[Any]) -> None:
    if tracked:
        table = Table(title=f"tracked ASINs for {escape(keyword)!r}")
        _id_column(table, "asin", 10)
        for col in ("organic", "sponsored", "page"):
            table.add_column(col, no_wrap=True, min_width=len(col))
        for t in tracked:
            table.add_row(t.asin, _show(t.organic_position) if t.organic_position else "not indexed",
                          _show(t.sponsored_position), _show(t.page))
        console.print(table)
    table = Table(title=f"results for {escape(keyword)!r} ({len(pages)} page(s))")
    for col in ("page", "pos", "org", "spon"):
        table.add_column(col, no_wrap=True, min_width=len(col))
    _id_column(table, "asin", 10)
    _text_column(table, "title", 24)
    for col in ("price", "rating", "reviews"):
        table.add_column(col, no_wrap=True, min_width=len(col))
    for r in results:
        table.add_row(str(r.page), str(r.position), _show(r.organic_position), _show(r.sponsored_position),
                      r.asin, _show(r.title), _show(r.price), _show(r.rating), _show(r.review_count))
    console.print(table)


def print_list(pages: list[Any]) -> None:
    first = next((p for p in pages if p.outcome.value == "ok"), None)
    title = (first.name if first else None) or "list"
    table = Table(title=escape(title))
    landing = any(e.list for p in pages for e in p.entries)  # the all-departments page: several lists
    if landing:
        _text_column(table, "list", 20)
    table.add_column("rank", no_wrap=True, min_width=4)
    _id_column(table, "asin", 10)
    _text_column(table, "title", 24)
    for col in ("price", "rating", "reviews"):
        table.add_column(col, no_wrap=True, min_width=len(col))
    for p in pages:
        for e in p.entries:
            cells = [str(e.rank), e.asin, _show(e.title), _show(e.price), _show(e.rating), _show(e.review_count)]
            table.add_row(*([_show(e.list)] if landing else []), *cells)
    console.print(table)
    for p in pages:
        if not p.outcome.readable:
            console.print(f"{escape(p.url)}: {p.outcome.value} ({escape(p.reason or '')})")
