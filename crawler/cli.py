"""The `storewatch` command line. Every command is documented in README.md and tested through `main(argv)`."""

from __future__ import annotations

import sys

import typer

from crawler.commands import adhoc, alerts, crawl, demo, report, schedule, watchlist, worker

app = typer.Typer(
    name="storewatch",
    help="Daily Amazon storefront checks: buy box, sellers, ratings, promotions, ranks and top lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"storewatch {version('storewatch')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("storewatch (not installed)")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit."),
) -> None:
    """Daily Amazon storefront checks: buy box, sellers, ratings, promotions, ranks and top lists."""


adhoc.register(app)
demo.register(app)
watchlist.register(app)
crawl.register(app)
schedule.register(app)
alerts.register(app)
report.register(app)
worker.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (for tests and embedding)."""
    from crawler.exceptions import StorewatchError, UsageError

    try:
        # Standalone mode: click reports usage errors itself (exit code 2) and raises SystemExit.
        app(args=argv if argv is not None else sys.argv[1:], prog_name="storewatch")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except StorewatchError as e:
        print(f"storewatch: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 1
    except OSError as e:  # a full disk, an unwritable data directory: say what, not a traceback
        print(f"storewatch: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        from sqlalchemy.exc import OperationalError

        if not isinstance(e, OperationalError):
            raise
        # The database could not be used (locked too long, disk full, file too large); the driver's
        # message says which. The statement is left out: it may carry scraped text.
        print(f"storewatch: error: the database could not be written: {e.orig}", file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # python -m crawler.cli, as the console script does
    entry()
