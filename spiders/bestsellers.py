"""Ranked lists: best sellers, new releases, movers & shakers (and the all-departments landing page)."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.parse_pool import parse
from crawler.records import ListPage
from spiders.base import StorewatchSpider, failure_outcome, now


@dataclass(frozen=True, slots=True)
class ListTarget:
    path: str  # "/gp/bestsellers/books", or a full URL
    marketplace: str
    base_url: str
    pages: int = 1
    fetch: str = "http"  # http | browser | auto

    def url(self, page: int) -> str:
        base = self.path if "://" in self.path else f"{self.base_url.rstrip('/')}/{self.path.lstrip('/')}"
        if page == 1:
            return base
        return f"{base}{'&' if '?' in base else '?'}pg={page}"

    @property
    def key(self) -> str:
        return f"{self.marketplace}:{self.path}"


class ListPages(StorewatchSpider):
    def list_requests(self, t: ListTarget) -> Iterator[Request]:
        for page in range(1, t.pages + 1):
            yield self.request(t.url(page), t.marketplace, self.parse_list_page, target=t, page=page,
                               page_kind="list", browser=t.fetch == "browser")

    async def parse_list_page(self, response: Response, **_: Any) -> Any:
        from spiders.needs_browser import list_needs_browser
        from spiders.parsers.lists import parse_list

        target: ListTarget = response.meta["target"]
        page = await parse(self.crawler, parse_list, response.body, response.url, target.marketplace,
                           response.status)
        if self.may_move(response, target.fetch) and (why := list_needs_browser(page)):
            yield self.in_browser(response.request, why)
            return
        yield list_item(target, response.meta["page"], page, response.body, response.status)

    def error_list(self, failure: Failure, request: Request) -> Iterator[Any]:
        target: ListTarget = request.meta["target"]
        outcome, reason = failure_outcome(failure)
        page = ListPage(kind="bestsellers", marketplace=target.marketplace, url=request.url,
                        outcome=outcome, reason=reason)
        yield list_item(target, request.meta["page"], page, None, None)


def list_item(target: ListTarget, page_no: int, page: ListPage, body: bytes | None,
              status: int | None) -> dict[str, Any]:
    return {"kind": "list", "key": target.key, "record": page, "target": target, "page": page_no,
            "fetched_at": now(), "body": body, "status": status}


class ListSpider(ListPages):
    name = "bestsellers"

    def __init__(self, targets: list[ListTarget], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets

    async def start(self) -> AsyncIterator[Any]:
        for t in self.targets:
            for request in self.list_requests(t):
                yield request
