"""Stored results: `alerts`, `history`, `export`, and `monitor` (run the monitors over a stored run)."""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.commands.adhoc import DbOpt, JsonOpt

RunOpt = Annotated[str, typer.Option("--run", help="'latest' (the newest finished run) or a run id.")]
SinceOpt = Annotated[str, typer.Option("--since", help="How far back: 30d, 12h, 2w, or a date (2026-11-01).")]
PRODUCT_FIELDS = ("price", "rating", "review_count", "buybox_seller", "other_sellers_count", "bsr")
SPARKS = "▁▂▃▄▅▆▇█"


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)
    app.command("history")(history)
    app.command("export")(export)
    app.command("monitor")(monitor)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    from crawler.exceptions import UsageError

    now = now or datetime.now(UTC)
    m = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", text or "")
    if m:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since {text!r}: use 30d, 12h, 2w or a date such as 2026-11-01") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _console() -> Any:
    from rich.console import Console

    # Piped output (files, tests, cron mail) gets wide rows instead of folded columns.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def _show(value: Any) -> str:
    from rich.markup import escape

    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


# -- alerts ----------------------------------------------------------------------------------------


def alerts(run: RunOpt = "latest", json_out: JsonOpt = False, db: DbOpt = None) -> None:
    """List the alerts of a run (newest by default), most important first."""
    from crawler.commands.common import print_json
    from crawler.monitoring import resolve_run
    from crawler.records import to_jsonable
    from crawler.session import storage

    with storage(db) as s:
        info = resolve_run(s.store, run)
        found = s.store.alerts_for_run(info.id)
    if json_out:
        print_json([to_jsonable(a) for a in found])
        return
    print_alerts(found, f"run {info.id} · {info.kind} · {info.started_at:%Y-%m-%d %H:%M} UTC · {len(found)} alert(s)")


