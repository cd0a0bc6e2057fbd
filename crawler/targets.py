"""From a watchlist to crawl targets: one target per page to read, never the same product twice."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.config import Config
from spiders.base import ProductTarget
from spiders.bestsellers import ListTarget
from spiders.search import SearchTarget


@dataclass(frozen=True)
class Targets:
    products: tuple[ProductTarget, ...]
    searches: tuple[SearchTarget, ...]
    lists: tuple[ListTarget, ...]

    @property
    def pages(self) -> int:
        return len(self.products) + sum(s.pages for s in self.searches) + sum(lt.pages for lt in self.lists)

    def keys(self) -> list[tuple[str, str]]:
        return (
            [("product", t.key) for t in self.products]
            + [("search", s.key) for s in self.searches]
            + [("list", lt.key) for lt in self.lists]
        )


def build_targets(
    config: Config, base_url: str | None = None, marketplaces: list[str] | None = None, own_only: bool = False
) -> Targets:
    keep = set(marketplaces or config.marketplaces)
    seen: set[tuple[str, str]] = set()
    products = []
    for p in config.products:
        if p.marketplace not in keep or (own_only and not p.own) or (p.marketplace, p.asin) in seen:
            continue
        seen.add((p.marketplace, p.asin))
        products.append(
            ProductTarget(
                p.asin,
                p.marketplace,
                config.base_url(p.marketplace, base_url),
                config.fetch_mode(p.marketplace, p),
            )
        )
    if own_only:
        return Targets(tuple(products), (), ())
    searches = [
        SearchTarget(k.term, k.marketplace, config.base_url(k.marketplace, base_url), k.pages)
        for k in config.keywords
        if k.marketplace in keep
    ]
    searches += [
        SearchTarget(
            b.name,
            b.marketplace,
            config.base_url(b.marketplace, base_url),
            b.pages,
            sort="date-desc-rank",
            purpose="brand",
        )
        for b in config.brands
        if b.marketplace in keep
    ]
    lists = [
        ListTarget(lt.path, lt.marketplace, config.base_url(lt.marketplace, base_url), lt.pages)
        for lt in config.lists
        if lt.marketplace in keep
    ]
    return Targets(tuple(products), tuple(searches), tuple(lists))
