"""Product pages, plus the all-offers panel when the page shows other sellers."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.records import Offer, Outcome, ProductSnapshot
from spiders.base import ProductTarget, StorewatchSpider, failure_outcome, now


class ProductPages(StorewatchSpider):
    fetch_offers = True

    def product_request(self, t: ProductTarget) -> Request:
        return self.request(t.url, t.marketplace, self.parse_product_page, target=t, page_kind="product")

    def parse_product_page(self, response: Response, **_: Any) -> Any:
        from spiders.parsers.product import parse_product

        target: ProductTarget = response.meta["target"]
        snap = parse_product(response.body, self.asked_url(response), target.marketplace, response.status)
        snap = dataclasses.replace(snap, fetched_at=now(), url=response.url, reason=incomplete_reason(snap))
        if self.fetch_offers and snap.outcome == Outcome.OK and (snap.other_sellers_count or 0) > 0:
            url = f"{target.base_url.rstrip('/')}/gp/aod/ajax?asin={target.asin}"
            yield self.request(url, target.marketplace, self.parse_offers_panel, target=target,
                               snapshot=snap, product_body=response.body, page_kind="offers_panel")
            return
        yield product_item(target, snap, response.body, response.status)

    def parse_offers_panel(self, response: Response, **_: Any) -> Any:
        from spiders.parsers.offers import parse_offers

        snap: ProductSnapshot = response.meta["snapshot"]
        page = parse_offers(response.body, response.url, snap.marketplace, response.status)
        if page.outcome == Outcome.OK and page.offers:
            snap = dataclasses.replace(snap, offers=merge_offers(snap, page.offers))
        self.crawler.stats.inc_value(f"offers_panel/{page.outcome.value}")
        yield product_item(response.meta["target"], snap, response.meta["product_body"], 200,
                           offers_outcome=page.outcome.value)

    def error_product(self, failure: Failure, request: Request) -> Iterator[Any]:
        target: ProductTarget = request.meta["target"]
        outcome, reason = failure_outcome(failure)
        snap = ProductSnapshot(asin=target.asin, marketplace=target.marketplace, url=request.url,
                               outcome=outcome, reason=reason, fetched_at=now())
        yield product_item(target, snap, None, None)

    def error_offers_panel(self, failure: Failure, request: Request) -> Iterator[Any]:
        # The panel failed: the product page itself was read, keep what it showed.
        outcome, _ = failure_outcome(failure)
        self.crawler.stats.inc_value(f"offers_panel/{outcome.value}")
        yield product_item(request.meta["target"], request.meta["snapshot"], request.meta["product_body"], 200,
                           offers_outcome=outcome.value)


def product_item(target: ProductTarget, snap: ProductSnapshot, body: bytes | None, status: int | None,
                 **extra: Any) -> dict[str, Any]:
    return {"kind": "product", "key": target.key, "record": snap, "body": body, "status": status, **extra}


def incomplete_reason(snap: ProductSnapshot) -> str | None:
    """A partly read page names the fields it is missing, so a broken selector can be found."""
    if snap.outcome != Outcome.PARSE_INCOMPLETE or not snap.missing or "missing" in (snap.reason or ""):
        return snap.reason
    return f"{snap.reason or 'page read in part'}; missing: {', '.join(snap.missing)}"


def merge_offers(snap: ProductSnapshot, panel: tuple[Offer, ...]) -> tuple[Offer, ...]:
    """The panel's rows, with the buy-box offer first; the page's own buy-box row when the panel has none."""
    if any(o.is_buybox for o in panel):
        return tuple(sorted(panel, key=lambda o: not o.is_buybox))
    own = tuple(o for o in snap.offers if o.is_buybox)
    return own + tuple(panel)


class ProductSpider(ProductPages):
    name = "product"

    def __init__(self, targets: list[ProductTarget], fetch_offers: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets
        self.fetch_offers = fetch_offers

    async def start(self) -> AsyncIterator[Any]:
        for t in self.targets:
            yield self.product_request(t)
