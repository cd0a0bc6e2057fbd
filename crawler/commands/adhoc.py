"""Ad-hoc checks: `check ASIN`, `offers ASIN`, `rank KEYWORD`, `top LIST`. JSON contracts in README.md."""
from __future__ import annotations

from typing import Annotated, Any

import typer

from crawler.commands.common import (
    EXIT_UNREADABLE,
    asin_arg,
    base_url_arg,
    error,
    market_arg,
    print_json,
)

MarketOpt = Annotated[str, typer.Option("--marketplace", "-m", help="Marketplace code: us, de, jp, uk, ...")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="Shop front to use instead of the "
                                                "marketplace's real host (e.g. the offline storefront).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (schema in README.md).")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: STOREWATCH_DB, else the "
                                           "data directory's SQLite file).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show Scrapy's log.")]


def _crawl(spider_cls: type, verbose: bool, browser: bool = False, **kwargs: Any) -> Any:
    from crawler.runner import run_crawl
    from crawler.settings import scrapy_settings

    return run_crawl(spider_cls, scrapy_settings(ad_hoc=True, log_level="INFO" if verbose else "ERROR",
                                                 browser=browser), **kwargs)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("offers")(offers)
    app.command("rank")(rank)
    app.command("top")(top)


def check(
    asin: Annotated[str, typer.Argument(help="The ASIN to check (10 characters, e.g. B08N5WRWNW).")],
    marketplace: MarketOpt = "us",
    base_url: BaseUrlOpt = None,
    json_out: JsonOpt = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not store this check.")] = False,
    db: DbOpt = None,
    verbose: VerboseOpt = False,
    screenshot: Annotated[bool, typer.Option("--screenshot", help="Read the page in Chromium and keep a "
                                             "full-page PNG in the data directory's screenshots/ folder.")] = False,
) -> None:
    """Check one product page now: every field, and what changed since the last stored check."""
    asin = asin_arg(asin)
    market = market_arg(marketplace)
    base = base_url_arg(base_url, market)

    from crawler.changes import product_changes
    from crawler.jsonout import product_json
    from crawler.records import Outcome
    from spiders.base import ProductTarget
    from spiders.product import ProductSpider

    shots = None
    if screenshot:
        from crawler.paths import data_dir, ensure_private_dir

        shots = str(ensure_private_dir(data_dir() / "screenshots"))
    result = _crawl(ProductSpider, verbose, browser=screenshot, screenshot_dir=shots,
                    targets=[ProductTarget(asin, market.code, base, "browser" if screenshot else "http")])
    if not result.items:
        raise RuntimeError(f"the crawl of {base}/dp/{asin} ended without a result (see --verbose)")
    item = result.items[0]
    snap = item["record"]

    previous = None
    with _store(db) as store:
        if store is not None:
            previous = store.last_ok_product(asin, market.code)
            if not no_save:
                _save_product(store, item)
    changes = product_changes(previous, snap)

    if json_out:
        extra = {"screenshot": _existing(item.get("screenshot"))} if screenshot else {}
        print_json({**product_json(snap), "changes": [c.as_json() for c in changes], **extra})
    else:
        from crawler.commands.tables import print_changes, print_product

        print_product(snap)
        print_changes(changes, previous)
        if screenshot:
            path = _existing(item.get("screenshot"))
            print(f"screenshot: {path}" if path else "screenshot: none (the browser could not load the page)")
    if not snap.outcome.readable:
        error(f"{asin} ({market.code}) could not be read: {snap.outcome.value}: {snap.reason or ''}".rstrip(": "))
        raise typer.Exit(EXIT_UNREADABLE)
    if snap.outcome == Outcome.PARSE_INCOMPLETE:
        error(f"{asin}: page read only in part: {snap.reason}")


def _existing(path: str | None) -> str | None:
    """The screenshot's path when the browser wrote it (a failed load leaves none)."""
    from pathlib import Path

    return path if path and Path(path).is_file() else None


def _store(db: str | None) -> Any:
    from crawler.session import storage

    return storage(db)


def _save_product(store: Any, item: dict[str, Any]) -> None:
    store.save_checked_product(item["record"], item.get("body"))


