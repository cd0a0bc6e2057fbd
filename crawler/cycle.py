"""One scheduled cycle: crawl (in its own process) -> monitors -> report -> delivery.

The scheduler calls `run_cycle` by reference; `storewatch schedule --once` and the demo call it too.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def crawl_in_subprocess(config_path: str, db_url: str | None, base_url: str | None,
                        marketplaces: list[str] | None, own_only: bool) -> tuple[int, dict[str, Any] | None]:
    """A Twisted reactor runs once per process: every crawl gets a fresh one."""
    cmd = [sys.executable, "-c", "from crawler.cli import entry; entry()", "crawl", "--config", config_path,
           "--json"]
    if db_url:
        cmd += ["--db", db_url]
    if base_url:
        cmd += ["--base-url", base_url]
    for mk in marketplaces or []:
        cmd += ["--marketplace", mk]
    if own_only:
        cmd.append("--own-only")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 3):
        log.error("crawl failed (exit %s): %s", proc.returncode, proc.stderr.strip()[-2000:])
        return proc.returncode, None
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        log.error("crawl printed no summary: %s", proc.stderr.strip()[-2000:])
        return 1, None


def run_cycle(config_path: str, db_url: str | None = None, base_url: str | None = None, kind: str = "crawl",
              marketplaces: list[str] | None = None, now: datetime | None = None) -> int:
    from crawler.config import load_config
    from crawler.delivery import deliver
    from crawler.monitoring import monitor_run
    from crawler.paths import data_dir
    from crawler.session import storage

    config = load_config(config_path)
    home = data_dir()
    if kind in ("crawl", "own"):
        rc, summary = crawl_in_subprocess(config_path, db_url, base_url, marketplaces, own_only=kind == "own")
        if summary is None:
            return rc or 1
        with storage(db_url) as s:
            alerts = monitor_run(s.store, config, summary["run_id"])
            if config.report.screenshots:
                alerts = attach_screenshots(s.store, config, summary["run_id"], alerts)
            urgent = [a for a in alerts if a.severity.value == "critical" and a.lifecycle.value == "opened"]
            if kind == "own" and urgent:
                # Intraday own-listing checks send critical alerts at once, not at report time.
                report = _report(s.store, config, home, now, runs=[s.store.run(summary["run_id"])])
                log.warning("%s critical alert(s): %s", len(urgent), deliver(report, config, home).email)
        return rc
    if kind == "report":
        with storage(db_url) as s:
            report = _report(s.store, config, home, now)
            result = deliver(report, config, home)
        log.info("report %s: %s; %s", result.report_path, result.email, result.chat)
        return 0
    raise ValueError(f"unknown cycle kind {kind!r}: crawl, own or report")


def _report(store: Any, config: Any, home: Path, now: datetime | None, runs: list[Any] | None = None) -> Any:
    from crawler.delivery import build_daily_report

    return build_daily_report(store, config, generated_at=now or datetime.now(UTC), data_dir=home, runs=runs)


def attach_screenshots(store: Any, config: Any, run_id: int, alerts: list[Any]) -> list[Any]:
    """Evidence for a case with Amazon: a screenshot of each product page an open alert is about."""
    import dataclasses

    from crawler.screenshots import take_screenshots

    wanted = [a.url for a in alerts if a.url and a.subject_kind.value == "product"
              and a.severity.value in ("critical", "warning") and a.lifecycle.value != "resolved"]
    shots = take_screenshots(wanted, browser_path=config.browser_path)
    if not shots:
        return alerts
    alerts = [dataclasses.replace(a, evidence=shots[a.url]) if a.url in shots else a for a in alerts]
    store.replace_alerts(run_id, alerts)
    return alerts
