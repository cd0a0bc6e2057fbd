"""From the database to the monitors: the History of one run, the suite over it, the alerts saved.

What a History holds (the monitors' needs, not the whole database):
- products: per watched (ASIN, marketplace) every snapshot of the last 31 days, any outcome, plus the
  last ok snapshot before them (the baseline of a listing that was unreadable for a month);
- offers: this run's offers panels;
- keywords and lists: the pages of the last 10 runs of the reported run's kind, grouped per run;
- brands: the same for brand searches (search pages sorted newest first, `s=date-desc-rank`), plus
  one summary reading of every ASIN the brand showed before that window, so "never seen" stays true;
- fetches: this run's targets with outcome and missing fields, and planned targets never fetched.
Only runs of the reported run's kind count (an intraday `own` run also sees the nightly crawls), so the
daily report compares crawl with crawl; ad-hoc `check` runs and later runs are left out.

A product reading of this run whose page counts other sellers but whose offers hold none besides the
buy box (the all-offers panel was blocked or failed) stays `ok` with "offers" among its missing fields:
the seller monitors skip it (and keep their open alerts unconfirmed), since "the hijacker left" must not
be concluded from a panel that was not read; the buy box, price and rating monitors still judge it.
"""
from __future__ import annotations

import dataclasses
import gc
import logging
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from crawler.config import Config
from crawler.models import Run as RunRow
from crawler.models import SearchResultRow, Target
from crawler.records import OffersPage, Outcome, ProductSnapshot, SearchPage, SearchResult
from crawler.store import ADHOC_RUN_KIND, Fetched, RunInfo, Store, list_key
from monitors.base import Alert, Monitor
from monitors.history import Fetch, History, Run

log = logging.getLogger(__name__)
T = TypeVar("T")

PRODUCT_DAYS = 31
PAGE_RUNS = 10
# Fetch times used to be stored to the second and a run's start to the microsecond (a page fetched in the
# run's first second looked older than the run); queries still reach back this far; runs decide the rest.
SLACK = timedelta(minutes=5)
BRAND_SORT = "date-desc-rank"
_USABLE_STATUSES = ("complete", "incomplete")
OWN_RUN_KIND = "own"  # `storewatch crawl --own-only`: intraday checks of own listings


def counted_across_pages(pages: Sequence[SearchPage]) -> list[SearchPage]:
    """A run's result pages with positions counted over all its pages, as the records promise (the
    parser counts on each page alone; the crawl stores pages as they come)."""
    from crawler.ranking import combine_pages

    by_page: dict[int, list[SearchResult]] = {}
    for r in combine_pages(list(pages)):
        by_page.setdefault(r.page, []).append(r)
    ordered = sorted(pages, key=lambda p: p.page)
    return [dataclasses.replace(p, results=tuple(by_page.pop(p.page, ()))) for p in ordered]


def is_brand_search(url: str) -> bool:
    """Brand searches are the only searches the crawl sorts (newest first)."""
    return parse_qs(urlsplit(url).query).get("s") == [BRAND_SORT]


OFFERS_UNREAD = "offers"  # the name the spider gives the field when the panel fails (spiders/product.py)


def partial_offers(snap: ProductSnapshot) -> ProductSnapshot:
    """The reading with its offers marked unknown when the page counts other sellers its offers do not
    show. It stays `ok`: only the monitors that need the offers (monitors.sellers.OFFERS) skip it."""
    if snap.outcome is not Outcome.OK or not snap.other_sellers_count or snap.other_sellers_count < 2:
        return snap
    if OFFERS_UNREAD in snap.missing or any(not o.is_buybox for o in snap.offers) or \
            len(snap.offers) >= snap.other_sellers_count:
        return snap
    return dataclasses.replace(snap, missing=(*snap.missing, OFFERS_UNREAD),
                               reason=snap.reason or "offers panel not read: other sellers unknown")


