"""The morning report: gather each marketplace's latest complete run, render, keep, and deliver it.

One consolidated report a day (a seller in US, DE and JP gets one email, not three); the email waits in
the outbox when SMTP is down and goes out on the next attempt; chat channels get a short summary.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from crawler.config import Config
from crawler.records import Outcome
from monitors.base import Alert, SubjectKind

log = logging.getLogger(__name__)

CHART_SUBJECTS = 12  # charts for the subjects of the most important alerts only: mail size
DEMO_SENDER = "storewatch <storewatch@localhost>"


@dataclass(frozen=True)
class Delivery:
    report_path: Path | None
    email: str  # "sent", "queued: ...", "in outbox (no SMTP configured)", "no email"
    chat: str


def latest_runs(store: Any, marketplaces: Iterable[str], kinds: tuple[str, ...] = ("crawl",)) -> list[Any]:
    """For each marketplace, its newest finished crawl run (complete, or incomplete: health then shows why)."""
    wanted = set(marketplaces)
    found: dict[str, Any] = {}
    for run in store.runs(limit=500):
        if run.kind not in kinds or run.status not in ("complete", "incomplete"):
            continue
        for mk in run.marketplaces:
            if mk in wanted and mk not in found:
                found[mk] = run
    unique = {r.id: r for r in found.values()}
    return sorted(unique.values(), key=lambda r: r.id)


def report_runs(runs: list[Any]) -> list[dict[str, Any]]:
    # One line per marketplace: the report names each marketplace it covers.
    return [{"run_id": str(r.id), "marketplace": mk, "started_at": r.started_at,
             "finished_at": r.finished_at, "pages": r.counts.get("pages"), "blocked": r.counts.get("blocked")}
            for r in runs for mk in r.marketplaces]


def product_series(store: Any, alerts: list[Alert], since: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """Price and rating history of the products the most important alerts are about; their titles."""
    series: dict[str, dict[str, list[tuple[datetime, Decimal | int | None]]]] = {}
    titles: dict[str, str] = {}
    subjects: list[tuple[str, str]] = []
    for a in sorted(alerts, key=lambda a: a.severity.order):
        key = (a.subject, a.marketplace)
        if a.subject_kind == SubjectKind.PRODUCT and key not in subjects:
            subjects.append(key)
    for asin, mk in subjects:
        history = [s for s in store.product_history(asin, mk, since=since) if s.outcome == Outcome.OK]
        if not history:
            continue
        titles[asin] = history[-1].title or asin
        if len(series) < CHART_SUBJECTS and len(history) >= 2:
            series[asin] = {
                "price": [(s.fetched_at, s.price.amount if s.price else None) for s in history],
                "rating": [(s.fetched_at, s.rating) for s in history],
            }
    return series, titles


def build_daily_report(store: Any, config: Config, *, generated_at: datetime, data_dir: Path,
                       language: str | None = None, runs: list[Any] | None = None) -> Any:
    from reports.build import build_report

    runs = runs if runs is not None else latest_runs(store, config.marketplaces)
    alerts = [a for r in runs for a in store.alerts_for_run(r.id)]
    series, titles = product_series(store, alerts, generated_at - timedelta(days=30))
    screenshots = {a.subject: a.evidence for a in alerts
                   if a.evidence and a.evidence.endswith(".png") and Path(a.evidence).exists()}
    return build_report(
        alerts, language=language or config.report.language, generated_at=generated_at,
        runs=report_runs(runs), series=series, data_dir=data_dir, screenshots=screenshots,
        own_asins={p.asin for p in config.products if p.own}, titles=titles,
    )


def deliver(report: Any, config: Config, data_dir: Path) -> Delivery:
    """Email through the outbox (SMTP when configured), then chat. Secrets come from the environment."""
    from reports.mail import MailError, Outbox, Queued, SmtpTransport, build_message

    outbox = Outbox(data_dir / "outbox")
    email = config.email
    if email is None:
        msg = build_message(report, sender=DEMO_SENDER, recipients=["you@localhost"])
        path = outbox.put(msg)
        status = f"in outbox, no [email] configured: {path}"
    else:
        msg = build_message(report, sender=email.sender, recipients=list(email.recipients))
        transport = SmtpTransport(email.smtp_host, email.smtp_port, email.security, email.username,
                                  email.password_env)
        try:
            outbox.deliver(msg, transport)
            status = f"sent to {', '.join(email.recipients)}"
        except Queued as e:
            status = f"queued: {e}"
        except MailError as e:
            status = f"not sent: {e}"
    return Delivery(report.archive_path, status, notify_chat(report, config))


def notify_chat(report: Any, config: Config) -> str:
    env = config.report.chat_urls_env
    if not env:
        return "no chat configured"
    urls = [u.strip() for u in os.environ.get(env, "").split(",") if u.strip()]
    if not urls:
        return f"no chat URLs in ${env}"
    from reports.notify import NotifyError, chat_summary, notify

    link = str(report.archive_path) if report.archive_path else None
    try:
        ok = notify(urls, chat_summary(report, link=link))
    except NotifyError as e:
        return f"chat failed: {e}"
    return f"chat sent to {len(urls)} channel(s)" if ok else "chat failed (see log)"
