"""Product pages, plus the all-offers panel when the page shows other sellers."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.parse_pool import parse
from crawler.records import Offer, OffersPage, Outcome, ProductSnapshot
from spiders.base import ProductTarget, StorewatchSpider, failure_outcome, now


class ProductPages(StorewatchSpider):
    fetch_offers = True
    screenshot_dir: str | None = None  # `check --screenshot`: a full-page PNG of each product page

    def product_request(self, t: ProductTarget) -> Request:
        shot = screenshot_path(self.screenshot_dir, t) if self.screenshot_dir else None
        return self.request(t.url, t.marketplace, self.parse_product_page, target=t, page_kind="product",
                            browser=t.fetch == "browser", screenshot=shot, screenshot_path=shot)

    async def parse_product_page(self, response: Response, **_: Any) -> Any:
        from spiders.needs_browser import product_needs_browser
        from spiders.parsers.product import parse_product

        target: ProductTarget = response.meta["target"]
        snap = await parse(self.crawler, parse_product, response.body, self.asked_url(response), target.marketplace,
                           response.status)
        snap = dataclasses.replace(snap, fetched_at=now(), url=response.url, reason=incomplete_reason(snap))
        if self.may_move(response, target.fetch) and (why := product_needs_browser(snap, response.body)):
            yield self.in_browser(response.request, why)
            return
        extra = {"screenshot": response.meta["screenshot_path"]} if response.meta.get("screenshot_path") else {}
        if self.from_browser(response) and snap.outcome == Outcome.OK and (snap.other_sellers_count or 0) > 0:
            # the browser ran the page's own panel loader: the rows are in the page
            page = rendered_panel(response.body, response.url, snap.marketplace)
            if page is not None and page.outcome == Outcome.OK and page.offers:
                snap = dataclasses.replace(snap, offers=merge_offers(snap, page.offers))
                self.crawler.stats.inc_value("offers_panel/ok/rendered")
                yield product_item(target, snap, response.body, response.status, offers_outcome="ok",
                                   offers_source="page", **extra)
                return
        if self.fetch_offers and snap.outcome == Outcome.OK and (snap.other_sellers_count or 0) > 0:
            url = f"{target.base_url.rstrip('/')}/gp/aod/ajax?asin={target.asin}"
            yield self.request(url, target.marketplace, self.parse_offers_panel, target=target,
                               snapshot=snap, product_body=response.body, page_kind="offers_panel",
                               product_request=response.request, **extra)
            return
        yield product_item(target, snap, response.body, response.status, **extra)

    async def parse_offers_panel(self, response: Response, **_: Any) -> Any:
        from spiders.needs_browser import offers_panel_needs_browser
        from spiders.parsers.offers import parse_offers

        snap: ProductSnapshot = response.meta["snapshot"]
        target: ProductTarget = response.meta["target"]
        page = await parse(self.crawler, parse_offers, response.body, response.url, snap.marketplace, response.status)
        product_request = response.meta.get("product_request")
        why = offers_panel_needs_browser(snap, page.outcome)
        if why and product_request is not None and self.may_move(product_request, target.fetch):
            yield self.in_browser(product_request, why)
            return
        if page.outcome == Outcome.OK and page.offers:
            snap = dataclasses.replace(snap, offers=merge_offers(snap, page.offers))
        elif page.outcome != Outcome.OK:
            snap = panel_unread(snap, page.outcome)
        self.crawler.stats.inc_value(f"offers_panel/{page.outcome.value}")
        extra = {"screenshot": response.meta["screenshot_path"]} if response.meta.get("screenshot_path") else {}
        yield product_item(target, snap, response.meta["product_body"], 200,
                           offers_outcome=page.outcome.value, offers_source="panel", **extra)

    def error_product(self, failure: Failure, request: Request) -> Iterator[Any]:
        target: ProductTarget = request.meta["target"]
        outcome, reason = failure_outcome(failure)
        snap = ProductSnapshot(asin=target.asin, marketplace=target.marketplace, url=request.url,
                               outcome=outcome, reason=reason, fetched_at=now())
        yield product_item(target, snap, None, None)

    def error_offers_panel(self, failure: Failure, request: Request) -> Iterator[Any]:
        from spiders.needs_browser import offers_panel_needs_browser

        outcome, _ = failure_outcome(failure)
        product_request = request.meta.get("product_request")
        why = offers_panel_needs_browser(request.meta["snapshot"], outcome)
        if why and product_request is not None and self.may_move(product_request, request.meta["target"].fetch):
            yield self.in_browser(product_request, why)
            return
        self.crawler.stats.inc_value(f"offers_panel/{outcome.value}")
        yield product_item(request.meta["target"], panel_unread(request.meta["snapshot"], outcome),
                           request.meta["product_body"], 200, offers_outcome=outcome.value)


def product_item(target: ProductTarget, snap: ProductSnapshot, body: bytes | None, status: int | None,
                 **extra: Any) -> dict[str, Any]:
    return {"kind": "product", "key": target.key, "record": snap, "body": body, "status": status, **extra}


def panel_unread(snap: ProductSnapshot, outcome: Outcome) -> ProductSnapshot:
    """The page shows other sellers but their panel could not be read. The product page itself was read,
    so the snapshot stays `ok` with what the page shows (price, buy box, the "New (N) from" count); the
    offers are marked unknown, so the seller monitors never read "a hijacker left" off a blocked panel."""
    if snap.outcome != Outcome.OK:
        return snap
    return dataclasses.replace(
        snap, missing=(*snap.missing, "offers"),
        reason=f"offers panel not read ({outcome.value}): other sellers unknown",
    )


def screenshot_path(directory: str, t: ProductTarget) -> str:
    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    return str(Path(directory) / f"{t.marketplace}-{t.asin}-{stamp}.png")


def rendered_panel(body: bytes, url: str, marketplace: str) -> OffersPage | None:
    """The all-offers panel a browser loaded into the product page, or None when it is not there."""
    if b'id="aod-offer-list"' not in body and b'id="aod-container"' not in body:
        return None
    from spiders.parsers.offers import parse_offers

    return parse_offers(body, url, marketplace, 200)


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

    def __init__(self, targets: list[ProductTarget], fetch_offers: bool = True, screenshot_dir: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets
        self.fetch_offers = fetch_offers
        self.screenshot_dir = screenshot_dir

    async def start(self) -> AsyncIterator[Any]:
        for t in self.targets:
            yield self.product_request(t)
