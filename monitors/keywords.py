"""Keyword ranks of tracked ASINs: out of the top N, falling run after run, not indexed, and who pays
to be shown above them."""
from __future__ import annotations

from collections.abc import Iterator

from crawler.records import SearchPage, SearchResult
from monitors.base import Alert, Monitor, Severity, SubjectKind
from monitors.history import History, Run, usable_pages
from monitors.settings import MonitorSettings, TrackedKeyword

KW = SubjectKind.KEYWORD


def results(pages: tuple[SearchPage, ...]) -> list[SearchResult]:
    return [r for p in sorted(pages, key=lambda p: p.page) for r in p.results]


def best_organic(rs: list[SearchResult], asin: str) -> int | None:
    positions = [r.organic_position for r in rs if r.asin == asin and not r.sponsored and r.organic_position]
    return min(positions) if positions else None


def tracked(history: History, settings: MonitorSettings) -> Iterator[
        tuple[TrackedKeyword, list[tuple[Run, tuple[SearchPage, ...]]], tuple[SearchPage, ...]]]:
    """Each tracked keyword whose pages were all read ok this run, with its usable runs (oldest first)."""
    for kw in settings.keywords:
        entries = history.searches.get((kw.keyword, kw.marketplace))
        if not entries or not history.is_current(entries[-1][0]) or not usable_pages(entries[-1][1]):
            continue
        yield kw, [(run, pages) for run, pages in entries if usable_pages(pages)], entries[-1][1]


class KeywordOutOfTopN(Monitor):
    """A tracked ASIN ranks organically below the keyword's top N (found, but further down)."""

    name = "keyword_out_of_top_n"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for kw, usable, pages in tracked(history, settings):
            rs = results(pages)
            prev = results(usable[-2][1]) if len(usable) > 1 else None
            for asin in kw.asins:
                pos = best_organic(rs, asin)
                if pos is None or pos <= kw.top_n:
                    continue
                before = best_organic(prev, asin) if prev is not None else None
                alerts.append(self.alert(KW, kw.keyword, kw.marketplace, "keywords.out_of_top_n",
                                         field="organic_position", discriminator=asin, before=before, after=pos,
                                         url=pages[0].url, params={"asin": asin, "position": pos,
                                                                   "before": before, "top_n": kw.top_n}))
        return alerts


class KeywordFalling(Monitor):
    """A tracked ASIN's organic rank for a keyword got worse on each of the last 3 runs read."""

    name = "keyword_falling"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        n = settings.keyword_fall_runs
        for kw, usable, pages in tracked(history, settings):
            if len(usable) < n + 1:
                continue
            window = [results(p) for _, p in usable[-(n + 1):]]
            for asin in kw.asins:
                positions = [best_organic(rs, asin) for rs in window]
                ranks = [p if p is not None else float("inf") for p in positions]
                if all(ranks[i] < ranks[i + 1] for i in range(n)):
                    alerts.append(self.alert(KW, kw.keyword, kw.marketplace, "keywords.falling",
                                             field="organic_position", discriminator=asin, before=positions[0],
                                             after=positions[-1], url=pages[0].url,
                                             params={"asin": asin, "runs": n, "positions": positions}))
        return alerts


class KeywordNotIndexed(Monitor):
    """A tracked ASIN appears nowhere (neither organic nor sponsored) on the result pages read."""

    name = "keyword_not_indexed"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for kw, usable, pages in tracked(history, settings):
            present = {r.asin for r in results(pages)}
            prev = results(usable[-2][1]) if len(usable) > 1 else None
            for asin in kw.asins:
                if asin in present:
                    continue
                before = best_organic(prev, asin) if prev is not None else None
                alerts.append(self.alert(KW, kw.keyword, kw.marketplace, "keywords.not_indexed",
                                         field="organic_position", discriminator=asin, before=before,
                                         url=pages[0].url, params={"asin": asin, "pages": len(pages),
                                                                   "before": before}))
        return alerts


class SponsoredAbove(Monitor):
    """A competitor's sponsored result is shown above the seller's first result for a keyword."""

    name = "sponsored_above"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        own_asins = settings.own_asins()
        own_brands = settings.all_own_brands()
        for kw, _, pages in tracked(history, settings):
            ours = own_asins | set(kw.asins)
            rs = results(pages)
            first = next((i for i, r in enumerate(rs) if r.asin in ours), None)
            if first is None:
                continue  # not indexed: reported by keyword_not_indexed
            seen = set()
            for r in rs[:first]:
                if (not r.sponsored or r.asin in seen or r.asin in ours
                        or (r.brand or "").casefold() in own_brands):
                    continue
                seen.add(r.asin)
                alerts.append(self.alert(
                    KW, kw.keyword, kw.marketplace, "keywords.sponsored_above", field="sponsored",
                    discriminator=r.asin, after=r.asin, url=pages[0].url,
                    params={"asin": r.asin, "brand": r.brand, "title": r.title, "page": r.page,
                            "position": r.position, "own_asin": rs[first].asin, "own_page": rs[first].page,
                            "own_position": rs[first].position}))
        return alerts


class SponsoredBannerHolder(Monitor):
    """Another brand holds the sponsored-brand banner (or sponsored video) for a tracked keyword."""

    name = "sponsored_banner"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        own_brands = settings.all_own_brands()
        for kw, _, pages in tracked(history, settings):
            seen = set()
            for p in pages:
                for b in p.banners:
                    ident = f"{b.kind}:{(b.brand or '').casefold()}"
                    if not b.brand or b.brand.casefold() in own_brands or ident in seen:
                        continue
                    seen.add(ident)
                    alerts.append(self.alert(
                        KW, kw.keyword, kw.marketplace, "keywords.sponsored_banner", field="banner",
                        discriminator=ident, after=b.brand, url=pages[0].url,
                        params={"brand": b.brand, "kind": b.kind, "asins": list(b.asins)}))
        return alerts


MONITORS = (KeywordOutOfTopN, KeywordFalling, KeywordNotIndexed, SponsoredAbove, SponsoredBannerHolder)
