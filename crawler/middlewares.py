"""Downloader middleware: robot checks are retried with backoff and capped per marketplace.

A robot check arrives with HTTP 200, so Scrapy's RetryMiddleware never sees it. This middleware looks
at each page once (cheaply, before any parse) and retries blocked ones after slowing that marketplace
down; when retries run out the page goes on to the spider, whose parser reports it as `blocked`, never
as data. After `BLOCK_CAP` robot checks in one marketplace the run stops asking that marketplace
(counted and enforced in crawler.guarded_handler, the last point before the network).

HeadMetaRefreshMiddleware stands in for Scrapy's meta-refresh middleware without decoding every page.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

logger = logging.getLogger(__name__)

STOPPED = "marketplace stopped for this run"


class MarketplaceStopped(IgnoreRequest):
    """Raised for requests to a marketplace that answered with too many robot checks."""


class BlockRetryMiddleware:
    def __init__(self, crawler: Any, max_retries: int, max_delay: float) -> None:
        from crawler.guarded_handler import ledger

        self.crawler = crawler
        self.stats = crawler.stats
        self.max_retries = max_retries
        self.max_delay = max_delay
        self.ledger = ledger(crawler)  # robot checks per marketplace, counted in the download handler
        self.warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> BlockRetryMiddleware:
        s = crawler.settings
        return cls(crawler, s.getint("BLOCK_RETRY_TIMES", 2), s.getfloat("BLOCK_MAX_DELAY", 120.0))

    @property
    def blocked(self) -> dict[str, int]:
        return self.ledger.blocked

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        market = request.meta.get("marketplace", "?")
        if market in self.ledger.stopped:
            self.stats.inc_value(f"storefront/stopped/{market}")
            raise MarketplaceStopped(self.ledger.stopped[market])

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        found = self.ledger.note(request, response)  # already noted by crawler.guarded_handler
        request.meta.pop("storewatch_block", None)  # a retry is a new answer
        if found is None:
            return response
        outcome, reason = found
        market = request.meta.get("marketplace", "?")
        self.stats.inc_value(f"storefront/{outcome.value}")
        self.stats.inc_value(f"storefront/{outcome.value}/{market}")
        if outcome.value != "blocked":
            return response
        self._back_off(request)
        if market in self.ledger.stopped:
            if market not in self.warned:
                self.warned.add(market)
                logger.warning(
                    "%s robot checks in marketplace %s: it is not asked again in this run",
                    self.ledger.cap_for(market), market
                )
            self._stop_queued(request.meta.get("download_slot"), market)
            return response
        # a distributed run's own `retries` (crawler.worker sets it per request), else the crawl's
        max_retries = request.meta.get("max_retry_times", self.max_retries)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"blocked: {reason}",
            max_retry_times=max_retries,
            stats_base_key="storefront/block_retry",
        )
        if retry is None:
            logger.warning("still blocked after %s retries: %s (%s)", max_retries, request.url, reason)
            return response
        return retry

    def _slot(self, slot_key: str | None) -> Any:
        engine = getattr(self.crawler, "engine", None)
        slots = getattr(getattr(engine, "downloader", None), "slots", {})
        return slots.get(slot_key) if slot_key else None

    def _stop_queued(self, slot_key: str | None, market: str) -> None:
        """Fail the marketplace's requests already waiting in its download slot: they passed
        `process_request` before the cap was reached, and must not reach the site either."""
        from twisted.python.failure import Failure

        slot = self._slot(slot_key)
        queue = getattr(slot, "queue", None)
        if not queue:
            return
        waiting = list(queue)
        queue.clear()
        for _, deferred in waiting:
            self.stats.inc_value(f"storefront/stopped/{market}")
            cap = self.ledger.cap_for(market)
            deferred.errback(Failure(MarketplaceStopped(f"{STOPPED}: {cap} robot checks in {market}")))

    def _back_off(self, request: Request) -> None:
        """Double the marketplace's delay (at least 5 s, at most BLOCK_MAX_DELAY) after a robot check."""
        slot = self._slot(request.meta.get("download_slot"))
        if slot is not None and self.crawler.settings.getbool("BLOCK_BACKOFF", True):
            slot.delay = min(max(slot.delay * 2, 5.0), self.max_delay)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, looking only where such a tag can be.

    Scrapy's middleware reads `response.text[:4096]`, which decodes the whole page first: 400 KB per
    page, ~8% of the instructions of a spider that only downloads, and the decoded copy stays with the
    response. A refresh tag in the first 4,096 characters lies in the first 16 KB and says "refresh";
    a page without that word there passes untouched, one with it goes to Scrapy's middleware."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if (isinstance(response, HtmlResponse) and _ascii_compatible(response.encoding)
                and b"refresh" not in response.body[:16384].lower()):
            return response
        return super().process_response(request, response)


@functools.cache
def _ascii_compatible(encoding: str) -> bool:
    """True when the word "refresh" is the same bytes in `encoding` (not in UTF-16, say)."""
    try:
        return "refresh".encode(encoding) == b"refresh"
    except (LookupError, UnicodeError):
        return False
