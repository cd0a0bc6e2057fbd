"""`storewatch schedule`: run the nightly crawls, own-listing checks and the daily report on time."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule)


def schedule(
    config: Annotated[Path, typer.Option("--config", help="The watchlist (TOML).")],
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL for snapshots and the job store "
            "(default: STOREWATCH_DB, else the data directory's SQLite file).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="Crawl this shop front instead of Amazon (e.g. the offline storefront)."
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run one full cycle now (crawl every marketplace, "
            "then the report) and exit with its exit code.",
        ),
    ] = False,
) -> None:
    """Run the crawls and the daily report on schedule until stopped (SIGTERM or Ctrl-C)."""
    from rich.console import Console

    from crawler import scheduler as sched_mod
    from crawler.config import load_config

    console = Console(highlight=False)
    _setup_logging()
    cfg = load_config(config)
    target = sched_mod.DEFAULT_TARGET
    if once:
        code = sched_mod.run_once(cfg, config, db_url=db, base_url=base_url, target=target)
        raise typer.Exit(code)
    runner = sched_mod.build_scheduler(cfg, config, db_url=db, base_url=base_url, target=target)
    stop = threading.Event()
    previous = _on_stop_signals(stop, console)
    try:
        jobs = runner.start()
        _print_jobs(console, jobs)
        console.print("Scheduler running; stop it with SIGTERM or Ctrl-C.")
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
        running = runner.running_job
        if running:
            console.print(
                f"Stopping: waiting for the running job {running} to finish (signal again to abort it)."
            )
        else:
            console.print("Stopping: no job is running.")
        runner.shutdown(wait=True)
    finally:
        runner.shutdown(wait=False)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("storewatch scheduler stopped.")


def _on_stop_signals(stop: threading.Event, console: Any) -> dict[int, Any]:
    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():  # a second signal: the user does not want to wait for the running job
            console.print(f"{signal.Signals(signum).name} again: exiting without waiting.")
            console.file.flush()
            os._exit(1)  # skips the executor's wait, which a normal exit would still do
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _print_jobs(console: Any, jobs: list[tuple[Any, Any]]) -> None:
    from rich import box
    from rich.table import Table

    from crawler.scheduler import fire_time_text

    table = Table(title="Scheduled jobs", box=box.SIMPLE, title_justify="left")
    for col in ("job", "time zone", "next run (local)", "next run (UTC)"):
        table.add_column(col, no_wrap=True)
    for spec, job in jobs:
        local, utc = fire_time_text(job.next_run_time, spec.timezone)
        table.add_row(spec.id, spec.timezone, local, utc)
    console.print(table)


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:  # a host application (or pytest) may have configured logging already
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
