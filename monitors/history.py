"""The monitors' input: what was read about each subject, oldest run first, with the current run.

Every entry is `(Run, record)` and non-ok outcomes are kept (a listing "gone two runs in a row" needs
them); monitors compare only `ok` records. Plain dicts and lists so that storage can fill it cheaply.
Build it completely, then hand it to the monitors: `product_pair` caches its answers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from crawler.records import ListPage, OffersPage, Outcome, ProductSnapshot, SearchPage

T = TypeVar("T")
Key = tuple[str, str]  # (asin | keyword | list path | brand, marketplace)
OK = Outcome.OK


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Fetch:
    """One planned target of a run and how it ended; `outcome` None = planned but never fetched."""

    kind: str  # "product" | "offers" | "search" | "list" | "brand"
    subject: str
    marketplace: str
    outcome: Outcome | None
    missing: tuple[str, ...] = ()
    url: str | None = None


@dataclass
class History:
    run: Run  # the run being reported
    products: dict[Key, list[tuple[Run, ProductSnapshot]]] = field(default_factory=dict)
    offers: dict[Key, list[tuple[Run, OffersPage]]] = field(default_factory=dict)
    searches: dict[Key, list[tuple[Run, tuple[SearchPage, ...]]]] = field(default_factory=dict)
    lists: dict[Key, list[tuple[Run, tuple[ListPage, ...]]]] = field(default_factory=dict)
    brands: dict[Key, list[tuple[Run, tuple[SearchPage, ...]]]] = field(default_factory=dict)
    fetches: dict[str, tuple[Fetch, ...]] = field(default_factory=dict)  # run id -> targets
    _pairs: dict[Key, tuple[ProductSnapshot | None, ProductSnapshot | None, Run | None]] = field(
        default_factory=dict, repr=False)

    # Building (storage and tests); runs must be added oldest first.
    def add_product(self, run: Run, snap: ProductSnapshot) -> None:
        self.products.setdefault((snap.asin, snap.marketplace), []).append((run, snap))

    def add_offers(self, run: Run, page: OffersPage) -> None:
        self.offers.setdefault((page.asin, page.marketplace), []).append((run, page))

    def add_search(self, run: Run, keyword: str, marketplace: str, pages: Sequence[SearchPage]) -> None:
        self.searches.setdefault((keyword, marketplace), []).append((run, tuple(pages)))

    def add_list(self, run: Run, path: str, marketplace: str, pages: Sequence[ListPage]) -> None:
        self.lists.setdefault((path, marketplace), []).append((run, tuple(pages)))

    def add_brand(self, run: Run, brand: str, marketplace: str, pages: Sequence[SearchPage]) -> None:
        self.brands.setdefault((brand, marketplace), []).append((run, tuple(pages)))

    # Reading
    def is_current(self, run: Run) -> bool:
        return run.id == self.run.id

    def product_pair(self, key: Key) -> tuple[ProductSnapshot | None, ProductSnapshot | None, Run | None]:
        """(this run's ok snapshot, the latest earlier ok snapshot, its run); Nones where absent."""
        cached = self._pairs.get(key)
        if cached is not None:
            return cached
        entries = self.products.get(key, ())
        cur = prev = None
        prev_run = None
        if entries and entries[-1][0].id == self.run.id and entries[-1][1].outcome is OK:
            cur = entries[-1][1]
            for run, snap in reversed(entries[:-1] if len(entries) < 64 else entries[-64:-1]):
                if snap.outcome is OK:
                    prev, prev_run = snap, run
                    break
        pair = (cur, prev, prev_run)
        self._pairs[key] = pair
        return pair

    def current_product(self, key: Key) -> ProductSnapshot | None:
        """This run's snapshot of the product whatever its outcome, or None when it was not fetched."""
        entries = self.products.get(key)
        if entries and entries[-1][0].id == self.run.id:
            return entries[-1][1]
        return None

    def subject_checked(self, kind: str, subject: str, marketplace: str,
                        needs: frozenset[str] = frozenset()) -> bool:
        """Whether the subject was read (ok, with the fields in `needs`) this run, so that an open alert on
        it can be resolved."""
        key = (subject, marketplace)
        if kind == "product":
            # The product page itself: the monitors skip a listing whose page was not read ok.
            entries = self.products.get(key) or []
            if not entries or not self.is_current(entries[-1][0]):
                return False
            snap = entries[-1][1]
            return snap.outcome is OK and not needs.intersection(snap.missing)
        runs: dict[Key, list[tuple[Run, tuple[SearchPage, ...]]]] | dict[
            Key, list[tuple[Run, tuple[ListPage, ...]]]]
        if kind == "keyword":
            runs = self.searches
        elif kind == "list":
            runs = self.lists
        elif kind == "brand":
            runs = self.brands
        else:
            return True  # crawl health is assessed on every run
        pages = runs.get(key) or []
        return bool(pages) and self.is_current(pages[-1][0]) and usable_pages(pages[-1][1])

    def current_fetches(self) -> tuple[Fetch, ...]:
        """This run's targets: as recorded by the crawler, else derived from the records of this run."""
        if self.run.id in self.fetches:
            return self.fetches[self.run.id]
        found: list[Fetch] = []
        for (asin, mp), entries in self.products.items():
            if entries and self.is_current(entries[-1][0]):
                s = entries[-1][1]
                found.append(Fetch("product", asin, mp, s.outcome, s.missing, s.url))
        for (asin, mp), offer_entries in self.offers.items():
            if offer_entries and self.is_current(offer_entries[-1][0]):
                o = offer_entries[-1][1]
                found.append(Fetch("offers", asin, mp, o.outcome, o.missing, o.url))
        for kind, runs in (("search", self.searches), ("list", self.lists), ("brand", self.brands)):
            for (subject, mp), page_entries in runs.items():
                if page_entries and self.is_current(page_entries[-1][0]):
                    found.extend(Fetch(kind, subject, mp, p.outcome, p.missing, p.url)
                                 for p in page_entries[-1][1])
        return tuple(found)


def ok_entries(entries: Sequence[tuple[Run, T]]) -> list[tuple[Run, T]]:
    return [(run, rec) for run, rec in entries if getattr(rec, "outcome", None) is OK]


def usable_pages(pages: Sequence[SearchPage] | Sequence[ListPage]) -> bool:
    """A multi-page read is compared only when every page of it was read ok."""
    return bool(pages) and all(p.outcome is OK for p in pages)
