"""New ASINs from watched brands, found on the brand's search results."""
from __future__ import annotations

from crawler.records import SearchResult
from monitors.base import Alert, Monitor, Severity, SubjectKind
from monitors.history import History, usable_pages
from monitors.settings import MonitorSettings


def by_brand(r: SearchResult, brand: str) -> bool:
    """The card belongs to the brand: its brand line, else (cards often print none) its title's start."""
    want = brand.casefold()
    if r.brand is not None:
        return r.brand.casefold() == want
    return r.title is not None and r.title.casefold().startswith(want + " ")


class NewBrandListing(Monitor):
    """A watched brand shows an ASIN never seen before on its search results: title, price, first image."""

    name = "new_brand_listing"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        watched = {b.casefold() for b in settings.watched_brands}
        for (brand, mp), entries in history.brands.items():
            if brand.casefold() not in watched or not entries or not history.is_current(entries[-1][0]):
                continue
            pages = entries[-1][1]
            if not usable_pages(pages):
                continue
            earlier = [pp for _, pp in entries[:-1]]
            if not any(usable_pages(pp) for pp in earlier):
                continue  # the first complete reading is the baseline
            known = {r.asin for pp in earlier for p in pp if p.outcome.value == "ok" for r in p.results}
            seen = set()
            for p in sorted(pages, key=lambda p: p.page):
                for r in p.results:
                    if r.asin in known or r.asin in seen or (r.asin, mp) in history.products or not by_brand(r, brand):
                        continue
                    seen.add(r.asin)
                    alerts.append(self.alert(
                        SubjectKind.BRAND, brand, mp, "newlistings.new_asin", field="asin", discriminator=r.asin,
                        after=r.asin, url=p.url, event=True,
                        params={"brand": brand, "asin": r.asin, "title": r.title,
                                "price": r.price and r.price.amount, "currency": r.price and r.price.currency,
                                "image": getattr(r, "image", None), "sponsored": r.sponsored}))
        return alerts


MONITORS = (NewBrandListing,)
