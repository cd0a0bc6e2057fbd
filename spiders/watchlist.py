"""The nightly crawl: every page kind of a watchlist in one spider, so one downloader keeps one polite
slot per marketplace across product, search and list pages."""
from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import zip_longest
from typing import Any

from scrapy import Request

from spiders.bestsellers import ListPages, ListTarget
from spiders.product import ProductPages
from spiders.search import SearchPages, SearchTarget
from spiders.base import ProductTarget


class WatchlistSpider(ProductPages, SearchPages, ListPages):
    name = "watchlist"

    def __init__(self, products: list[ProductTarget] = (), searches: list[SearchTarget] = (),  # type: ignore[assignment]
                 lists: list[ListTarget] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(**kwargs)
        self.products, self.searches, self.lists = list(products), list(searches), list(lists)

    def all_requests(self) -> list[Request]:
        """Every first request, interleaved across marketplaces so each marketplace's slot stays busy."""
        by_market: dict[str, list[Request]] = {}
        for t in self.products:
            by_market.setdefault(t.marketplace, []).append(self.product_request(t))
        for s in self.searches:
            by_market.setdefault(s.marketplace, []).extend(self.search_requests(s))
        for lt in self.lists:
            by_market.setdefault(lt.marketplace, []).extend(self.list_requests(lt))
        return [r for group in zip_longest(*by_market.values()) for r in group if r is not None]

    async def start(self) -> AsyncIterator[Any]:
        for request in self.all_requests():
            yield request
