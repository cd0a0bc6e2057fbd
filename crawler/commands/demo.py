"""`storewatch demo`: the whole loop against the embedded offline storefront, with no setup.

Day 1 and day 2 crawls (each in its own process), the monitors after each, the HTML report written to
the archive, and the email in the outbox (sent as well when `--smtp` names a server).
"""
from __future__ import annotations

import os
import time
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Self

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    home: Annotated[Path | None, typer.Option("--home", help="Where the demo keeps its data (default: "
                                              "demo/ in the data directory, emptied first).")] = None,
    language: Annotated[str, typer.Option("--language", help="Report language: en or zh-CN.")] = "en",
    smtp: Annotated[str | None, typer.Option("--smtp", help="HOST:PORT of an SMTP server (no TLS, no "
                                             "login) to send the report to you@localhost.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="An offline storefront already running "
                                                 "(python -m fixtures.storefront) instead of the embedded one.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store in this database (e.g. an empty PostgreSQL "
                                           "one) instead of demo.db in the demo's folder.")] = None,
) -> None:
    """Crawl the offline storefront on day 1 and day 2, run the monitors, write and mail the report."""
    from rich.console import Console

    from crawler.exceptions import UsageError
    from crawler.paths import data_dir, ensure_private_dir
    from fixtures.storefront import Storefront

    if language not in ("en", "zh-CN"):
        raise UsageError(f"unknown report language {language!r}: use en or zh-CN")
    console = Console(highlight=False)
    home = ensure_private_dir(home or data_dir() / "demo")
    for leftover in home.glob("demo.db*"):
        leftover.unlink()
    os.environ["STOREWATCH_HOME"] = str(home)  # reports, outbox and evidence stay in the demo's folder
    db_url = db or f"sqlite:///{home / 'demo.db'}"
    config_path = home / "demo-watchlist.toml"
    config_path.write_text(demo_watchlist(language, smtp), encoding="utf-8")
    started = time.monotonic()
    if base_url:
        from crawler.commands.common import base_url_arg
        from crawler.marketplaces import get

        base_url_arg(base_url, get("us"))
    with (RemoteStorefront(base_url) if base_url else Storefront(scenario="day1")) as shop:
        console.print(f"Offline storefront at {shop.url} · watchlist {config_path}")
        for day in ("day1", "day2"):
            shop.set_scenario(day)
            with console.status(f"crawling {day} and running the monitors ..."):
                summary = crawl_and_monitor(str(config_path), db_url, shop.url)
            console.print(f"{day}: run {summary['run_id']} {summary['status']}, "
                          f"{summary['counts']['pages']} pages, {summary['alerts']} alerts")
        with console.status("writing the report ..."):
            delivery = report_and_deliver(str(config_path), db_url, home)
    show_result(console, db_url, delivery, time.monotonic() - started, language)


class RemoteStorefront:
    """A storefront started elsewhere (`python -m fixtures.storefront`), switched over its control route."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.set_scenario("day1")

    def set_scenario(self, name: str) -> None:
        import urllib.error
        import urllib.request

        from crawler.exceptions import UsageError

        try:
            urllib.request.urlopen(urllib.request.Request(f"{self.url}/__scenario/{name}", method="POST"),
                                   timeout=10).close()
        except (urllib.error.URLError, OSError) as e:
            raise UsageError(f"{self.url} is no offline storefront (POST /__scenario/{name}: {e}); start one "
                             "with: python -m fixtures.storefront --port 8000") from None


def demo_watchlist(language: str, smtp: str | None) -> str:
    text = files("fixtures.storefront").joinpath("watchlist.toml").read_text(encoding="utf-8")
    text = text.replace('language = "en"', f'language = "{language}"')
    if smtp:
        host, _, port = smtp.rpartition(":")
        text += (f'\n[email]\nsmtp_host = "{host or "localhost"}"\nsmtp_port = {int(port)}\nsecurity = "none"\n'
                 'sender = "storewatch <storewatch@localhost>"\nrecipients = ["you@localhost"]\n')
    return text


def crawl_and_monitor(config_path: str, db_url: str, base_url: str) -> dict[str, Any]:
    from crawler.config import load_config
    from crawler.cycle import crawl_in_subprocess
    from crawler.monitoring import monitor_run
    from crawler.session import storage

    rc, summary = crawl_in_subprocess(config_path, db_url, base_url, None, own_only=False)
    if summary is None:
        raise RuntimeError(f"the demo crawl failed (exit {rc}); run it with --verbose to see why")
    with storage(db_url) as s:
        alerts = monitor_run(s.store, load_config(config_path), summary["run_id"])
    return {**summary, "alerts": len(alerts)}


def report_and_deliver(config_path: str, db_url: str, home: Path) -> Any:
    from datetime import UTC, datetime

    from crawler.config import load_config
    from crawler.delivery import build_daily_report, deliver
    from crawler.session import storage

    config = load_config(config_path)
    with storage(db_url) as s:
        report = build_daily_report(s.store, config, generated_at=datetime.now(UTC), data_dir=home)
    return report, deliver(report, config, home)


def show_result(console: Any, db_url: str, delivery: Any, seconds: float, language: str = "en") -> None:
    from rich.markup import escape
    from rich.table import Table

    from crawler.session import storage
    from reports import i18n
    from reports.messages import message

    report, result = delivery
    console.print(f"\n[bold]{escape(report.subject)}[/bold]")
    with storage(db_url) as s:
        run = s.store.runs(limit=1)[0]
        alerts = s.store.alerts_for_run(run.id)
    # Three columns, so an 80-column terminal still reads one alert per row; the details are in the
    # report and in `storewatch alerts --json`.
    table = Table(title="Day 2 alerts (most important first)")
    table.add_column("severity", no_wrap=True)
    table.add_column("subject", no_wrap=True)
    table.add_column("what happened", overflow="fold")
    with i18n.use_language(language):  # the same sentences as the report, in its language
        for a in alerts[:25]:
            table.add_row(a.severity.value, escape(f"{a.subject} ({a.marketplace})"), escape(message(a)))
    console.print(table)
    if len(alerts) > 25:
        console.print(f"... and {len(alerts) - 25} more in the report")
    console.print(f"Report: {result.report_path}")
    console.print(f"Email: {escape(result.email)}")
    console.print(f"Every alert in full: storewatch alerts --db {db_url}", soft_wrap=True)
    console.print(f"Finished in {seconds:.0f} s.")
