"""What every storewatch spider shares: marketplace routing, outcomes for failed fetches, the clock."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

import scrapy
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawler.headers import browser_headers
from crawler.marketplaces import get as get_marketplace
from crawler.records import Outcome

ADDRESS_CHANGE_PATH = "/portal-migration/hz/glow/address-change"


def set_cookies(headers: list[bytes]) -> dict[str, str]:
    """Name -> value of the cookies a response sets (attributes dropped)."""
    out: dict[str, str] = {}
    for raw in headers:
        c: SimpleCookie = SimpleCookie()
        try:
            c.load(raw.decode("latin-1"))
        except CookieError:
            continue
        out.update({k: m.value for k, m in c.items()})
    return out


def now() -> datetime:
    return datetime.now(UTC)  # to the microsecond, like a run's start: a page never predates its run


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

    # marketplace -> {cookie name: value} set by the crawl's address change (browser contexts copy them)
    location_cookies: dict[str, dict[str, str]]

    def request(self, url: str, marketplace: str, callback: Any, *, browser: bool = False,
                screenshot: str | None = None, **meta: Any) -> scrapy.Request:
        """A page request. Its cookie jar is the marketplace's (the delivery location lives there);
        `browser` sends it through Chromium and waits for what the page's scripts render."""
        market = get_marketplace(marketplace)
        meta = {"marketplace": marketplace, "download_slot": f"amazon-{marketplace}", "cookiejar": marketplace,
                **meta}
        if browser or screenshot:
            from crawler.browser_settings import browser_meta

            meta.update(browser_meta(screenshot))
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=browser_headers(market),
            meta=meta,
            dont_filter=True,
        )

    def in_browser(self, request: scrapy.Request | None, reason: str) -> scrapy.Request:
        """The same page again, through the browser: plain HTTP could not read what matters on it."""
        from crawler.browser_settings import browser_meta

        assert request is not None  # a response always has its request here
        kind = request.meta.get("page_kind", "page")
        self.crawler.stats.inc_value(f"browser/moved/{kind}")
        self.logger.info("reading %s in the browser: %s", request.url, reason)
        keep = {k: v for k, v in request.meta.items()
                if not k.startswith(("retry_", "download_", "redirect_", "proxy", "_"))}
        meta = {**keep, "download_slot": request.meta.get("download_slot"), **browser_meta(),
                "moved_to_browser": reason}
        return request.replace(meta=meta, dont_filter=True)

    @staticmethod
    def from_browser(response: scrapy.http.Response) -> bool:
        return "playwright" in (response.flags or ())

    @staticmethod
    def may_move(r: scrapy.http.Response | scrapy.Request, fetch: str) -> bool:
        """An `auto` target read over plain HTTP, not moved yet: it may go to the browser."""
        return fetch == "auto" and not r.meta.get("playwright") and "moved_to_browser" not in r.meta

    # -- delivery location ---------------------------------------------------------------------------
    def address_change(self, marketplace: str, base_url: str, postcode: str,
                       then: list[scrapy.Request]) -> scrapy.Request:
        """Set the delivery postcode as a shopper does (the address-change POST); the marketplace's
        pages (`then`) follow once its cookie jar holds the location."""
        market = get_marketplace(marketplace)
        body = json.dumps({"locationType": "LOCATION_INPUT", "zipCode": postcode, "storeContext": "generic",
                           "deviceType": "web", "pageType": "Gateway", "actionSource": "glow"})
        headers = {**browser_headers(market), "Content-Type": "application/json",
                   "X-Requested-With": "XMLHttpRequest", "Accept": "text/html,*/*",
                   "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}
        return scrapy.Request(
            f"{base_url.rstrip('/')}{ADDRESS_CHANGE_PATH}", method="POST", body=body, headers=headers,
            callback=self.location_set, errback=self.location_failed, dont_filter=True, priority=10,
            meta={"marketplace": marketplace, "download_slot": f"amazon-{marketplace}", "cookiejar": marketplace,
                  "postcode": postcode, "then": then, "page_kind": "location"},
        )

    def location_set(self, response: scrapy.http.Response) -> Any:
        market = response.meta["marketplace"]
        cookies = set_cookies(response.headers.getlist("Set-Cookie"))
        try:
            answer = json.loads(response.text) if response.status == 200 else {}
        except ValueError:  # a robot check or an error page instead of the JSON answer
            answer = {}
        ok = isinstance(answer, dict) and bool(answer.get("isAddressUpdated"))
        if ok and cookies:
            if not hasattr(self, "location_cookies"):
                self.location_cookies = {}
            self.location_cookies[market] = cookies
            self.crawler.stats.inc_value(f"location/set/{market}")
        else:
            self.crawler.stats.inc_value(f"location/failed/{market}")
            self.logger.warning("could not set the delivery postcode in %s (HTTP %s): prices and buy box "
                                "are read for the marketplace's default location", market, response.status)
        yield from response.meta["then"]

    def location_failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value(f"location/failed/{request.meta['marketplace']}")
        self.logger.warning("could not set the delivery postcode in %s: %s", request.meta["marketplace"],
                            failure.value)
        yield from request.meta["then"]

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
