"""The monitors over stored runs: History built from the database, lifecycle across runs, crash isolation."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crawler.monitoring import build_history, monitor_run, previous_run, resolve_run
from crawler.records import OffersPage, Outcome
from crawler.store import Store
from monitors.base import Lifecycle, Monitor, Severity, SubjectKind
from monitors.from_config import settings_from_config
from monitors.history import Fetch, Run
from monitors.suite import ALL
from tests.stored_runs import (
    BRAND,
    COMP,
    HIJACKER,
    KEYWORD,
    LIST_PATH,
    ME,
    OWN,
    config,
    coupon,
    days_ago,
    list_page,
    lost,
    offer,
    open_store,
    product,
    search_page,
    start_run,
)

# Tests here store data through db_url_for: the PostgreSQL pass runs this module too.
pytestmark = pytest.mark.stores_data


@pytest.fixture
def store(tmp_path: Path) -> Store:
    _, s = open_store(tmp_path)
    yield s
    s.db.close()


def test_settings_from_config_maps_identities_competitors_and_thresholds() -> None:
    s = settings_from_config(config())
    assert s.own_seller_ids == {"us": frozenset({ME})}
    assert s.own("B0OWN00001", "us") is not None and s.own(COMP, "us") is None
    assert s.competitors == {COMP: (OWN,)}  # no `versus`: every own ASIN of its marketplace
    assert [(k.keyword, k.asins, k.top_n) for k in s.keywords] == [(KEYWORD, (OWN,), 5)]
    assert [(lt.path, lt.top_n) for lt in s.lists] == [(LIST_PATH, 5)]
    assert s.watched_brands == (BRAND,) and s.rank_move == 3
    assert str(s.own(OWN, "us").price_floor) == "10"


def test_history_built_from_the_database_matches_what_was_stored(store: Store) -> None:
    t1, t2, t3 = days_ago(3), days_ago(2), days_ago(1)
    d40, d35 = t3 - timedelta(days=39), t3 - timedelta(days=34)
    # A baseline older than the 31-day window, and an unreadable reading after it, still before the window.
    r0 = start_run(store, d40)
    base = product(OWN, d40 + timedelta(minutes=1), price=None)
    store.save_product(r0, base)
    r_old = start_run(store, d35)
    store.save_product(r_old, product(OWN, d35 + timedelta(minutes=1), Outcome.BLOCKED))
    runs, snaps = [], {}
    for i, t in enumerate((t1, t2, t3)):
        rid = start_run(store, t)
        runs.append(rid)
        own = product(OWN, t + timedelta(minutes=1), outcome=Outcome.BLOCKED if i == 1 else Outcome.OK,
                      missing=("rating",) if i == 2 else ())
        comp = product(COMP, t + timedelta(minutes=2), coupon=coupon("10") if i else None)
        snaps[rid] = (own, comp)
        store.save_product(rid, own)
        if i != 2:  # the competitor is planned but never fetched in the last run
            store.save_product(rid, comp)
        # The keyword and the brand share a name on purpose: the brand search is the sorted one.
        store.save_search_page(rid, search_page(KEYWORD, 1, ["*B0ADS00001", OWN, "B0X0000001"]), t)
        # Page 2 as the crawl stores it: positions counted on the page alone.
        store.save_search_page(rid, search_page(KEYWORD, 2, ["*B0ADS00002", "B0X0000002"],
                                                outcome=Outcome.BLOCKED if i == 1 else Outcome.OK), t)
        store.save_search_page(rid, search_page(KEYWORD, 1, [f"B0BRAND00{i}"], sort="date-desc-rank"), t)
        store.save_list_page(rid, list_page(2, ["B0L0000002"], first_rank=51), t)
        store.save_list_page(rid, list_page(1, ["B0L0000001", OWN]), t)
    store.save_offers(runs[2], OffersPage(OWN, "us", f"https://www.amazon.com/gp/aod/ajax?asin={OWN}", Outcome.OK,
                                          offers=(offer(ME, "19.99"),)), t3)
    store.save_offers(runs[1], OffersPage(OWN, "us", "u", Outcome.OK), t2)  # not this run: left out
    # Noise the history must ignore: an ad-hoc check and a later run.
    store.save_product(None, product(OWN, t3 + timedelta(minutes=5)))
    later = start_run(store, t3 + timedelta(hours=2))
    store.save_product(later, product(OWN, t3 + timedelta(hours=2, minutes=1)))
    for rid in (*runs, later):
        store.finish_run(rid, "complete", {})

    cfg = config().model_copy(update={"brands": (config().brands[0].model_copy(update={"name": KEYWORD}),)})
    h = build_history(store, cfg, runs[2])
    run = {rid: Run(str(rid), t) for rid, t in zip(runs, (t1, t2, t3), strict=True)}
    assert h.run == run[runs[2]]
    # The last ok reading before the window, then every reading in it (the blocked one too), oldest first.
    assert h.products[(OWN, "us")] == [(Run(str(r0), d40), base)] + [(run[r], snaps[r][0]) for r in runs]
    assert h.products[(COMP, "us")] == [(run[runs[0]], snaps[runs[0]][1]), (run[runs[1]], snaps[runs[1]][1])]
    assert h.offers == {(OWN, "us"): [(run[runs[2]], store.offers_history(OWN, "us")[-1].record)]}
    searches = h.searches[(KEYWORD, "us")]
    assert [r for r, _ in searches] == [run[r] for r in runs]
    assert [[p.page for p in pages] for _, pages in searches] == [[1, 2]] * 3
    assert searches[1][1][1].outcome is Outcome.BLOCKED
    # Positions counted over the pages of the run: page 2's organic card is the third.
    assert [(r.asin, r.organic_position, r.sponsored_position) for r in searches[2][1][1].results] == [
        ("B0ADS00002", None, 2), ("B0X0000002", 3, None)]
    assert all("s=date-desc-rank" not in p.url for _, pages in searches for p in pages)
    brands = h.brands[(KEYWORD, "us")]
    assert [[r.asin for p in pages for r in p.results] for _, pages in brands] == [
        ["B0BRAND000"], ["B0BRAND001"], ["B0BRAND002"]]
    lists = h.lists[(LIST_PATH, "us")]
    assert [[e.asin for p in pages for e in p.entries] for _, pages in lists] == [
        ["B0L0000001", OWN, "B0L0000002"]] * 3
    fetches = {(f.kind, f.subject, f.url): f for f in h.fetches[str(runs[2])]}
    assert fetches[("product", OWN, f"https://www.amazon.com/dp/{OWN}")] == Fetch(
        "product", OWN, "us", Outcome.OK, ("rating",), f"https://www.amazon.com/dp/{OWN}")
    assert fetches[("product", COMP, None)] == Fetch("product", COMP, "us", None)
    assert {f.kind for f in h.fetches[str(runs[2])]} == {"product", "offers", "search", "brand", "list"}
    assert len(h.fetches[str(runs[2])]) == 2 + 1 + 2 + 1 + 2


def test_brand_asins_seen_before_the_page_window_stay_known(store: Store) -> None:
    """A brand ASIN last shown 12 runs ago is not new: the history sums up the older readings."""
    t = days_ago(20)
    ids = []
    for i in range(13):
        rid = start_run(store, t + timedelta(days=i))
        cards = ["B0BRANDOLD"] if i == 0 else ["B0BRANDNOW"]
        store.save_search_page(rid, search_page(BRAND, 1, cards + ["B0BRANDZZZ"] * (i == 12),
                                                sort="date-desc-rank"), t + timedelta(days=i))
        store.finish_run(rid, "complete", {})
        ids.append(rid)
    h = build_history(store, config(), ids[-1])
    entries = h.brands[(BRAND, "us")]
    assert len(entries) == 1 + 10  # the summary, then the last ten runs
    assert [r.asin for r in entries[0][1][0].results] == ["B0BRANDOLD", "B0BRANDNOW"]
    assert [r.id for r, _ in entries[1:]] == [str(i) for i in ids[3:]]
    found = monitor_run(store, config(), ids[-1])
    assert [(a.monitor, a.after) for a in found if a.subject_kind is SubjectKind.BRAND] == [
        ("new_brand_listing", "B0BRANDZZZ")]


def _three_runs(store: Store, readings: list) -> list[int]:
    ids = []
    for i, make in enumerate(readings):
        t = days_ago(len(readings) - i)
        rid = start_run(store, t)
        store.save_product(rid, make(OWN, t + timedelta(minutes=1)))
        store.finish_run(rid, "complete", {})
        ids.append(rid)
    return ids


def test_lifecycle_opened_still_resolved_across_three_stored_runs(store: Store) -> None:
    cfg = config()
    ids = _three_runs(store, [lost, lost, product])
    states = []
    for rid in ids:
        found = monitor_run(store, cfg, rid)
        assert store.alerts_for_run(rid) == found  # stored exactly as returned
        states.append([(a.monitor, a.lifecycle, a.since) for a in found if a.monitor == "buybox_lost"])
    opened_at = store.run(ids[0]).started_at
    assert states == [[("buybox_lost", Lifecycle.OPENED, opened_at)],
                      [("buybox_lost", Lifecycle.STILL, opened_at)],
                      [("buybox_lost", Lifecycle.RESOLVED, opened_at)]]
    # Monitoring a run again replaces its alerts instead of adding to them.
    again = monitor_run(store, cfg, ids[1])
    assert store.alerts_for_run(ids[1]) == again and len(again) == len({a.key for a in again})
    assert previous_run(store, ids[2]).id == ids[1]
    assert resolve_run(store, "latest").id == ids[2]


def test_a_blocked_reading_carries_the_open_alert_unconfirmed(store: Store) -> None:
    ids = _three_runs(store, [lost, lambda a, t: product(a, t, Outcome.BLOCKED), product])
    found = [monitor_run(store, config(), rid) for rid in ids]
    middle = [a for a in found[1] if a.monitor == "buybox_lost"]
    assert [(a.lifecycle, a.checked) for a in middle] == [(Lifecycle.STILL, False)]
    assert not any(a.subject_kind is not SubjectKind.CRAWL and a.event for a in found[1])
    assert [a.lifecycle for a in found[2] if a.monitor == "buybox_lost"] == [Lifecycle.RESOLVED]


class Crashing(Monitor):
    """Always fails."""

    name = "crashing"
    severity = Severity.INFO

    def check(self, history, settings):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("boom")


def test_a_monitor_crash_is_a_health_finding_and_the_others_still_report(store: Store) -> None:
    (rid,) = _three_runs(store, [lost])
    found = monitor_run(store, config(), rid, monitors=[Crashing(), *(cls() for cls in ALL)])
    crash = [a for a in found if a.monitor == "monitor_crashed"]
    assert [(a.subject_kind, a.discriminator, a.after, a.severity) for a in crash] == [
        (SubjectKind.CRAWL, "crashing", "ZeroDivisionError", Severity.CRITICAL)]
    assert found[0] == crash[0]  # crawl health that undermines the rest comes first
    assert any(a.monitor == "buybox_lost" for a in found)
    assert store.alerts_for_run(rid) == found


def test_a_reading_whose_offers_panel_was_not_read_is_judged_by_all_but_the_seller_monitors(
        store: Store) -> None:
    """The page counts 3 sellers but its offers hold only the buy box: the panel was blocked. The sellers
    are unknown (the hijacker alert stays open, unconfirmed); what the page itself shows is still judged
    (the buy box moved to the hijacker)."""
    from crawler.monitoring import OFFERS_UNREAD
    from crawler.records import Offer

    ids = []
    readings = [
        product(OWN, days_ago(2) + timedelta(minutes=1), other_sellers_count=2,
                offers=(Offer("Acme Home", ME, None, is_buybox=True), offer(HIJACKER, "9.99"))),
        lost(OWN, days_ago(1) + timedelta(minutes=1), other_sellers_count=2,
             offers=(Offer("Cheap Co", HIJACKER, None, is_buybox=True),)),
    ]
    for i, snap in enumerate(readings):
        rid = start_run(store, days_ago(2 - i))
        store.save_product(rid, snap)
        store.finish_run(rid, "complete", {})
        ids.append(rid)
    first = monitor_run(store, config(), ids[0])
    assert [a.after for a in first if a.monitor == "unauthorised_seller"] == [f"Shop {HIJACKER}"]
    h = build_history(store, config(), ids[1])
    (_, earlier), (_, current) = h.products[(OWN, "us")]
    assert OFFERS_UNREAD not in earlier.missing  # only this run's reading is judged
    assert current.outcome is Outcome.OK and OFFERS_UNREAD in current.missing
    second = monitor_run(store, config(), ids[1])
    assert [(a.monitor, a.lifecycle, a.checked) for a in second if a.monitor == "unauthorised_seller"] == [
        ("unauthorised_seller", Lifecycle.STILL, False)]  # not "resolved": the seller may still be there
    assert [(a.before, a.after) for a in second if a.monitor == "buybox_lost"] == [(ME, HIJACKER)]


def test_pages_fetched_in_the_runs_first_second_belong_to_it(store: Store) -> None:
    """Fetch times are kept to the second, run starts to the microsecond: 06:00:00 is in a run started
    at 06:00:00.5."""
    ids = []
    for i in range(2):
        start = days_ago(2 - i) + timedelta(microseconds=500_000)
        fetched = start.replace(microsecond=0)
        rid = start_run(store, start)
        store.save_search_page(rid, search_page(KEYWORD, 1, [OWN]), fetched)
        store.save_search_page(rid, search_page(KEYWORD, 2, ["B0X0000002"]), fetched)
        store.save_offers(rid, OffersPage(OWN, "us", "u", Outcome.OK), fetched)
        store.save_product(rid, product(OWN, fetched))
        store.finish_run(rid, "complete", {})
        ids.append(rid)
    h = build_history(store, config(), ids[1])
    assert [[p.page for p in pages] for _, pages in h.searches[(KEYWORD, "us")]] == [[1, 2], [1, 2]]
    assert len(h.offers[(OWN, "us")]) == 1
    assert [r.id for r, _ in h.products[(OWN, "us")]] == [str(i) for i in ids]


def test_a_crawl_is_compared_with_the_previous_crawl_not_with_intraday_own_checks(store: Store) -> None:
    """A change first read by an intraday own-listing check still reaches the next daily report."""
    c1, own, c2 = days_ago(2), days_ago(1.5), days_ago(1)
    for at, kind, snap in ((c1, "crawl", product), (own, "own", lost), (c2, "crawl", lost)):
        rid = start_run(store, at, kind)
        store.save_product(rid, snap(OWN, at + timedelta(minutes=1)))
        store.finish_run(rid, "complete", {})
    h = build_history(store, config(), 3)
    assert [r.id for r, _ in h.products[(OWN, "us")]] == ["1", "3"]
    lost_alert = next(a for a in monitor_run(store, config(), 3) if a.monitor == "buybox_lost")
    assert (lost_alert.before, lost_alert.after, lost_alert.lifecycle) == (ME, "AHIJACKER001", Lifecycle.OPENED)
    # The own check itself sees the nightly crawl before it.
    assert [r.id for r, _ in build_history(store, config(), 2).products[(OWN, "us")]] == ["1", "2"]
