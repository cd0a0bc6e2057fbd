"""The tracking tables sellers keep by hand, built from the database and written as CSV or XLSX.

- products: one row per product reading (the price table);
- keywords: per keyword and watched ASIN, organic and sponsored position per day;
- lists: per list and ASIN, the rank per day (the best-seller watch table);
- promotions: each coupon or deal with the first and last day it was seen (the expiry table);
- alerts: every alert of the period.
Money is a number with its currency in its own column; times are UTC.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

from sqlalchemy import select

from crawler.models import Target
from crawler.records import Outcome
from crawler.store import Fetched, Store

T = TypeVar("T")

WHAT = ("products", "keywords", "lists", "promotions", "alerts")
TOP_LISTED = 10  # list entries ranked this high at least once are exported besides the watched ASINs

# Column kinds -> XLSX number formats.
FORMATS = {"money": "#,##0.00", "int": "0", "rating": "0.0", "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd",
           "text": "@", "bool": "General"}


@dataclass
class Sheet:
    name: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list[Any]] = field(default_factory=list)


def watched_keys(store: Store, since: datetime | None, kind: str = "product") -> list[tuple[str, str]]:
    """(key, marketplace) of every target of this kind fetched in the period, sorted."""
    query = select(Target.key, Target.marketplace).where(Target.kind == kind, Target.outcome.is_not(None))
    if since is not None:
        query = query.where(Target.fetched_at >= since)
    with store.db.transaction(write=False) as conn:
        return sorted({(r.key, r.marketplace) for r in conn.execute(query.distinct())})


def run_dates(store: Store, run_ids: Iterable[int]) -> dict[int, datetime]:
    out = {}
    for run_id in set(run_ids):
        try:
            out[run_id] = store.run(run_id).started_at
        except LookupError:
            continue
    return out


def products(store: Store, since: datetime | None) -> Sheet:
    sheet = Sheet("products", [
        ("fetched_at (UTC)", "datetime"), ("marketplace", "text"), ("asin", "text"), ("title", "text"),
        ("outcome", "text"), ("price", "money"), ("list_price", "money"), ("currency", "text"),
        ("buybox_seller", "text"), ("buybox_seller_id", "text"), ("fba", "bool"), ("in_stock", "bool"),
        ("rating", "rating"), ("review_count", "int"), ("other_sellers", "int"), ("coupon", "text"),
        ("deal", "text"), ("bsr", "int"), ("bsr_category", "text")])
    for asin, mp in watched_keys(store, since):
        for s in store.product_history(asin, mp, since=since):
            top = s.bsr[0] if s.bsr else None
            currency = s.price.currency if s.price else (s.list_price.currency if s.list_price else s.currency)
            sheet.rows.append([
                s.fetched_at, mp, asin, s.title, s.outcome.value, s.price and s.price.amount,
                s.list_price and s.list_price.amount, currency, s.buybox_seller, s.buybox_seller_id,
                s.fulfilled_by_amazon, s.in_stock, s.rating, s.review_count, s.other_sellers_count,
                s.coupon.text if s.coupon else None, s.deal_badge, top and top.rank, top and top.category])
    return sheet


def by_run(fetched: Iterable[Fetched[T]]) -> dict[int, list[Fetched[T]]]:
    """Pages grouped per run, runs in the order first fetched."""
    out: dict[int, list[Fetched[T]]] = {}
    for f in fetched:
        out.setdefault(f.run_id, []).append(f)
    return out


def _day(dates: dict[int, datetime], run_id: int, group: list[Any]) -> str:
    return dates.get(run_id, group[0].fetched_at).date().isoformat()


def keywords(store: Store, since: datetime | None) -> Sheet:
    """Organic and sponsored positions of the watched ASINs; with several runs a day, the last one."""
    from crawler.monitoring import counted_across_pages, is_brand_search

    watched = watched_keys(store, since)
    days: dict[str, None] = {}
    table: dict[tuple[str, str, str], dict[str, tuple[int | None, int | None]]] = {}
    for keyword, mp in watched_keys(store, since, "search"):
        runs = by_run(f for f in store.search_history(keyword, mp, since=since)
                      if not is_brand_search(f.record.url) and f.record.outcome is Outcome.OK)
        dates = run_dates(store, runs)
        asins = [a for a, m in watched if m == mp]
        last_of_day = {_day(dates, run_id, group): group for run_id, group in runs.items()}
        for day, group in last_of_day.items():
            days[day] = None
            results = [r for p in counted_across_pages([f.record for f in group]) for r in p.results]
            for asin in asins:
                organic = [r.organic_position for r in results if r.asin == asin and r.organic_position]
                sponsored = [r.sponsored_position for r in results if r.asin == asin and r.sponsored_position]
                table.setdefault((keyword, mp, asin), {})[day] = (min(organic, default=None),
                                                                  min(sponsored, default=None))
    ordered = sorted(days)
    sheet = Sheet("keywords", [("keyword", "text"), ("marketplace", "text"), ("asin", "text")]
                  + [c for d in ordered for c in ((f"{d} organic", "int"), (f"{d} sponsored", "int"))])
    for (keyword, mp, asin), cells in sorted(table.items()):
        if not any(o or s for o, s in cells.values()):
            continue  # a watched ASIN of another category: never shown for this keyword
        sheet.rows.append([keyword, mp, asin] + [v for d in ordered for v in cells.get(d, (None, None))])
    return sheet


def lists(store: Store, since: datetime | None) -> Sheet:
    """Ranks of the watched ASINs and of any ASIN once in the top 10; with several runs a day, the last."""
    watched = {a for a, _ in watched_keys(store, since)}
    days: dict[str, None] = {}
    table: dict[tuple[str, str, str], dict[str, int]] = {}
    for path, mp in watched_keys(store, since, "list"):
        runs = by_run(f for f in store.list_history(path, mp, since=since) if f.record.outcome is Outcome.OK)
        dates = run_dates(store, runs)
        last_of_day = {_day(dates, run_id, group): group for run_id, group in runs.items()}
        for day, group in last_of_day.items():
            days[day] = None
            ranks: dict[str, int] = {}
            for f in group:
                for e in f.record.entries:
                    ranks[e.asin] = min(ranks.get(e.asin, e.rank), e.rank)
            for asin, rank in ranks.items():
                if asin in watched or rank <= TOP_LISTED:
                    table.setdefault((path, mp, asin), {})[day] = rank
    ordered = sorted(days)
    sheet = Sheet("lists", [("list", "text"), ("marketplace", "text"), ("asin", "text")]
                  + [(d, "int") for d in ordered])
    for (path, mp, asin), cells in sorted(table.items()):
        sheet.rows.append([path, mp, asin] + [cells.get(d) for d in ordered])
    return sheet


def promotions(store: Store, since: datetime | None) -> Sheet:
    sheet = Sheet("promotions", [
        ("marketplace", "text"), ("asin", "text"), ("kind", "text"), ("promotion", "text"),
        ("first_seen (UTC)", "datetime"), ("last_seen (UTC)", "datetime"), ("readings", "int"),
        ("active", "bool")])
    for asin, mp in watched_keys(store, since):
        seen: dict[tuple[str, str], list[Any]] = {}
        latest: set[tuple[str, str]] = set()
        for s in store.product_history(asin, mp, since=since, only_ok=True):
            now = {("coupon", s.coupon.text)} if s.coupon else set()
            now |= {("deal", s.deal_badge)} if s.deal_badge else set()
            for key in now:
                row = seen.setdefault(key, [s.fetched_at, s.fetched_at, 0])
                row[1] = s.fetched_at
                row[2] += 1
            latest = now
        for (kind, text), (first, last, count) in sorted(seen.items(), key=lambda kv: kv[1][0]):
            sheet.rows.append([mp, asin, kind, text, first, last, count, (kind, text) in latest])
    return sheet


def alerts(store: Store, since: datetime | None) -> Sheet:
    from monitors.messages import english

    sheet = Sheet("alerts", [
        ("run", "int"), ("run_at (UTC)", "datetime"), ("severity", "text"), ("lifecycle", "text"),
        ("monitor", "text"), ("subject_kind", "text"), ("subject", "text"), ("marketplace", "text"),
        ("field", "text"), ("before", "text"), ("after", "text"), ("since (UTC)", "datetime"),
        ("message", "text"), ("url", "text")])
    for run in reversed(store.runs(limit=100_000)):
        if since is not None and run.started_at < since:
            continue
        for a in store.alerts_for_run(run.id):
            sheet.rows.append([run.id, run.started_at, a.severity.value, a.lifecycle.value, a.monitor,
                               a.subject_kind.value, a.subject, a.marketplace, a.field, _text(a.before),
                               _text(a.after), a.since, english(a), a.url])
    return sheet


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


BUILDERS = {"products": products, "keywords": keywords, "lists": lists, "promotions": promotions,
            "alerts": alerts}


def build(store: Store, what: str, since: datetime | None) -> Sheet:
    return BUILDERS[what](store, since)


# -- writers -------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(sheet: Sheet, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(v) for v in row])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: the headers say UTC.
        return value.astimezone(UTC).replace(tzinfo=None)
    return value  # Decimal is written as a number, as printed


def write_xlsx(sheet: Sheet, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet.name
    ws.append([name for name, _ in sheet.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append([_xlsx_value(v) for v in row])
    # Freeze the header, and the label columns of the wide day-by-day tables.
    labels = next((i for i, (_, kind) in enumerate(sheet.columns) if kind != "text"), 0)
    ws.freeze_panes = ws.cell(row=2, column=labels + 1 if sheet.name in ("keywords", "lists") else 1)
    for i, (name, kind) in enumerate(sheet.columns, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(40, len(name) + 2))
        fmt = FORMATS[kind]
        for cell in ws[letter][1:]:
            if cell.value is not None:
                cell.number_format = fmt
    if sheet.name == "products":  # yen and won have no minor unit
        names = [n for n, _ in sheet.columns]
        money = [names.index(n) + 1 for n, kind in sheet.columns if kind == "money"]
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=names.index("currency") + 1).value in ("JPY", "KRW", "CLP"):
                for c in money:
                    ws.cell(row=r, column=c).number_format = "#,##0"
    wb.save(path)