def print_alerts(found: list[Any], title: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from monitors.messages import english

    table = Table(title=title)
    for col in ("severity", "state", "monitor", "subject", "mp", "field", "before → after", "message"):
        table.add_column(col, overflow="fold")
    for a in found:
        state = a.lifecycle.value + ("" if a.checked else " (unread)")
        table.add_row(a.severity.value, state, a.monitor, _show(a.subject), a.marketplace, _show(a.field),
                      f"{_show(a.before)} → {_show(a.after)}", escape(english(a)))
    _console().print(table)


# -- monitor ---------------------------------------------------------------------------------------


def monitor(
    config: Annotated[Path, typer.Option("--config", "-c", help="The watchlist the run was crawled with.")],
    run: RunOpt = "latest",
    json_out: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Run the monitors over a stored run, store its alerts (replacing earlier ones) and print them."""
    from crawler.commands.common import print_json
    from crawler.config import load_config
    from crawler.monitoring import monitor_run, resolve_run
    from crawler.records import to_jsonable
    from crawler.session import storage

    cfg = load_config(config)
    with storage(db) as s:
        info = resolve_run(s.store, run)
        found = monitor_run(s.store, cfg, info.id)
    if json_out:
        print_json([to_jsonable(a) for a in found])
        return
    print_alerts(found, f"run {info.id} · {len(found)} alert(s)")


# -- history ---------------------------------------------------------------------------------------


def sparkline(values: list[float | None]) -> str:
    """One block character per reading, scaled between the lowest and highest; blank when unread."""
    nums = [v for v in values if v is not None]
    if not nums:
        return ""
    lo, hi = min(nums), max(nums)
    span = hi - lo
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARKS[int((v - lo) / span * (len(SPARKS) - 1)) if span else 0])
    return "".join(out)


def _product_value(snap: Any, name: str) -> Any:
    if name == "price":
        return snap.price.amount if snap.price else None
    if name == "bsr":
        return snap.bsr[0].rank if snap.bsr else None
    return getattr(snap, name)


def subject_kind(subject: str) -> str:
    from crawler.records import is_asin

    if subject.startswith(("/", "http://", "https://")):
        return "list"
    text = subject.strip()
    # Every ASIN and ISBN-10 has a digit; a ten-letter keyword ("waterproof") has none.
    return "product" if is_asin(text.upper()) and any(c.isdigit() for c in text) else "keyword"


def history(
    subject: Annotated[str, typer.Argument(help="An ASIN, a keyword, or a list path (/gp/bestsellers/...).")],
    marketplace: Annotated[str | None, typer.Option("--marketplace", "-m", help="Marketplace code; "
                                                    "needed only when the subject was read on several.")] = None,
    field: Annotated[str, typer.Option("--field", help="Product field: " + ", ".join(PRODUCT_FIELDS))] = "price",
    asin: Annotated[list[str] | None, typer.Option("--asin", help="Keyword or list: the ASINs to follow "
                                                   "(repeatable; default: the watchlist's tracked ASINs with "
                                                   "--config, else the top 5 of the latest reading).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="The watchlist, for its tracked "
                                                "ASINs.")] = None,
    since: SinceOpt = "30d",
    json_out: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """A field over time: a product's price, rating, ...; ASIN positions for a keyword; ranks in a list."""
    from crawler.commands.common import asin_arg, print_json
    from crawler.exceptions import UsageError
    from crawler.session import storage

    kind = subject_kind(subject)
    start = parse_since(since)
    if kind == "product" and field not in PRODUCT_FIELDS:
        raise UsageError(f"--field {field!r}: use one of {', '.join(PRODUCT_FIELDS)}")
    follow = [asin_arg(a) for a in asin or []]
    with storage(db) as s:
        if kind == "product":
            subject = asin_arg(subject)
        mp = _marketplace(s.store, kind, subject, marketplace)
        if not follow and config is not None and kind != "product":
            follow = tracked_asins(config, kind, subject, mp)
        if kind == "product":
            points = _product_points(s.store, subject, mp, field, start)
            series = {field: [p["value"] for p in points]}
        else:
            points, series = _ranked_points(s.store, kind, subject, mp, start, follow)
    if json_out:
        print_json({"subject": subject, "kind": kind, "marketplace": mp,
                    "field": field if kind == "product" else ("position" if kind == "keyword" else "rank"),
                    "since": start.isoformat(), "points": points})
        return
    _print_history(kind, subject, mp, field, points, series)


def tracked_asins(path: Path, kind: str, subject: str, marketplace: str) -> list[str]:
    """A keyword's tracked ASINs (default: the own ASINs of its marketplace); for a list, own and competitors."""
    from crawler.config import load_config
    from monitors.from_config import settings_from_config

    settings = settings_from_config(load_config(path))
    if kind == "keyword":
        return [a for k in settings.keywords if (k.keyword, k.marketplace) == (subject, marketplace) for a in k.asins]
    own = [p.asin for p in settings.own_products if p.marketplace in (None, marketplace)]
    return list(dict.fromkeys([*own, *settings.competitors]))


def _marketplace(store: Any, kind: str, subject: str, marketplace: str | None) -> str:
    from crawler.exceptions import UsageError
    from crawler.exports import watched_keys
    from crawler.store import list_key

    if marketplace:
        return marketplace.lower()
    key = list_key(subject)[0] if kind == "list" else subject
    found = sorted({mp for k, mp in watched_keys(store, None, "search" if kind == "keyword" else kind) if k == key})
    if not found:
        raise UsageError(f"nothing stored for {kind} {subject!r}: check the spelling, or crawl it first")
    if len(found) > 1:
        raise UsageError(f"{subject!r} was read on several marketplaces ({', '.join(found)}): pass --marketplace")
    return found[0]


def _product_points(store: Any, asin: str, mp: str, field: str, start: datetime) -> list[dict[str, Any]]:
    from crawler.records import Outcome, to_jsonable

    points = []
    for snap in store.product_history(asin, mp, since=start):
        ok = snap.outcome is Outcome.OK
        value = _product_value(snap, field) if ok else None
        points.append({"at": to_jsonable(snap.fetched_at), "outcome": snap.outcome.value,
                       "value": to_jsonable(value),
                       "currency": snap.price.currency if field == "price" and snap.price else None})
    return points


def _ranked_points(store: Any, kind: str, subject: str, mp: str, start: datetime,
                   follow: list[str]) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    from crawler.monitoring import counted_across_pages, is_brand_search
    from crawler.records import Outcome
    from crawler.store import list_key

    if kind == "keyword":
        fetched = [f for f in store.search_history(subject, mp, since=start) if not is_brand_search(f.record.url)]
    else:
        fetched = store.list_history(list_key(subject)[0], mp, since=start)
    by_run: dict[int, list[Any]] = {}
    for f in fetched:
        by_run.setdefault(f.run_id, []).append(f)
    readings = []
    for run_id, group in by_run.items():
        ok = all(f.record.outcome is Outcome.OK for f in group)
        positions: dict[str, dict[str, int]] = {}
        pages: list[Any] = [f.record for f in group]
        if kind == "keyword":
            pages = counted_across_pages(pages)
        for page in pages:
            rows = page.results if kind == "keyword" else page.entries
            for r in rows:
                cell = positions.setdefault(r.asin, {})
                if kind == "list":
                    cell["rank"] = min(cell.get("rank", r.rank), r.rank)
                elif r.sponsored and r.sponsored_position:
                    cell["sponsored"] = min(cell.get("sponsored", r.sponsored_position), r.sponsored_position)
                elif not r.sponsored and r.organic_position:
                    cell["organic"] = min(cell.get("organic", r.organic_position), r.organic_position)
        readings.append((run_id, min(f.fetched_at for f in group), ok, positions))
    readings.sort(key=lambda r: (r[1], r[0]))
    if not follow and readings:
        measure = "rank" if kind == "list" else "organic"
        latest = next((r[3] for r in reversed(readings) if r[2]), readings[-1][3])
        follow = sorted((a for a in latest if measure in latest[a]), key=lambda a: latest[a][measure])[:5]
    points = []
    for run_id, at, ok, positions in readings:
        points.append({"run_id": run_id, "at": at.isoformat(), "complete": ok,
                       "positions": {a: positions.get(a, {}) for a in follow} if ok else {}})
    measure = "rank" if kind == "list" else "organic"
    series = {a: [p["positions"].get(a, {}).get(measure) for p in points] for a in follow}
    return points, series


def _print_history(kind: str, subject: str, mp: str, field: str, points: list[dict[str, Any]],
                   series: dict[str, list[Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    table = Table(title=escape(f"{subject} · {mp} · {field if kind == 'product' else kind} since "
                               f"{points[0]['at'][:10] if points else '—'}"))
    table.add_column("read at (UTC)")
    if kind == "product":
        table.add_column(field, justify="right")
        table.add_column("outcome")
        for p in points:
            value = _show(p["value"]) + (f" {p['currency']}" if p.get("currency") else "")
            table.add_row(p["at"][:16].replace("T", " "), value, p["outcome"])
    else:
        names = list(series)
        for a in names:
            table.add_column(a, justify="right")
        for p in points:
            cells = []
            for a in names:
                pos = p["positions"].get(a)
                if not p["complete"]:
                    cells.append("unread")
                elif kind == "list":
                    cells.append(_show(pos.get("rank") if pos else None))
                else:
                    org, spon = (pos or {}).get("organic"), (pos or {}).get("sponsored")
                    cells.append(_show(org) + (f" (ad {spon})" if spon else ""))
            table.add_row(p["at"][:16].replace("T", " "), *cells)
    console.print(table)
    for name, values in series.items():
        nums = [_number(v) for v in values]
        if any(v is not None for v in nums):
            console.print(f"{escape(name):>14}  {sparkline(nums)}  "
                          f"(low {_show(min(v for v in nums if v is not None))}, "
                          f"high {_show(max(v for v in nums if v is not None))})")


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


# -- export ----------------------------------------------------------------------------------------


def export(
    what: Annotated[str, typer.Option("--what", help="products | keywords | lists | promotions | alerts")],
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    since: SinceOpt = "30d",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: CSV to stdout, "
                                             "XLSX to storewatch-WHAT.xlsx).")] = None,
    db: DbOpt = None,
) -> None:
    """Export a tracking table: prices, keyword ranks, best-seller ranks, promotions, or alerts."""
    from crawler import exports
    from crawler.exceptions import UsageError
    from crawler.session import storage

    if what not in exports.WHAT:
        raise UsageError(f"--what {what!r}: use one of {', '.join(exports.WHAT)}")
    if fmt not in ("csv", "xlsx"):
        raise UsageError(f"--format {fmt!r}: use csv or xlsx")
    start = parse_since(since)
    with storage(db) as s:
        sheet = exports.build(s.store, what, start)
    if fmt == "xlsx":
        path = out or Path(f"storewatch-{what}.xlsx")
        exports.write_xlsx(sheet, str(path))
        typer.echo(f"wrote {len(sheet.rows)} row(s) to {path}", err=True)
    elif out is None:
        exports.write_csv(sheet, sys.stdout)
    else:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            exports.write_csv(sheet, fh)
        typer.echo(f"wrote {len(sheet.rows)} row(s) to {out}", err=True)
