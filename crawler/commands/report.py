"""`report`: re-render any run's report; `outbox`: list and retry reports waiting to be mailed."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.commands.adhoc import DbOpt


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("outbox")(outbox)


def report(
    config: Annotated[Path, typer.Option("--config", "-c", help="The watchlist (own ASINs, language).")],
    run: Annotated[str, typer.Option("--run", help="'latest' (each marketplace's latest run) or a run id.")] = "latest",
    language: Annotated[str | None, typer.Option("--language", help="en or zh-CN (default: the config's).")] = None,
    open_it: Annotated[bool, typer.Option("--open", help="Open the report in a browser.")] = False,
    send: Annotated[bool, typer.Option("--send", help="Also deliver it (email through the outbox, chat).")] = False,
    db: DbOpt = None,
) -> None:
    """Render the report of a run (or of each marketplace's latest run) into the archive; print its path."""
    from datetime import UTC, datetime

    from crawler.config import load_config
    from crawler.delivery import build_daily_report, deliver
    from crawler.exceptions import UsageError
    from crawler.paths import data_dir
    from crawler.session import storage

    if language not in (None, "en", "zh-CN"):
        raise UsageError(f"unknown report language {language!r}: use en or zh-CN")
    cfg = load_config(config)
    home = data_dir()
    with storage(db) as s:
        runs = None
        if run != "latest":
            from crawler.monitoring import resolve_run

            runs = [resolve_run(s.store, run)]
        rendered = build_daily_report(s.store, cfg, generated_at=datetime.now(UTC), data_dir=home,
                                      language=language, runs=runs)
        typer.echo(f"{rendered.subject}\n{rendered.archive_path}")
        if send:
            result = deliver(rendered, cfg, home)
            typer.echo(f"email: {result.email}\nchat: {result.chat}")
    if open_it and rendered.archive_path:
        import webbrowser

        webbrowser.open(rendered.archive_path.as_uri())


def outbox(
    retry: Annotated[bool, typer.Option("--retry", help="Send every waiting report now, each exactly once.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="The watchlist with the \\[email] "
                                                "section (needed for --retry).")] = None,
) -> None:
    """List the reports waiting in the outbox; with --retry, send them."""
    from email import policy
    from email.parser import BytesParser

    from crawler.paths import data_dir
    from reports.mail import Outbox, SmtpTransport

    box = Outbox(data_dir() / "outbox")
    waiting = box.pending()
    for path in waiting:
        with path.open("rb") as fh:
            headers = BytesParser(policy=policy.default).parse(fh, headersonly=True)
        typer.echo(f"{path.name}\t{headers['Date']}\t{headers['Subject']}")
    if not retry:
        typer.echo(f"{len(waiting)} report(s) waiting")
        return
    from crawler.config import load_config
    from crawler.exceptions import UsageError

    if config is None:
        raise UsageError("--retry needs --config FILE with an [email] section (the SMTP server to use)")
    cfg = load_config(config)
    if cfg.email is None:
        raise UsageError(f"{config} has no [email] section: nothing to send the reports with")
    e = cfg.email
    sent, failed = box.retry(SmtpTransport(e.smtp_host, e.smtp_port, e.security, e.username, e.password_env))
    typer.echo(f"sent {sent}, still waiting {failed}")
    if failed:
        raise typer.Exit(3)
