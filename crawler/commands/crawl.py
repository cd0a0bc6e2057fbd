"""`storewatch crawl --config FILE`: one run over every target of a watchlist."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.commands.adhoc import BaseUrlOpt, DbOpt, VerboseOpt


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def crawl(
    config: Annotated[Path, typer.Option("--config", "-c", help="The watchlist (storewatch init writes one).")],
    base_url: BaseUrlOpt = None,
    db: DbOpt = None,
    marketplace: Annotated[list[str] | None, typer.Option("--marketplace", "-m", help="Only these "
                                                          "marketplaces (repeatable).")] = None,
    own_only: Annotated[bool, typer.Option("--own-only", help="Only own listings (intraday buy-box "
                                           "checks).")] = False,
    fetch: Annotated[str | None, typer.Option("--fetch", help="Fetch every page this way, whatever the "
                                              "watchlist says: http, browser (Chromium) or auto.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON.")] = False,
    verbose: VerboseOpt = False,
    distributed: Annotated[str | None, typer.Option("--distributed", help="Redis URL: queue the run for "
                                                    "`storewatch worker` processes and wait for them.")] = None,
    lease_seconds: Annotated[float, typer.Option("--lease-seconds", help="With --distributed: a target a "
                                                 "worker holds longer is queued again.")] = 300.0,
) -> None:
    """Crawl every product, keyword, list and brand of a watchlist once, politely, and store it all."""
    from crawler.commands.common import base_url_arg
    from crawler.config import load_config
    from crawler.marketplaces import get

    cfg = load_config(config)
    if base_url:
        base_url_arg(base_url, get("us"))
    for code in marketplace or []:
        if code.lower() not in cfg.marketplaces:
            from crawler.exceptions import UsageError

            raise UsageError(f"marketplace {code!r} is not in {config}: it has {', '.join(cfg.marketplaces)}")
    if fetch is not None and fetch not in ("http", "browser", "auto"):
        from crawler.exceptions import UsageError

        raise UsageError(f"--fetch {fetch!r}: use http, browser or auto")
    if distributed:
        from crawler.exceptions import DISTRIBUTED, require_extra

        require_extra(*DISTRIBUTED)
        from crawler.distributed import run_distributed

        summary = run_distributed(cfg, redis_url=distributed, db_url=db, base_url=base_url,
                                  marketplaces=marketplace, own_only=own_only, lease=lease_seconds,
                                  progress=not (quiet or json_out), fetch=fetch)
    else:
        summary = run_watchlist(cfg, base_url=base_url, db_url=db, marketplaces=marketplace,
                                own_only=own_only, progress=not (quiet or json_out), verbose=verbose,
                                fetch=fetch)
    if json_out:
        from crawler.commands.common import print_json

        print_json(summary)
    elif not quiet:
        print_summary(summary)
    if summary["status"] != "complete":
        raise typer.Exit(3)


def run_watchlist(cfg: Any, *, base_url: str | None, db_url: str | None, marketplaces: list[str] | None = None,
                  own_only: bool = False, progress: bool = False, verbose: bool = False,
                  fetch: str | None = None) -> dict[str, Any]:
    """One crawl of the watchlist in this process (a reactor runs once per process): returns the summary."""
    from crawler import fetch_modes
    from crawler.proxies import proxies_from_env
    from crawler.recovery import begin_run
    from crawler.runner import run_crawl
    from crawler.session import storage
    from crawler.settings import crawl_settings
    from crawler.targets import build_targets
    from spiders.watchlist import WatchlistSpider

    targets = fetch_modes.with_fetch_modes(cfg, build_targets(cfg, base_url, marketplaces, own_only), fetch)
    if fetch_modes.needs_browser(targets):  # fail before the run is recorded, naming the install command
        from crawler.browser_settings import require_browser

        require_browser(cfg.browser_path)
    markets = sorted({t.marketplace for group in (targets.products, targets.searches, targets.lists)
                      for t in group})
    with storage(db_url) as s:
        run_id = begin_run(s.store, "own" if own_only else "crawl", markets, cfg.name)  # marks dead runs
    settings = crawl_settings(cfg, run_id=run_id, db_url=db_url, progress_total=targets.pages if progress else 0,
                              log_level="INFO" if verbose else "ERROR",
                              browser=fetch_modes.needs_browser(targets),
                              proxies=proxies_from_env(cfg.politeness.proxies_env))
    result = run_crawl(WatchlistSpider, settings, products=list(targets.products),
                       searches=list(targets.searches), lists=list(targets.lists),
                       locations=fetch_modes.locations(cfg, targets, base_url))
    summary = summarize(run_id, targets, result)
    with storage(db_url) as s:
        s.store.finish_run(run_id, summary["status"], summary["counts"])
    return summary


def summarize(run_id: int, targets: Any, result: Any) -> dict[str, Any]:
    stats = result.stats
    outcomes: dict[str, dict[str, int]] = {}
    for item in result.items:
        per_kind = outcomes.setdefault(item["kind"], {})
        per_kind[item["record"].outcome.value] = per_kind.get(item["record"].outcome.value, 0) + 1
    pages = len(result.items)
    requests = int(stats.get("downloader/request_count", 0))
    counts = {
        "pages_expected": targets.pages,
        "pages": pages,
        "outcomes": outcomes,
        "requests": requests,
        "retries": int(stats.get("retry/count", 0)) + int(stats.get("storefront/block_retry/count", 0)),
        "blocked": int(stats.get("storefront/blocked", 0)),
        "products": len(targets.products),
        "requests_per_target": round(requests / max(1, len(targets.keys())), 3),
        "missing": {k.removeprefix("parse/missing/"): v for k, v in stats.items()
                    if str(k).startswith("parse/missing/")},
        **browser_counts(stats),
    }
    # Complete = every page has an outcome (blocked pages included: they are findings, not gaps).
    return {"run_id": run_id, "status": "complete" if pages >= targets.pages else "incomplete", "counts": counts}


def browser_counts(stats: dict[str, Any]) -> dict[str, Any]:
    from crawler.fetch_modes import browser_pages

    return browser_pages(stats)


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    c = summary["counts"]
    table = Table(title=f"run {summary['run_id']}: {summary['status']}")
    for col in ("page kind", "ok", "blocked", "failed", "other"):
        table.add_column(col)
    for kind, per in sorted(c["outcomes"].items()):
        failed = sum(v for k, v in per.items() if k in ("http_error", "timeout", "not_found"))
        other = sum(v for k, v in per.items() if k not in ("ok", "blocked", "http_error", "timeout", "not_found"))
        table.add_row(kind, str(per.get("ok", 0)), str(per.get("blocked", 0)), str(failed), str(other))
    console = Console(highlight=False)
    console.print(table)
    console.print(f"pages {c['pages']}/{c['pages_expected']} · requests {c['requests']} "
                  f"({c['requests_per_target']} per target) · retries {c['retries']} · "
                  f"robot checks {c['blocked']}" + (f" · browser pages {c['browser_pages']}"
                                                     if c.get("browser_pages") else ""))
