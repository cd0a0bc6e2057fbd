"""All offers of one ASIN: the all-offers panel, falling back to the older offer-listing page."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.records import OffersPage, Outcome
from spiders.base import ProductTarget, StorewatchSpider, failure_outcome, now


class OffersSpider(StorewatchSpider):
    name = "offers"

    def __init__(self, targets: list[ProductTarget], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets

    @staticmethod
    def urls(t: ProductTarget) -> tuple[str, str]:
        base = t.base_url.rstrip("/")
        return f"{base}/gp/aod/ajax?asin={t.asin}", f"{base}/gp/offer-listing/{t.asin}"

    async def start(self) -> AsyncIterator[Any]:
        for t in self.targets:
            yield self.offers_request(t, "aod")

    def offers_request(self, t: ProductTarget, attempt: str) -> Request:
        url = self.urls(t)[0 if attempt == "aod" else 1]
        return self.request(url, t.marketplace, self.parse, target=t, attempt=attempt, page_kind="offers")

    def parse(self, response: Response, **_: Any) -> Any:
        from spiders.parsers.offers import parse_offers

        target: ProductTarget = response.meta["target"]
        page = parse_offers(response.body, response.url, target.marketplace, response.status)
        if page.outcome != Outcome.OK and response.meta["attempt"] == "aod":
            yield self.offers_request(target, "offer-listing")
            return
        yield {"kind": "offers", "record": page, "fetched_at": now(), "body": response.body}

    def error_offers(self, failure: Failure, request: Request) -> Iterator[Any]:
        target: ProductTarget = request.meta["target"]
        if request.meta["attempt"] == "aod":
            yield self.offers_request(target, "offer-listing")
            return
        outcome, reason = failure_outcome(failure)
        yield {"kind": "offers", "fetched_at": now(), "body": None,
               "record": OffersPage(asin=target.asin, marketplace=target.marketplace, url=request.url,
                                    outcome=outcome, reason=reason)}
