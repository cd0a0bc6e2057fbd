"""scrapy-playwright's download handler with its pages kept open: after an answer a page goes back to
its context's pool and the next request of that context navigates it, instead of closing it and
opening a new one.

Why: a new page is a new renderer process (Chromium spawns one per tab) and a new DevTools session
that Playwright sets up; reusing the page skips both. Measured on the storefront's product pages, one
at a time: 790-910 CPU-ms per page with a page per request, 280-350 with one page reused. Memory stays
bounded: a context (and its pages) is closed every `STOREWATCH_PAGES_PER_CONTEXT` pages
(crawler.browser_contexts), a context never has more than PLAYWRIGHT_MAX_PAGES_PER_CONTEXT pages, and
every GC_EVERY pages a page's renderer collects its garbage. Without that a reused renderer grew by
~3.5 MB a page (old documents' DOM and script heap, collected only when V8 sees fit): 310-400 MB after
100 storefront pages, 84 MB with a collection every 10 or 20, for no measurable CPU.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from scrapy_playwright.handler import DEFAULT_CONTEXT_NAME, ScrapyPlaywrightDownloadHandler

logger = logging.getLogger(__name__)

GC_EVERY = 10  # pages read in a page between two garbage collections of its renderer


class PagePool:
    """The open pages of one browser context: idle ones wait here for the next request, and at most
    `limit` exist at once (a request finding none idle and the limit reached waits for one)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.idle: list[Any] = []
        self.open = 0  # pages lent out or idle, and slots handed to a request that will open a page
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.uses: dict[Any, int] = {}  # open page -> pages read in it

    def used(self, page: Any) -> int:
        """Count one more page read in `page`; the count so far."""
        self.uses[page] = self.uses.get(page, 0) + 1
        return self.uses[page]

    async def take(self) -> Any:
        """An idle page, or None: the caller opens a new page (its slot is counted already)."""
        if self.idle:
            page = self.idle.pop()
            if not page.is_closed():
                return page
            self.uses.pop(page, None)  # closed while idle (a crashed renderer): its slot is the caller's
            return None
        if self.open < self.limit:
            self.open += 1
            return None
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        return await waiter

    def give_back(self, page: Any, reusable: bool) -> None:
        """The page a request used (None if it never got one). A reusable page goes to the next waiting
        request or to the idle list; any other is closed and its slot goes to the next waiting request."""
        if reusable and page is not None and not page.is_closed():
            if not self._hand_over(page):
                self.idle.append(page)
            return
        self.uses.pop(page, None)
        if page is not None and not page.is_closed():
            task = asyncio.ensure_future(_close(page))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "unretrieved"
        if not self._hand_over(None):
            self.open -= 1

    def _hand_over(self, page: Any) -> bool:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():  # a request cancelled while waiting has no use for it
                waiter.set_result(page)
                return True
        return False


async def _close(page: Any) -> None:
    try:
        await page.close()
    except Exception as exc:  # noqa: BLE001 - a page whose context is gone is closed enough
        logger.debug("closing page: %s", exc)


class PooledPageHandler(ScrapyPlaywrightDownloadHandler):
    """ScrapyPlaywrightDownloadHandler whose pages are reused within their context (see module doc)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.pools: dict[str, PagePool] = {}

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        name = request.meta.setdefault("playwright_context", DEFAULT_CONTEXT_NAME)
        pool = self.pools.get(name)
        if pool is None:
            pool = self.pools[name] = PagePool(self.config.max_pages_per_context)
        page = await pool.take()
        if page is not None:
            request.meta["playwright_page"] = page
            self.stats.inc_value("browser/pages_reused")
        request.meta["playwright_include_page"] = True  # scrapy-playwright leaves the page open
        try:
            response = await super()._download_request(request, spider)
        except BaseException:
            # a page that failed a navigation may be anywhere: not worth reusing
            pool.give_back(request.meta.pop("playwright_page", None), reusable=False)
            raise
        # out of meta: a retry or a copy of this request must not navigate a page lent to another one
        page = request.meta.pop("playwright_page", None)
        try:
            if page is not None and pool.used(page) % GC_EVERY == 0:
                await self._collect_garbage(page)
        finally:
            pool.give_back(page, reusable=True)
        request.meta.pop("playwright_include_page", None)
        return response

    async def _collect_garbage(self, page: Any) -> None:
        """A full garbage collection in the page's renderer (every page of that process shares it)."""
        try:
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("HeapProfiler.collectGarbage")
            await cdp.detach()
        except Exception as exc:  # noqa: BLE001 - a page gone meanwhile needs no collection
            logger.debug("garbage collection in %s: %s", page, exc)
            return
        self.stats.inc_value("browser/garbage_collections")

    def forget_context(self, name: str) -> None:
        """The context `name` is closed (and its pages with it): drop its pool."""
        self.pools.pop(name, None)
