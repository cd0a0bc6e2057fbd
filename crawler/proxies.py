"""Proxy rotation: round-robin per request over plain HTTP, per browser context in the browser.

Proxy URLs come from the environment variable the config names (`politeness.proxies_env`),
comma-separated, and may carry credentials (`http://user:pass@host:port`). Those never reach a log,
a stat or a summary: everything printed goes through `mask()`.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import NotConfigured

from crawler.exceptions import UsageError

logger = logging.getLogger(__name__)


def parse_proxies(raw: str | None, source: str = "proxies") -> tuple[str, ...]:
    """`"http://a:1, http://u:p@b:2"` -> a tuple of URLs; an entry that is not a URL is an error
    (its text is not repeated: it may hold a password)."""
    out = []
    for n, part in enumerate((raw or "").split(","), 1):
        part = part.strip()
        if not part:
            continue
        u = urlsplit(part if "://" in part else f"http://{part}")
        if u.scheme not in ("http", "https", "socks5") or not u.hostname:
            raise UsageError(f"{source}: entry {n} is not a proxy URL such as http://host:3128")
        out.append(part if "://" in part else f"http://{part}")
    return tuple(out)


def proxies_from_env(name: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The proxies listed in the environment variable `name` (none when unset or empty)."""
    if not name:
        return ()
    env = os.environ if environ is None else environ
    return parse_proxies(env.get(name), f"environment variable {name}")


def mask(url: str) -> str:
    """`http://user:secret@host:3128` -> `http://***@host:3128`: safe to log."""
    u = urlsplit(url)
    if u.username is None and u.password is None:
        return url
    host = u.hostname or ""
    port = f":{u.port}" if u.port else ""
    return f"{u.scheme}://***@{host}{port}"


def playwright_proxy(url: str) -> dict[str, Any]:
    """A proxy for a Playwright browser context. Chromium never proxies loopback addresses unless told:
    `<-loopback>` lifts that (the offline storefront and test proxies live on 127.0.0.1)."""
    u = urlsplit(url)
    port = f":{u.port}" if u.port else ""
    proxy: dict[str, Any] = {"server": f"{u.scheme}://{u.hostname}{port}", "bypass": "<-loopback>"}
    if u.username:
        proxy["username"] = unquote(u.username)
        proxy["password"] = unquote(u.password or "")
    return proxy


class ProxyRotation:
    """The next proxy, in turn. One instance per crawl."""

    def __init__(self, proxies: tuple[str, ...]) -> None:
        self.proxies = proxies
        self._cycle = itertools.cycle(proxies)

    def next(self) -> str:
        return next(self._cycle)


class ProxyRotationMiddleware:
    """Sets `meta["proxy"]` round-robin on plain-HTTP requests (Scrapy's HttpProxyMiddleware, which
    runs after this one, turns credentials into a Proxy-Authorization header). Browser requests get
    their proxy from their context (crawler.browser_contexts)."""

    def __init__(self, crawler: Any, proxies: tuple[str, ...]) -> None:
        self.stats = crawler.stats
        self.rotation = ProxyRotation(proxies)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProxyRotationMiddleware:
        proxies = tuple(crawler.settings.getlist("STOREWATCH_PROXIES"))
        if not proxies:
            raise NotConfigured("no proxies configured")
        logger.info("rotating over %s proxies: %s", len(proxies), ", ".join(mask(p) for p in proxies))
        return cls(crawler, proxies)

    def process_request(self, request: Any, spider: Any = None) -> None:
        if request.meta.get("playwright"):
            return
        # a retry takes the next proxy too: a robot check is often about the address it came from
        proxy = self.rotation.next()
        request.meta["proxy"] = proxy
        self.stats.inc_value(f"proxy/requests/{mask(proxy)}")
