"""Search result pages of one keyword: one request per page; one page serves every tracked ASIN on it."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.parse_pool import parse
from crawler.records import SearchPage
from spiders.base import StorewatchSpider, failure_outcome, now


@dataclass(frozen=True, slots=True)
class SearchTarget:
    keyword: str
    marketplace: str
    base_url: str
    pages: int = 1
    sort: str | None = None  # "date-desc-rank": a brand's newest listings
    purpose: str = "keyword"  # keyword | brand
    fetch: str = "http"  # http | browser | auto

    def url(self, page: int) -> str:
        url = f"{self.base_url.rstrip('/')}/s?k={quote_plus(self.keyword)}"
        if self.sort:
            url += f"&s={self.sort}"
        return url if page == 1 else f"{url}&page={page}"

    @property
    def key(self) -> str:
        return f"{self.marketplace}:{self.purpose}:{self.keyword}"


class SearchPages(StorewatchSpider):
    def search_requests(self, t: SearchTarget) -> Iterator[Request]:
        for page in range(1, t.pages + 1):
            yield self.request(t.url(page), t.marketplace, self.parse_search_page, target=t, page=page,
                               page_kind="search", browser=t.fetch == "browser")

    async def parse_search_page(self, response: Response, **_: Any) -> Any:
        from spiders.needs_browser import search_needs_browser
        from spiders.parsers.search import parse_search

        target: SearchTarget = response.meta["target"]
        page = await parse(self.crawler, parse_search, response.body, response.url, target.marketplace,
                           response.status, page=response.meta["page"])
        if self.may_move(response, target.fetch) and (why := search_needs_browser(page)):
            yield self.in_browser(response.request, why)
            return
        page = dataclasses.replace(page, keyword=target.keyword)
        yield search_item(target, page, response.body, response.status)

    def error_search(self, failure: Failure, request: Request) -> Iterator[Any]:
        target: SearchTarget = request.meta["target"]
        outcome, reason = failure_outcome(failure)
        page = SearchPage(keyword=target.keyword, marketplace=target.marketplace, url=request.url,
                          page=request.meta["page"], outcome=outcome, reason=reason)
        yield search_item(target, page, None, None)


def search_item(target: SearchTarget, page: SearchPage, body: bytes | None, status: int | None) -> dict[str, Any]:
    return {"kind": "search", "key": target.key, "purpose": target.purpose, "record": page, "target": target,
            "fetched_at": now(), "body": body, "status": status}


class SearchSpider(SearchPages):
    name = "search"

    def __init__(self, targets: list[SearchTarget], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets

    async def start(self) -> AsyncIterator[Any]:
        for t in self.targets:
            for request in self.search_requests(t):
                yield request