class HistoryBuilder:
    def __init__(self, store: Store, config: Config, run_id: int) -> None:
        self.store = store
        self.config = config
        self.info = store.run(run_id)
        self.current = Run(str(run_id), self.info.started_at)
        self._order = (self.info.started_at, run_id)
        # The daily report diffs crawl against crawl; intraday own-listing runs see the crawls too.
        self._kinds = {self.info.kind} | ({"crawl"} if self.info.kind == OWN_RUN_KIND else set())
        self._runs: dict[int, Run | None] = {}
        self.product_since = self.info.started_at - timedelta(days=PRODUCT_DAYS)
        self.page_since = self._page_window_start()

    # -- runs ----------------------------------------------------------------------------------------

    def run(self, run_id: int) -> Run | None:
        """The run as History sees it, or None when it does not belong in this history."""
        if run_id not in self._runs:
            try:
                info = self.store.run(run_id)
            except LookupError:
                self._runs[run_id] = None
            else:
                self._runs[run_id] = self._eligible(info.id, info.kind, info.started_at)
        return self._runs[run_id]

    def _eligible(self, run_id: int, kind: str, started_at: datetime) -> Run | None:
        if run_id == self.info.id:
            return self.current
        if (started_at, run_id) > self._order or kind not in self._kinds:
            return None
        return Run(str(run_id), started_at)

    def _page_window_start(self) -> datetime:
        """Start of the last PAGE_RUNS runs of this kind (this one included)."""
        query = (select(RunRow.id, RunRow.kind, RunRow.started_at)
                 .where(RunRow.kind == self.info.kind, RunRow.started_at <= self.info.started_at)
                 .order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(PAGE_RUNS + 5))
        with self.store.db.transaction(write=False) as conn:
            rows = [r for r in conn.execute(query).all() if (r.started_at, r.id) <= self._order]
        for r in rows:
            self._runs.setdefault(r.id, self._eligible(r.id, r.kind, r.started_at))
        return min(r.started_at for r in rows[:PAGE_RUNS])

    def _sorted(self, entries: Iterable[tuple[Run, T]]) -> list[tuple[Run, T]]:
        return sorted(entries, key=lambda e: (e[0].at, int(e[0].id)))

    # -- products ------------------------------------------------------------------------------------

    def product_keys(self) -> list[tuple[str, str]]:
        keep = set(self.info.marketplaces) or set(self.config.marketplaces)
        own_only = self.info.kind == OWN_RUN_KIND
        keys = [(p.asin, p.marketplace) for p in self.config.products
                if p.marketplace in keep and (p.own or not own_only)]
        return list(dict.fromkeys(keys))

    def add_products(self, history: History, keys: Sequence[tuple[str, str]]) -> None:
        """Every watched listing's snapshots, a few queries per marketplace (not per ASIN): at 10,000
        listings the per-ASIN queries, not the rows, were most of the time."""
        by_market: dict[str, list[str]] = {}
        for asin, mp in keys:
            by_market.setdefault(mp, []).append(asin)
        found: dict[str, defaultdict[str, list[tuple[Run, ProductSnapshot]]]] = {}  # marketplace, ASIN
        for mp, asins in by_market.items():
            window = self.store.product_histories(asins, mp, since=self.product_since)
            # The baseline of a listing that was unreadable for the whole window.
            baseline = self.store.last_ok_products(asins, mp, before=self.product_since)
            runs = {i: self.run(i) for i in {f.run_id for f in window} | {f.run_id for f in baseline}}
            by_asin = found[mp] = defaultdict(list)
            for f in window:
                run = runs[f.run_id]
                if run is not None:
                    snap = partial_offers(f.record) if run is self.current else f.record
                    by_asin[snap.asin].append((run, snap))
            for f in baseline:
                run = runs[f.run_id]
                if run is not None:
                    by_asin[f.record.asin].append((run, f.record))
        for asin, mp in keys:
            if asin in found[mp]:  # the list History.add_product would build
                history.products[(asin, mp)] = self._sorted(found[mp][asin])

    def add_offers(self, history: History, keys: Sequence[tuple[str, str]]) -> None:
        found: dict[tuple[str, str], list[OffersPage]] = {}
        for f in self.store.run_offers(self.info.id, since=self.info.started_at - SLACK):
            found.setdefault((f.record.asin, f.record.marketplace), []).append(f.record)
        for key in keys:
            for page in found.get(key, ()):
                history.add_offers(self.current, page)

    # -- pages ---------------------------------------------------------------------------------------

    def grouped(self, fetched: Sequence[Fetched[T]], page_no: Callable[[T], int]) -> list[tuple[Run, list[T]]]:
        by_run: dict[int, list[T]] = {}
        for f in fetched:
            by_run.setdefault(f.run_id, []).append(f.record)
        out = []
        for run_id, pages in by_run.items():
            run = self.run(run_id)
            if run is not None and run.at >= self.page_since:
                out.append((run, sorted(pages, key=page_no)))
        return self._sorted(out)

    def add_searches(self, history: History) -> None:
        keep = set(self.info.marketplaces) or set(self.config.marketplaces)
        for kw in self.config.keywords:
            if kw.marketplace not in keep:
                continue
            fetched = [f for f in self.store.search_history(kw.term, kw.marketplace, since=self.page_since - SLACK)
                       if not is_brand_search(f.record.url)]
            for run, pages in self.grouped(fetched, lambda p: p.page):
                history.add_search(run, kw.term, kw.marketplace, counted_across_pages(pages))

    def add_brands(self, history: History) -> None:
        keep = set(self.info.marketplaces) or set(self.config.marketplaces)
        for b in self.config.brands:
            if b.marketplace not in keep:
                continue
            fetched = [f for f in self.store.search_history(b.name, b.marketplace, since=self.page_since - SLACK)
                       if is_brand_search(f.record.url)]
            seen = self._brand_asins_before(b.name, b.marketplace)
            if seen is not None:
                history.add_brand(*seen)
            for run, pages in self.grouped(fetched, lambda p: p.page):
                history.add_brand(run, b.name, b.marketplace, counted_across_pages(pages))

    def _brand_asins_before(self, brand: str, marketplace: str) -> tuple[Run, str, str, list[SearchPage]] | None:
        """One reading summing up every ASIN the brand's searches showed before the page window."""
        query = (select(SearchResultRow.asin, Target.fetched_at, Target.url)
                 .join(Target, Target.id == SearchResultRow.target_id)
                 .join(RunRow, RunRow.id == Target.run_id)
                 .where(Target.kind == "search", Target.marketplace == marketplace, Target.key == brand,
                        Target.outcome == Outcome.OK.value, RunRow.started_at < self.page_since,
                        RunRow.kind.in_(self._kinds)))
        with self.store.db.transaction(write=False) as conn:
            rows = [r for r in conn.execute(query) if is_brand_search(r.url)]
        if not rows:
            return None
        asins = list(dict.fromkeys(r.asin for r in rows))
        latest = max(r.fetched_at for r in rows)
        results = tuple(SearchResult(page=1, position=i, asin=a, sponsored=False, organic_position=i,
                                     sponsored_position=None) for i, a in enumerate(asins, 1))
        page = SearchPage(keyword=brand, marketplace=marketplace, url=rows[-1].url, page=1, outcome=Outcome.OK,
                          results=results)
        return Run(f"before-{self.page_since.isoformat()}", latest), brand, marketplace, [page]

    def add_lists(self, history: History) -> None:
        keep = set(self.info.marketplaces) or set(self.config.marketplaces)
        for lt in self.config.lists:
            if lt.marketplace not in keep:
                continue
            path = list_key(lt.path)[0]
            fetched = self.store.list_history(path, lt.marketplace, since=self.page_since - SLACK)
            for run, pages in self.grouped(fetched, lambda p: list_key(p.url)[1]):
                history.add_list(run, path, lt.marketplace, pages)

    # -- this run's targets --------------------------------------------------------------------------

    def fetches(self, history: History) -> tuple[Fetch, ...]:
        missing: dict[tuple[str, str], tuple[str, ...]] = {}
        for entries in history.products.values():
            run, snap = entries[-1]
            if history.is_current(run):
                missing[("product", snap.url)] = snap.missing
        for off in history.offers.values():
            missing[("offers", off[-1][1].url)] = off[-1][1].missing
        for runs in (history.searches, history.brands, history.lists):
            for page_entries in runs.values():
                run, pages = page_entries[-1]
                if history.is_current(run):
                    for p in pages:
                        missing[("search" if isinstance(p, SearchPage) else "list", p.url)] = p.missing
        found: list[Fetch] = []
        done: set[tuple[str, str, str, int]] = set()
        for t in self.store.run_targets(self.info.id):
            kind = "brand" if t.kind == "search" and is_brand_search(t.url) else t.kind
            done.add((kind, t.key, t.marketplace, t.page))
            found.append(Fetch(kind, t.key, t.marketplace, t.outcome,
                               missing.get((t.kind, t.url), ()) if t.outcome is not None else (), t.url))
        for kind, key, marketplace, page in self.planned():
            if (kind, key, marketplace, page) not in done:
                found.append(Fetch(kind, key, marketplace, None))
        return tuple(found)

    def planned(self) -> list[tuple[str, str, str, int]]:
        """(kind, key, marketplace, page) of every page the watchlist asks this kind of run to read."""
        keys = [("product", asin, mp, 0) for asin, mp in self.product_keys()]
        if self.info.kind == OWN_RUN_KIND:
            return keys
        keep = set(self.info.marketplaces) or set(self.config.marketplaces)
        for kw in self.config.keywords:
            keys += [("search", kw.term, kw.marketplace, n) for n in range(1, kw.pages + 1)]
        for b in self.config.brands:
            keys += [("brand", b.name, b.marketplace, n) for n in range(1, b.pages + 1)]
        for lt in self.config.lists:
            keys += [("list", list_key(lt.path)[0], lt.marketplace, n) for n in range(1, lt.pages + 1)]
        return [k for k in dict.fromkeys(keys) if k[2] in keep]

    def build(self) -> History:
        history = History(self.current)
        keys = self.product_keys()
        with _collector_paused(history):
            self.add_products(history, keys)
        self.add_offers(history, keys)
        self.add_searches(history)
        self.add_brands(history)
        self.add_lists(history)
        history.fetches[self.current.id] = self.fetches(history)
        return history


