"""The download handler for http and https: the real one (Scrapy's, or scrapy-playwright's when the
crawl uses a browser), asked only while the request's marketplace is still being crawled.

Why here and not in a middleware: a download slot starts its next transfer the moment the previous
one ends, before any middleware has seen that answer. A robot-check cap checked in `process_request`
therefore lets queued requests through after the cap is reached (measured: 4 requests with a cap of 2).
The handler is the last point before the network and the first to see an answer (while the slot is
still taken), so it counts robot checks and refuses stopped marketplaces: the cap holds exactly.
"""

from __future__ import annotations

import inspect
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object

STOPPED = "marketplace stopped for this run"
HTTP11 = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
PLAYWRIGHT = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


class BlockLedger:
    """Robot checks per marketplace in this crawl, counted as each answer arrives (in the handler,
    before the slot can start its next request), and the marketplaces stopped by the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.caps: dict[str, int] = {}  # marketplace -> the cap its current run asked for (workers)
        self.blocked: dict[str, int] = {}
        self.stopped: dict[str, str] = {}

    def cap_for(self, market: str) -> int:
        return self.caps.get(market, self.cap)

    def note(self, request: Any, response: Any) -> tuple[Any, str] | None:
        """Look at an answer once; the finding is kept in `meta["storewatch_block"]` for the middleware."""
        if "storewatch_block" in request.meta:
            return request.meta["storewatch_block"]
        from spiders.parsers.blocks import detect_block

        # the bytes, not response.text: decoding a 400 KB page costs more than the check itself
        found = detect_block(response.body or b"", response.status, response.url)
        request.meta["storewatch_block"] = found
        if found is not None and found[0].value == "blocked":
            market = request.meta.get("marketplace", "?")
            self.blocked[market] = self.blocked.get(market, 0) + 1
            cap = self.cap_for(market)
            if self.blocked[market] >= cap:
                self.stopped[market] = f"{STOPPED}: {cap} robot checks in {market}"
        return found

    def forget(self, market: str, cap: int | None = None) -> None:
        """Start `market`'s count again (a distributed worker's next run of it), with that run's cap."""
        self.blocked.pop(market, None)
        self.stopped.pop(market, None)
        if cap is None:
            self.caps.pop(market, None)
        else:
            self.caps[market] = cap


def ledger(crawler: Any) -> BlockLedger:
    """The crawl's one ledger, shared by the handler and BlockRetryMiddleware."""
    if not hasattr(crawler, "storewatch_blocks"):
        crawler.storewatch_blocks = BlockLedger(crawler.settings.getint("BLOCK_CAP", 10))
    return crawler.storewatch_blocks


def inner_handler(crawler: Any) -> Any:
    """The crawl's one real handler, shared by http and https. Scrapy builds a handler per scheme: two
    scrapy-playwright handlers would start two Playwright drivers (~100 MB for the idle one) and keep
    https pages' browser contexts where BrowserContextMiddleware does not look (never recycled)."""
    if not hasattr(crawler, "storewatch_inner_handler"):
        cls = load_object(crawler.settings.get("STOREWATCH_INNER_HANDLER", HTTP11))
        crawler.storewatch_inner_handler = build_from_crawler(cls, crawler)
    return crawler.storewatch_inner_handler


class GuardedDownloadHandler:
    lazy = False

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.inner = inner_handler(crawler)
        self.ledger = ledger(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> GuardedDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Any, spider: Any = None) -> Any:
        market = request.meta.get("marketplace")
        if market in self.ledger.stopped:
            from crawler.middlewares import MarketplaceStopped

            self.crawler.stats.inc_value(f"storefront/stopped/{market}")
            raise MarketplaceStopped(self.ledger.stopped[market])
        download = self.inner.download_request
        if inspect.iscoroutinefunction(download):
            response = await download(request)
        else:
            response = await maybe_deferred_to_future(download(request, self.crawler.spider))
        self.ledger.note(request, response)
        return response

    async def close(self) -> None:
        if getattr(self.crawler, "storewatch_inner_closed", False):  # the other scheme's closed it
            return
        self.crawler.storewatch_inner_closed = True
        result: Any = self.inner.close()
        if hasattr(result, "addCallback"):  # an older handler's Deferred
            await maybe_deferred_to_future(result)
        elif inspect.isawaitable(result):
            await result
