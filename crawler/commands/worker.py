"""`storewatch worker --redis URL --db URL`: fetch pages of distributed runs until told to stop."""
from __future__ import annotations

from typing import Annotated

import typer

from crawler.commands.adhoc import VerboseOpt


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    redis: Annotated[str, typer.Option("--redis", help="Redis URL holding the request queue "
                                       "(the one given to `crawl --distributed`).")],
    db: Annotated[str, typer.Option("--db", help="The shared database URL (PostgreSQL for several "
                                    "machines).")],
    name: Annotated[str | None, typer.Option("--name", help="Name recorded on the targets this worker "
                                             "claims (default host:pid).")] = None,
    delay: Annotated[float, typer.Option("--delay", help="Seconds between two requests to one marketplace "
                                         "(with jitter and AutoThrottle; 0 only for a local storefront).")] = 3.0,
    max_idle: Annotated[float, typer.Option("--max-idle-seconds", help="Exit after this many seconds "
                                            "without work (default: never).")] = 0,
    browser_path: Annotated[str | None, typer.Option("--browser-path", help="The Chromium for pages read in "
                                                     "a browser (default: found as `crawl` finds it).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Start no browser: pages that need one end "
                                             "with outcome http_error, naming the fix.")] = False,
    proxies_env: Annotated[str | None, typer.Option("--proxies-env", help="Environment variable holding this "
                                                    "machine's proxy URLs, comma-separated (as the watchlist's "
                                                    "politeness.proxies_env).")] = None,
    stop: Annotated[bool, typer.Option("--stop", help="Tell every running worker to stop, then exit.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Work for distributed crawls: pop requests from Redis, fetch politely, store into the database."""
    from crawler.commands.common import print_json
    from crawler.exceptions import DISTRIBUTED, require_extra

    require_extra(*DISTRIBUTED)
    if stop:
        from crawler.distributed import request_stop

        request_stop(redis)
        return
    from crawler.db import open_database
    from crawler.proxies import proxies_from_env
    from crawler.worker import find_worker_browser, run_worker

    proxies = proxies_from_env(proxies_env)  # a malformed entry is a usage error before anything starts
    open_database(db).close()  # fail early, with storewatch's message, on a bad or unreachable database
    chromium = None if no_browser else find_worker_browser(browser_path)
    stats = run_worker(redis, db, name, delay=delay, max_idle=max_idle, log_level="INFO" if verbose else "ERROR",
                       browser_path=chromium, proxies=proxies)
    if verbose:
        print_json({k: v for k, v in stats.items() if isinstance(v, int | float | str)})


if __name__ == "__main__":  # `python -m crawler.commands.worker` works before the CLI registers it
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app.command("noop", hidden=True)(lambda: None)  # keeps `worker` a subcommand, as in the CLI
    app()
