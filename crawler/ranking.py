"""Keyword positions across the result pages read: organic and sponsored counted separately."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from crawler.records import SearchPage, SearchResult


def combine_pages(pages: list[SearchPage]) -> list[SearchResult]:
    """Every card in page order, organic/sponsored positions counted over all pages read."""
    results: list[SearchResult] = []
    organic = sponsored = 0
    for page in sorted(pages, key=lambda p: p.page):
        for r in page.results:
            if r.sponsored:
                sponsored += 1
                results.append(
                    dataclasses.replace(
                        r, page=page.page, organic_position=None, sponsored_position=sponsored
                    )
                )
            else:
                organic += 1
                results.append(
                    dataclasses.replace(r, page=page.page, organic_position=organic, sponsored_position=None)
                )
    return results


@dataclass(frozen=True, slots=True)
class Tracked:
    asin: str
    organic_position: int | None  # best (lowest) organic position, None = not indexed on the pages read
    sponsored_position: int | None
    page: int | None


def track(results: list[SearchResult], asins: list[str]) -> list[Tracked]:
    out = []
    for asin in asins:
        mine = [r for r in results if r.asin == asin]
        org = [r for r in mine if r.organic_position is not None]
        spo = [r for r in mine if r.sponsored_position is not None]
        best = min(org, key=lambda r: r.organic_position or 0) if org else None
        out.append(
            Tracked(
                asin=asin,
                organic_position=best.organic_position if best else None,
                sponsored_position=min(r.sponsored_position or 0 for r in spo) if spo else None,
                page=best.page if best else (spo[0].page if spo else None),
            )
        )
    return out
