"""A realistic browser header set per marketplace, instead of Scrapy's default user agent."""

from __future__ import annotations

from crawler.marketplaces import Marketplace

# One current desktop Chrome on Windows: the most common shopper, so the least remarkable.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def accept_language(market: Marketplace) -> str:
    lang = market.locale
    primary = lang.split("-")[0]
    parts = [lang, f"{primary};q=0.9"]
    if primary != "en":
        parts.append("en;q=0.8")
    return ",".join(parts)


def browser_headers(market: Marketplace) -> dict[str, str]:
    return {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        "Accept-Language": accept_language(market),
        "Upgrade-Insecure-Requests": "1",
        "Sec-Fetch-Dest": "document",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Site": "none",
    }
