"""The nightly crawl: every page kind of a watchlist in one spider, so one downloader keeps one polite
slot per marketplace across product, search and list pages."""
from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import zip_longest
from typing import Any

from scrapy import Request

from spiders.base import ProductTarget
from spiders.bestsellers import ListPages, ListTarget
from spiders.product import ProductPages
from spiders.search import SearchPages, SearchTarget


class WatchlistSpider(ProductPages, SearchPages, ListPages):
    name = "watchlist"

    def __init__(self, products: list[ProductTarget] = (), searches: list[SearchTarget] = (),  # type: ignore[assignment]
                 lists: list[ListTarget] = (), locations: dict[str, tuple[str, str]] | None = None,  # type: ignore[assignment]
                 **kwargs: Any) -> None:
        """`locations`: marketplace -> (base URL, postcode) for marketplaces with a delivery postcode."""
        super().__init__(**kwargs)
        self.products, self.searches, self.lists = list(products), list(searches), list(lists)
        self.locations = dict(locations or {})
        self.location_cookies: dict[str, dict[str, str]] = {}

    def requests_by_market(self) -> dict[str, list[Request]]:
        by_market: dict[str, list[Request]] = {}
        for t in self.products:
            by_market.setdefault(t.marketplace, []).append(self.product_request(t))
        for s in self.searches:
            by_market.setdefault(s.marketplace, []).extend(self.search_requests(s))
        for lt in self.lists:
            by_market.setdefault(lt.marketplace, []).extend(self.list_requests(lt))
        return by_market

    def all_requests(self) -> list[Request]:
        """Every first request, interleaved across marketplaces so each marketplace's slot stays busy.
        A marketplace with a postcode starts with its address change; its pages follow that answer."""
        groups = []
        for market, requests in self.requests_by_market().items():
            if market in self.locations:
                base_url, postcode = self.locations[market]
                groups.append([self.address_change(market, base_url, postcode, requests)])
            else:
                groups.append(requests)
        return [r for group in zip_longest(*groups) for r in group if r is not None]

    async def start(self) -> AsyncIterator[Any]:
        for request in self.all_requests():
            yield request
