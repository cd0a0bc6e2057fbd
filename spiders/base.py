"""What every storewatch spider shares: marketplace routing, outcomes for failed fetches, the clock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import scrapy
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawler.headers import browser_headers
from crawler.marketplaces import get as get_marketplace
from crawler.records import Outcome


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class ProductTarget:
    asin: str
    marketplace: str
    base_url: str  # the shop front: the marketplace's host, or the offline storefront
    fetch: str = "http"  # http | browser | auto

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}/dp/{self.asin}"

    @property
    def key(self) -> str:
        return f"{self.marketplace}:{self.asin}"


def failure_outcome(failure: Failure) -> tuple[Outcome, str]:
    """The outcome of a fetch that raised instead of answering."""
    from crawler.middlewares import MarketplaceStopped

    err = failure.value
    if failure.check(MarketplaceStopped):
        return Outcome.BLOCKED, str(err)
    if failure.check(TxTimeoutError) or "timeout" in type(err).__name__.lower():
        return Outcome.TIMEOUT, f"timed out: {err}"
    return Outcome.HTTP_ERROR, f"{type(err).__name__}: {err}"


class StorewatchSpider(scrapy.Spider):
    """Base: requests carry their marketplace (the download slot, so politeness follows it) and page kind.

    Page kinds are mixins (ProductPages, SearchPages, ...): a thin spider per kind for ad-hoc commands,
    and one WatchlistSpider with all of them for the nightly crawl, so that one downloader keeps one
    politeness slot per marketplace across every kind of page.
    """

    def request(self, url: str, marketplace: str, callback: Any, **meta: Any) -> scrapy.Request:
        market = get_marketplace(marketplace)
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=browser_headers(market),
            meta={"marketplace": marketplace, "download_slot": f"amazon-{marketplace}", **meta},
            dont_filter=True,
        )

    def on_error(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        handler = getattr(self, f"error_{request.meta['page_kind']}")
        yield from handler(failure, request)

    @staticmethod
    def asked_url(response: scrapy.http.Response) -> str:
        """The URL we asked for: after an HTTP redirect the parser must still know what was asked."""
        redirects = response.request.meta.get("redirect_urls") if response.request else None
        return redirects[0] if redirects else response.url

    @staticmethod
    def stamp_time() -> datetime:
        return now()
