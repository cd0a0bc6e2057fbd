"""Browser contexts per marketplace, recycled every N pages, each a shopper of that marketplace.

A context carries what a shopper's browser would: the user agent, the marketplace's language, the
delivery-location cookie the crawl set at its start, and (when proxies are configured) one proxy for
its whole life. After `STOREWATCH_PAGES_PER_CONTEXT` pages a context takes no new pages and is closed
once its last page is back, so a crawl of thousands of pages keeps the browser's memory flat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from crawler.headers import USER_AGENT, accept_language
from crawler.marketplaces import get as get_marketplace
from crawler.proxies import ProxyRotation, mask, playwright_proxy

logger = logging.getLogger(__name__)


@dataclass
class _Generation:
    name: str
    assigned: int = 0
    done: int = 0
    retired: bool = False
    kwargs: dict[str, Any] | None = None


class BrowserContextMiddleware:
    def __init__(self, crawler: Any, pages_per_context: int, proxies: tuple[str, ...]) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.pages_per_context = max(1, pages_per_context)
        self.rotation = ProxyRotation(proxies) if proxies else None
        self.current: dict[str, _Generation] = {}  # marketplace -> the context taking new pages
        self.live: dict[str, _Generation] = {}  # context name -> its counts
        self.serial = 0
        self._closing: set[asyncio.Task] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> BrowserContextMiddleware:
        s = crawler.settings
        if "PLAYWRIGHT_LAUNCH_OPTIONS" not in s:
            raise NotConfigured("no browser in this crawl")
        return cls(crawler, s.getint("STOREWATCH_PAGES_PER_CONTEXT", 100),
                   tuple(s.getlist("STOREWATCH_PROXIES")))

    # -- requests ------------------------------------------------------------------------------------
    def process_request(self, request: Any, spider: Any = None) -> None:
        if not request.meta.get("playwright"):
            return
        market = request.meta.get("marketplace", "us")
        gen = self.current.get(market)
        if gen is None or gen.assigned >= self.pages_per_context:
            if gen is not None:
                gen.retired = True
                self._maybe_close(gen)
            self.serial += 1
            gen = _Generation(f"{market}-{self.serial}")
            gen.kwargs = self.context_kwargs(market, request.url, spider or self.crawler.spider)
            self.current[market] = gen
            self.live[gen.name] = gen
        gen.assigned += 1
        # every request names the same kwargs: whichever reaches the handler first creates the context
        request.meta["playwright_context_kwargs"] = gen.kwargs
        request.meta["playwright_context"] = gen.name
        self.stats.inc_value("browser/requests")

    def context_kwargs(self, market: str, url: str, spider: Any) -> dict[str, Any]:
        m = get_marketplace(market)
        kwargs: dict[str, Any] = {
            "user_agent": USER_AGENT,
            "locale": m.locale,
            "extra_http_headers": {"Accept-Language": accept_language(m)},
            "java_script_enabled": True,
            "service_workers": "block",
        }
        cookies = location_cookies(spider, market, url)
        if cookies:
            kwargs["storage_state"] = {"cookies": cookies, "origins": []}
        if self.rotation is not None:
            proxy = self.rotation.next()
            kwargs["proxy"] = playwright_proxy(proxy)
            self.stats.inc_value(f"proxy/contexts/{mask(proxy)}")
        self.stats.inc_value("browser/contexts")
        return kwargs

    def retire(self, market: str) -> None:
        """Take no new pages into `market`'s context (its delivery location changed): the next browser
        page of that marketplace opens a fresh context with the current location cookie."""
        gen = self.current.pop(market, None)
        if gen is not None:
            gen.retired = True
            self._maybe_close(gen)

    # -- answers -------------------------------------------------------------------------------------
    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if request.meta.get("playwright"):
            if "playwright" in (response.flags or ()):
                self.stats.inc_value("browser/pages")
            self._done(request)
        return response

    def process_exception(self, request: Any, exception: BaseException, spider: Any = None) -> None:
        if request.meta.get("playwright"):
            self._done(request)

    def _done(self, request: Any) -> None:
        gen = self.live.get(request.meta.get("playwright_context", ""))
        if gen is not None:
            gen.done += 1
            self._maybe_close(gen)

    def _maybe_close(self, gen: _Generation) -> None:
        if not gen.retired or gen.done < gen.assigned:
            return
        self.live.pop(gen.name, None)
        handler = self._handler()
        wrapper = getattr(handler, "context_wrappers", {}).get(gen.name)
        if wrapper is None:
            return
        task = asyncio.ensure_future(_close(wrapper.context, gen.name))
        if hasattr(handler, "forget_context"):  # crawler.browser_pages keeps the context's open pages
            handler.forget_context(gen.name)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self.stats.inc_value("browser/contexts_closed")

    def _handler(self) -> Any:
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        handlers = getattr(downloader, "handlers", None)
        if handlers is None:
            return None
        handler = handlers._get_handler("http")  # the same for https (crawler.guarded_handler shares it)
        return getattr(handler, "inner", handler)  # crawler.guarded_handler wraps the Playwright one


async def _close(context: Any, name: str) -> None:
    try:
        await context.close()
        logger.debug("closed browser context %s", name)
    except Exception as exc:  # noqa: BLE001 - a context that is already gone is closed enough
        logger.debug("closing browser context %s: %s", name, exc)


def location_cookies(spider: Any, market: str, url: str) -> list[dict[str, Any]]:
    """The location cookies the crawl's address change set for `market`, for a context's storage state."""
    jar = getattr(spider, "location_cookies", None) or {}
    pairs = jar.get(market) or {}
    u = urlsplit(url)
    origin = f"{u.scheme}://{u.netloc}"
    return [{"name": k, "value": v, "url": origin} for k, v in pairs.items()]
