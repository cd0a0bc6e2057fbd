"""Best-seller lists and ranks: newcomers, own products entering or leaving, big rank moves, BSR."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from crawler.records import ListEntry, ListPage
from monitors.base import Alert, Monitor, Severity, SubjectKind
from monitors.common import pct_change, shown
from monitors.history import History, usable_pages
from monitors.settings import MonitorSettings, TrackedList

LIST = SubjectKind.LIST
Ranks = dict[str, ListEntry]


def ranks(pages: tuple[ListPage, ...]) -> Ranks:
    out: Ranks = {}
    for p in pages:
        for e in p.entries:
            if e.asin not in out or e.rank < out[e.asin].rank:
                out[e.asin] = e
    return out


def top(r: Ranks, n: int) -> set[str]:
    return {a for a, e in r.items() if e.rank <= n}


def tracked(history: History, settings: MonitorSettings) -> Iterator[tuple[TrackedList, list[Ranks], str]]:
    """Each tracked list read ok this run, with its ok readings oldest first and this run's URL."""
    for lst in settings.lists:
        entries = history.lists.get((lst.path, lst.marketplace))
        if not entries or not history.is_current(entries[-1][0]) or not usable_pages(entries[-1][1]):
            continue
        yield lst, [ranks(pages) for _, pages in entries if usable_pages(pages)], entries[-1][1][0].url


def _entry_params(e: ListEntry) -> dict:
    return {"asin": e.asin, "rank": e.rank, "title": e.title, "price": e.price and e.price.amount,
            "currency": e.price and e.price.currency}


class ListNewEntrants(Monitor):
    """Products that entered a tracked list's top N since the last run (own products excepted)."""

    name = "list_new_entrants"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        own = settings.own_asins()
        for lst, readings, url in tracked(history, settings):
            if len(readings) < 2:
                continue
            cur, prev = readings[-1], readings[-2]
            for asin in sorted(top(cur, lst.top_n) - top(prev, lst.top_n) - own):
                alerts.append(self.alert(LIST, lst.path, lst.marketplace, "bestsellers.new_entrant", field="rank",
                                         discriminator=asin, before=prev[asin].rank if asin in prev else None,
                                         after=cur[asin].rank, url=url, event=True,
                                         params={**_entry_params(cur[asin]), "top_n": lst.top_n}))
        return alerts


class ListNewcomerStays(Monitor):
    """A newcomer has stayed in a tracked list's top N for K runs in a row (3 by default)."""

    name = "list_newcomer_stays"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        own = settings.own_asins()
        k = settings.newcomer_runs
        for lst, readings, url in tracked(history, settings):
            if len(readings) < k + 1:
                continue
            tops = [top(r, lst.top_n) for r in readings[-(k + 1):]]
            stayed = set.intersection(*tops[1:]) - tops[0] - own
            for asin in sorted(stayed):
                alerts.append(self.alert(LIST, lst.path, lst.marketplace, "bestsellers.newcomer_stays",
                                         field="rank", discriminator=asin, after=readings[-1][asin].rank,
                                         url=url, event=True,
                                         params={**_entry_params(readings[-1][asin]), "runs": k,
                                                 "top_n": lst.top_n}))
        return alerts


class OwnListPosition(Monitor):
    """An own product entered or left a tracked list's top N."""

    name = "own_list_position"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        own = settings.own_asins()
        for lst, readings, url in tracked(history, settings):
            if len(readings) < 2:
                continue
            cur, prev = readings[-1], readings[-2]
            now, before = top(cur, lst.top_n) & own, top(prev, lst.top_n) & own
            for asin in sorted(now ^ before):
                entered = asin in now
                alerts.append(self.alert(
                    LIST, lst.path, lst.marketplace, "bestsellers.own_entered" if entered else "bestsellers.own_left",
                    None if entered else Severity.WARNING, field="rank", discriminator=asin,
                    before=prev[asin].rank if asin in prev else None,
                    after=cur[asin].rank if asin in cur else None, url=url, event=True,
                    params={"asin": asin, "rank": cur[asin].rank if asin in cur else None,
                            "before": prev[asin].rank if asin in prev else None, "top_n": lst.top_n}))
        return alerts


class ListRankMoves(Monitor):
    """A product in a tracked list's top N (or an own or competitor product anywhere in it) moved by at
    least the rank threshold (10 places by default) since the last run."""

    name = "list_rank_moves"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        watched = settings.own_asins() | set(settings.competitors)
        for lst, readings, url in tracked(history, settings):
            if len(readings) < 2:
                continue
            cur, prev = readings[-1], readings[-2]
            for asin in sorted(cur.keys() & prev.keys()):
                a, b = prev[asin].rank, cur[asin].rank
                if abs(b - a) < settings.rank_move or (asin not in watched and min(a, b) > lst.top_n):
                    continue
                alerts.append(self.alert(LIST, lst.path, lst.marketplace, "bestsellers.rank_moved", field="rank",
                                         discriminator=asin, before=a, after=b, url=url, event=True,
                                         params={**_entry_params(cur[asin]), "before": a, "places": a - b}))
        return alerts


class BsrMoved(Monitor):
    """The best-sellers rank of an own or competitor product moved by at least N % (20 % by default) in
    one of its categories since the last run."""

    name = "bsr_moved"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        competitors = settings.competitors
        for key in history.products:
            if key[0] not in competitors and settings.own(*key) is None:
                continue
            cur, prev, _ = history.product_pair(key)
            if cur is None or prev is None or not cur.bsr or not prev.bsr:
                continue
            before = {r.category: r.rank for r in prev.bsr}
            for r in cur.bsr:
                old = before.get(r.category)
                if old is None or old == r.rank:
                    continue
                change = pct_change(Decimal(old), Decimal(r.rank))
                if change is None or abs(change) < settings.bsr_move_percent:
                    continue
                alerts.append(self.product_alert(
                    cur, "bestsellers.bsr_moved", field="bsr", discriminator=r.category, before=old, after=r.rank,
                    event=True, params={"category": r.category, "before": old, "after": r.rank,
                                        "percent": shown(change)}))
        return alerts


MONITORS = (ListNewEntrants, ListNewcomerStays, OwnListPosition, ListRankMoves, BsrMoved)