@contextmanager
def _collector_paused(owner: object) -> Iterator[None]:
    """Loading makes millions of records that hold no cycles; the cyclic garbage collector would walk all
    of them over and over while they are made (a third of the load at 10,000 listings). Once it is back
    on, its next collections would still walk each of them three times (young, middle, old generation:
    1.3-2 s at 10,000 listings), so what exists then is frozen (`gc.freeze`, out of the collector's
    sight; refcounting still frees it) until `owner`, which holds the records, is dropped."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if was_enabled:
            gc.freeze()
            weakref.finalize(owner, gc.unfreeze)  # back to the old generation: a list splice, no walk
    finally:
        if was_enabled:
            gc.enable()


def build_history(store: Store, config: Config, run_id: int) -> History:
    return HistoryBuilder(store, config, run_id).build()


def previous_run(store: Store, run_id: int) -> RunInfo | None:
    """The last earlier run of the same kind that finished (complete or not)."""
    prev = store.previous_run(run_id, status=None)
    while prev is not None and prev.status not in _USABLE_STATUSES:
        prev = store.previous_run(prev.id, status=None)
    return prev


def previous_open_alerts(store: Store, run_id: int) -> list[Alert]:
    from monitors.suite import open_alerts

    prev = previous_run(store, run_id)
    return open_alerts(store.alerts_for_run(prev.id)) if prev is not None else []


def monitor_run(store: Store, config: Config, run_id: int, monitors: Iterable[Monitor] | None = None) -> list[Alert]:
    """Run the monitors over a stored run and store its alerts (replacing those of an earlier pass)."""
    from monitors.from_config import settings_from_config
    from monitors.suite import run_monitors

    history = build_history(store, config, run_id)
    alerts = run_monitors(history, settings_from_config(config), monitors, previous_open_alerts(store, run_id))
    store.replace_alerts(run_id, alerts)
    log.info("run %s: %s alerts", run_id, len(alerts))
    return alerts


def resolve_run(store: Store, run: str | None) -> RunInfo:
    """`latest` (the newest finished crawl or own run) or a run id."""
    from crawler.exceptions import UsageError

    if run in (None, "", "latest"):
        found = next((r for r in store.runs(limit=200)
                      if r.kind != ADHOC_RUN_KIND and r.status in _USABLE_STATUSES), None)
        if found is None:
            raise UsageError("no finished run in the database yet: run storewatch crawl first")
        return found
    try:
        return store.run(int(run))
    except ValueError:
        raise UsageError(f"--run takes 'latest' or a run id, not {run!r}") from None
    except LookupError:
        raise UsageError(f"no run with id {run}") from None