def offers(
    asin: Annotated[str, typer.Argument(help="The ASIN whose offers to list.")],
    marketplace: MarketOpt = "us",
    base_url: BaseUrlOpt = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """List every offer on a product (a quick hijacker check): seller, price, condition, fulfilment."""
    asin = asin_arg(asin)
    market = market_arg(marketplace)
    base = base_url_arg(base_url, market)

    from crawler.jsonout import offers_json
    from spiders.base import ProductTarget
    from spiders.offers import OffersSpider

    result = _crawl(OffersSpider, verbose, targets=[ProductTarget(asin, market.code, base)])
    if not result.items:
        raise RuntimeError(f"the offers crawl of {asin} ended without a result (see --verbose)")
    page = result.items[0]["record"]
    if json_out:
        print_json(offers_json(page))
    else:
        from crawler.commands.tables import print_offers

        print_offers(page)
    if not page.outcome.readable:
        error(f"offers of {asin} could not be read: {page.outcome.value}: {page.reason or ''}")
        raise typer.Exit(EXIT_UNREADABLE)


def rank(
    keyword: Annotated[str, typer.Argument(help="The search term, as a shopper types it.")],
    asin: Annotated[list[str] | None, typer.Option("--asin", help="An ASIN whose position to track "
                                                   "(repeatable).")] = None,
    pages: Annotated[int, typer.Option("--pages", min=1, max=20, help="Result pages to read.")] = 1,
    marketplace: MarketOpt = "us",
    base_url: BaseUrlOpt = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Where ASINs rank for a keyword (organic and sponsored), and the top of the results."""
    tracked_asins = [asin_arg(a) for a in (asin or [])]
    market = market_arg(marketplace)
    base = base_url_arg(base_url, market)
    if not keyword.strip():
        from crawler.exceptions import UsageError

        raise UsageError("the keyword is empty: give the search term a shopper would type")

    from crawler.jsonout import search_json
    from crawler.ranking import combine_pages, track
    from spiders.search import SearchSpider, SearchTarget

    result = _crawl(SearchSpider, verbose, targets=[SearchTarget(keyword, market.code, base, pages)])
    pages_read = [i["record"] for i in result.items]
    readable = [p for p in pages_read if p.outcome.readable]
    results = combine_pages(readable)
    tracked = track(results, tracked_asins)
    if json_out:
        print_json(search_json(keyword, market.code, pages_read, results, tracked))
    else:
        from crawler.commands.tables import print_search

        print_search(keyword, pages_read, results, tracked)
    if not readable:
        reasons = "; ".join(f"page {p.page}: {p.outcome.value} {p.reason or ''}" for p in pages_read)
        error(f"no result page for {keyword!r} could be read: {reasons or 'no response'}")
        raise typer.Exit(EXIT_UNREADABLE)


def top(
    path_or_url: Annotated[str, typer.Argument(help="A list path such as /gp/bestsellers/kitchen, "
                                               "or its full URL.")],
    pages: Annotated[int, typer.Option("--pages", min=1, max=5, help="List pages to read (50 per page).")] = 1,
    marketplace: MarketOpt = "us",
    base_url: BaseUrlOpt = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Print a best-sellers, new-releases or movers-and-shakers list."""
    market = market_arg(marketplace)
    base = base_url_arg(base_url, market)
    if "://" in path_or_url:
        base_url_arg(path_or_url, market)  # validates the URL
    elif not path_or_url.startswith("/"):
        path_or_url = "/" + path_or_url

    from crawler.jsonout import list_json
    from spiders.bestsellers import ListSpider, ListTarget

    result = _crawl(ListSpider, verbose, targets=[ListTarget(path_or_url, market.code, base, pages)])
    items = sorted(result.items, key=lambda i: i["page"])
    pages_read = [i["record"] for i in items]
    if json_out:
        print_json(list_json(pages_read))
    else:
        from crawler.commands.tables import print_list

        print_list(pages_read)
    if not any(p.outcome.readable for p in pages_read):
        reasons = "; ".join(f"{p.outcome.value} {p.reason or ''}" for p in pages_read)
        error(f"the list {path_or_url} could not be read: {reasons or 'no response'}")
        raise typer.Exit(EXIT_UNREADABLE)
