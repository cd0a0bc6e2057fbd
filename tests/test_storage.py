"""Storage: exact round trips, content dedup, migrations, concurrency, permissions.

Runs against SQLite always and against PostgreSQL at 127.0.0.1:5432 (user postgres, database `test`,
or $STOREWATCH_TEST_PG) when it answers; each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from crawler import migrations
from crawler.db import SchemaTooNewError, make_engine, open_database
from crawler.models import Base, Content, ProductSnapshotRow, Target
from crawler.paths import DataDirError, data_dir, default_db_url
from crawler.records import (
    BuyboxState,
    Coupon,
    ListEntry,
    ListPage,
    Money,
    Offer,
    OffersPage,
    Outcome,
    ProductSnapshot,
    Rank,
    Review,
    SearchPage,
    SearchResult,
    SponsoredBanner,
)
from crawler.store import PageSave, Store
from monitors.base import Alert, Lifecycle, Severity, SubjectKind
from tests.conftest import pg_schema

ROOT = Path(__file__).resolve().parent.parent
DAY = datetime(2026, 3, 1, 6, 30, 15, 123456, tzinfo=UTC)


# -- fixtures ----------------------------------------------------------------------------------------


@contextmanager
def database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A fresh database on the backend the test is parametrized with."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / 'storewatch.db'}"
        return
    with pg_schema(request.getfixturevalue("pg_server")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    db = open_database(db_url)
    yield Store(db)
    db.close()


def snapshot(
    asin: str = "B00TEST001", at: datetime = DAY, price: str = "19.90", **changes: object
) -> ProductSnapshot:
    """A snapshot with every field set, the way a parsed product page looks."""
    values: dict[str, object] = dict(  # noqa: C408 - reads as the constructor call it feeds
        asin=asin,
        marketplace="de",
        url=f"https://www.amazon.de/dp/{asin}",
        outcome=Outcome.OK,
        parent_asin="B00PARENT1",
        fetched_at=at,
        title="Wasserkocher 1,7 L – Edelstahl „Classic“",
        brand="Acme",
        price=Money(Decimal(price), "EUR"),
        list_price=Money(Decimal("29.99"), "EUR"),
        currency="EUR",
        buybox_state=BuyboxState.OWNED,
        buybox_seller="Acme Store",
        buybox_seller_id="A1ACME",
        ships_from="Amazon",
        fulfilled_by_amazon=True,
        availability="Auf Lager",
        in_stock=True,
        rating=Decimal("4.50"),
        review_count=1234,
        rating_histogram={5: 70, 4: 15, 3: 7, 2: 3, 1: 5},
        top_reviews=(
            Review("R1XYZ", 5, "Super", "1. Februar 2026", True),
            Review("R2XYZ", None, None, None, False),
        ),
        coupon=Coupon("10 % Rabatt mit Coupon", Decimal(10), None),
        deal_badge="Blitzangebot",
        other_sellers_count=3,
        offers=(
            Offer(
                "Acme Store",
                "A1ACME",
                Money(Decimal("19.90"), "EUR"),
                Money(Decimal(0), "EUR"),
                "Neu",
                True,
                True,
                Decimal(98),
                5120,
            ),
            Offer("Hijacker GmbH", "A2HIJACK", Money(Decimal("17.50"), "EUR"), None, "Neu", False, False),
            Offer(None, None, None),
        ),
        bsr=(Rank(1523, "Küche, Haushalt & Wohnen"), Rank(12, "Wasserkocher")),
        breadcrumbs=("Küche", "Elektrogeräte", "Wasserkocher"),
        bullets=("1,7 Liter", "Edelstahl", "Kalkfilter"),
        images=("https://m.media-amazon.com/images/I/71a.jpg", "https://m.media-amazon.com/images/I/71b.jpg"),
        has_aplus=True,
        variation_asins=("B00TEST001", "B00TEST002"),
        missing=("seller_rating",),
    )
    values.update(changes)
    return ProductSnapshot(**values)  # type: ignore[arg-type]


def count(store: Store, model: type) -> int:
    with store.db.transaction(write=False) as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# -- products ----------------------------------------------------------------------------------------


def test_product_round_trip_is_exact(store: Store) -> None:
    run = store.start_run("daily", ["de"], config_name="acme.toml", started_at=DAY)
    snap = snapshot()
    sid = store.save_product(run, snap)
    loaded = store.last_ok_product(snap.asin, "de")
    assert loaded == snap
    assert loaded.missing == snap.missing  # not part of ==, kept anyway for crawl health
    assert str(loaded.price.amount) == "19.90" and str(loaded.rating) == "4.50"  # scale kept for display
    assert loaded.fetched_at.tzinfo == UTC and loaded.fetched_at == DAY
    assert isinstance(loaded.buybox_state, BuyboxState) and isinstance(loaded.outcome, Outcome)
    assert store.product_history(snap.asin, "de") == [snap]
    assert store.run_products(run) == [snap]
    assert isinstance(sid, int)


def _default(f: dataclasses.Field) -> object:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def test_every_product_field_survives_the_round_trip(store: Store) -> None:
    snap = snapshot(reason="buy box price missing", redirected_to="https://www.amazon.de/dp/B00TEST002")
    unset = [f.name for f in dataclasses.fields(ProductSnapshot) if getattr(snap, f.name) == _default(f)]
    assert unset == [], "a new ProductSnapshot field: store it, then set it in snapshot()"
    store.save_product(None, snap)
    [loaded] = store.product_history(snap.asin, "de")
    for f in dataclasses.fields(ProductSnapshot):
        assert getattr(loaded, f.name) == getattr(snap, f.name), f.name


def test_sparse_snapshot_round_trip_keeps_none_apart_from_empty(store: Store) -> None:
    run = store.start_run("daily", ["us"])
    sparse = ProductSnapshot(
        asin="B00SPARSE1",
        marketplace="us",
        url="https://www.amazon.com/dp/B00SPARSE1",
        outcome=Outcome.OK,
        fetched_at=DAY,
        title="",
        rating_histogram={},
        has_aplus=False,
        price=Money(Decimal("1E+3"), "USD"),
        in_stock=False,
        review_count=0,
    )
    store.save_product(run, sparse)
    loaded = store.last_ok_product("B00SPARSE1", "us")
    assert loaded == sparse
    assert loaded.title == "" and loaded.rating_histogram == {} and loaded.has_aplus is False
    assert loaded.brand is None and loaded.coupon is None and loaded.list_price is None


def test_non_ok_outcomes_store_outcome_reason_and_evidence_only(store: Store) -> None:
    run = store.start_run("daily", ["us"])
    ok = snapshot(marketplace="us", at=DAY)
    blocked = ProductSnapshot(
        asin=ok.asin,
        marketplace="us",
        url=ok.url,
        outcome=Outcome.BLOCKED,
        reason="robot check (HTTP 200)",
        fetched_at=DAY + timedelta(days=1),
    )
    store.save_product(run, ok)
    store.save_product(run, blocked, evidence="2026-03-02/run-1/product-blocked-x.html.gz")
    assert count(store, ProductSnapshotRow) == 1  # the blocked page has no data row
    assert store.product_history(ok.asin, "us") == [ok, blocked]
    assert store.product_history(ok.asin, "us", only_ok=True) == [ok]
    assert store.last_ok_product(ok.asin, "us") == ok  # the newer blocked fetch is skipped
    [_, outcome] = store.run_targets(run)
    assert (outcome.outcome, outcome.reason) == (Outcome.BLOCKED, "robot check (HTTP 200)")
    assert outcome.evidence == "2026-03-02/run-1/product-blocked-x.html.gz"


def test_redirected_snapshot_keeps_its_target(store: Store) -> None:
    snap = ProductSnapshot(
        asin="B00OLD0001",
        marketplace="us",
        url="https://www.amazon.com/dp/B00OLD0001",
        outcome=Outcome.REDIRECTED,
        reason="redirected to another ASIN",
        fetched_at=DAY,
        redirected_to="https://www.amazon.com/dp/B00NEW0001",
    )
    store.save_product(None, snap)
    assert store.product_history("B00OLD0001", "us") == [snap]


def test_fetched_at_in_another_zone_comes_back_as_the_same_instant_in_utc(store: Store) -> None:
    local = DAY.astimezone(timezone(timedelta(hours=8)))
    store.save_product(None, snapshot(at=local))
    loaded = store.last_ok_product("B00TEST001", "de")
    assert loaded.fetched_at == DAY and loaded.fetched_at.tzinfo == UTC


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.save_product(None, snapshot(at=datetime(2026, 3, 1, 6, 0)))
    assert count(store, Target) == 0  # the ad-hoc run and target were rolled back with it


def test_history_order_since_and_before(store: Store) -> None:
    run = store.start_run("daily", ["de"])
    days = [snapshot(at=DAY + timedelta(days=d), price=f"{19 + d}.90") for d in (2, 0, 1, 3)]
    for snap in days:
        store.save_product(run, snap)
    store.save_product(run, snapshot(asin="B00OTHER01"))  # another product never leaks in
    by_time = sorted(days, key=lambda s: s.fetched_at)
    assert store.product_history("B00TEST001", "de") == by_time
    assert store.product_history("B00TEST001", "de", since=DAY + timedelta(days=1)) == by_time[1:]
    assert store.last_ok_product("B00TEST001", "de", before=DAY + timedelta(days=2)) == by_time[1]
    assert store.last_ok_product("B00TEST001", "de", before=DAY) is None
    assert store.last_ok_product("B00TEST001", "us") is None


def test_adhoc_check_creates_its_own_run(store: Store) -> None:
    store.save_product(None, snapshot())
    run = store.latest_run(kind="check")
    assert run is not None and run.status == "complete" and run.marketplaces == ("de",)
    assert run.counts == {"products": 1, "outcome/ok": 1}
    assert store.run_products(run.id) == [snapshot()]


def test_content_is_stored_once_across_snapshots(store: Store) -> None:
    run = store.start_run("daily", ["de"])
    for d in range(100):
        store.save_product(run, snapshot(at=DAY + timedelta(days=d), price=f"{19 + d % 7}.90"))
    # listing text and top reviews: one blob each, not one hundred
    assert count(store, Content) == 2
    assert count(store, ProductSnapshotRow) == 100
    history = store.product_history("B00TEST001", "de")
    assert len(history) == 100 and {s.title for s in history} == {snapshot().title}
    store.save_product(run, snapshot(at=DAY + timedelta(days=200), title="New title"))
    assert count(store, Content) == 3
    assert store.last_ok_product("B00TEST001", "de").title == "New title"


def test_batch_is_one_transaction(store: Store) -> None:
    run = store.start_run("daily", ["de"])
    with pytest.raises(RuntimeError), store.batch():
        store.save_product(run, snapshot(asin="B00BATCH01"))
        raise RuntimeError("crawl crashed")
    assert store.product_history("B00BATCH01", "de") == []
    with store.batch():  # the content id learnt in the rolled-back batch must not be reused
        store.save_product(run, snapshot(asin="B00BATCH01"))
    assert store.product_history("B00BATCH01", "de") == [snapshot(asin="B00BATCH01")]


# -- offers, search, lists ---------------------------------------------------------------------------


def offers_page(outcome: Outcome = Outcome.OK) -> OffersPage:
    return OffersPage(
        asin="B00TEST001",
        marketplace="de",
        url="https://www.amazon.de/gp/offer-listing/B00TEST001",
        outcome=outcome,
        offers=snapshot().offers if outcome == Outcome.OK else (),
        total_count=3 if outcome == Outcome.OK else None,
        reason=None if outcome == Outcome.OK else "HTTP 503",
        missing=("seller_rating",),
    )


def test_offers_round_trip_and_history(store: Store) -> None:
    run = store.start_run("daily", ["de"])
    store.save_offers(run, offers_page(), DAY)
    store.save_offers(run, offers_page(Outcome.HTTP_ERROR), DAY + timedelta(days=1), evidence="e.html.gz")
    history = store.offers_history("B00TEST001", "de")
    assert [h.record for h in history] == [offers_page(), offers_page(Outcome.HTTP_ERROR)]
    assert [h.fetched_at for h in history] == [DAY, DAY + timedelta(days=1)]
    assert history[1].evidence == "e.html.gz" and history[0].run_id == run
    assert [h.record for h in store.offers_history("B00TEST001", "de", only_ok=True)] == [offers_page()]


def search_page(page: int, outcome: Outcome = Outcome.OK) -> SearchPage:
    results = (
        tuple(
            SearchResult(
                page=page,
                position=p,
                asin=f"B00SRCH{page}{p:02d}",
                sponsored=p % 5 == 0,
                organic_position=None if p % 5 == 0 else (page - 1) * 48 + p,
                sponsored_position=p // 5 if p % 5 == 0 else None,
                title=f"Kettle model {p}" if p != 3 else None,
                brand="Acme" if p % 2 else None,
                price=Money(Decimal(f"{10 + p}.99"), "USD") if p != 4 else None,
                rating=Decimal("4.3") if p != 4 else None,
                review_count=100 + p if p != 4 else None,
                badges=("Best Seller",) if p == 1 else (),
                coupon="Save 5%" if p == 2 else None,
                deal="Limited time deal" if p == 2 else None,
            )
            for p in range(1, 21)
        )
        if outcome == Outcome.OK
        else ()
    )
    banners = (
        SponsoredBanner("brand", "Acme", ("B00SRCH101", "B00SRCH102")),
        SponsoredBanner("video", None, ()),
    )
    return SearchPage(
        keyword="electric kettle",
        marketplace="us",
        url=f"https://www.amazon.com/s?k=electric+kettle&page={page}",
        page=page,
        outcome=outcome,
        results=results,
        banners=banners if page == 1 else (),
        reason=None if outcome == Outcome.OK else "robot check",
    )


def test_search_pages_round_trip_and_history(store: Store) -> None:
    day1 = store.start_run("keywords", ["us"])
    store.save_search_page(day1, search_page(2), DAY)
    store.save_search_page(day1, search_page(1), DAY)
    day2 = store.start_run("keywords", ["us"])
    store.save_search_page(day2, search_page(1, Outcome.BLOCKED), DAY + timedelta(days=1), evidence="s.gz")
    history = store.search_history("electric kettle", "us")
    assert [h.record for h in history] == [search_page(1), search_page(2), search_page(1, Outcome.BLOCKED)]
    assert [h.run_id for h in history] == [day1, day1, day2] and history[2].evidence == "s.gz"
    assert store.search_history("electric kettle", "us", since=DAY + timedelta(hours=1))[0].run_id == day2
    assert len(store.search_history("electric kettle", "us", only_ok=True)) == 2
    assert store.search_history("Electric Kettle", "us") == []  # keywords are matched exactly


def list_page(url: str, entries: int = 30) -> ListPage:
    return ListPage(
        kind="bestsellers",
        marketplace="uk",
        url=url,
        outcome=Outcome.OK,
        name="Best Sellers in Kitchen & Home",
        category="Kitchen & Home",
        entries=tuple(
            ListEntry(
                rank=r,
                asin=f"B00LIST{r:03d}",
                title=f"Item {r}" if r != 2 else None,
                price=Money(Decimal(f"{r}.49"), "GBP") if r != 3 else None,
                rating=Decimal("4.6") if r % 2 else None,
                review_count=r * 10 if r % 2 else None,
                list="Kettles" if r < 10 else None,
            )
            for r in range(1, entries + 1)
        ),
        missing=("price",),
    )


def test_list_pages_round_trip_and_history_by_path(store: Store) -> None:
    run = store.start_run("lists", ["uk"])
    first = list_page("https://www.amazon.co.uk/gp/bestsellers/kitchen/ref=zg_bs_nav_kitchen_0")
    second = list_page(
        "https://www.amazon.co.uk/gp/bestsellers/kitchen/ref=zg_bs_pg_2?ie=UTF8&pg=2", entries=20
    )
    store.save_list_page(run, first, DAY)
    store.save_list_page(run, second, DAY)
    store.save_list_page(run, list_page("https://www.amazon.co.uk/gp/bestsellers/garden/"), DAY)
    by_path = store.list_history("/gp/bestsellers/kitchen", "uk")
    assert [h.record for h in by_path] == [first, second]  # page order from pg=, not insertion order
    assert [h.record for h in store.list_history(first.url, "uk")] == [first, second]
    blocked = ListPage(
        kind="new_releases",
        marketplace="uk",
        url="https://www.amazon.co.uk/gp/new-releases/",
        outcome=Outcome.TIMEOUT,
        reason="timed out after 30 s",
    )
    store.save_list_page(run, blocked, DAY)
    assert [h.record for h in store.list_history("https://www.amazon.co.uk/gp/new-releases", "uk")] == [
        blocked
    ]


def test_a_batch_of_pages_is_stored_as_one_by_one_in_order_with_texts_once(store: Store) -> None:
    """`save_pages`, the crawl pipeline's batched write: mixed kinds, ids in the order given, records read
    back equal, the texts two pages share (and those of a blocked page: none) stored once."""
    run = store.start_run("crawl", ["de", "us", "uk"])
    blocked = ProductSnapshot(asin="B00BLOCK01", marketplace="de", url="https://www.amazon.de/dp/B00BLOCK01",
                              outcome=Outcome.BLOCKED, reason="robot check", fetched_at=DAY)
    kitchen = list_page("https://www.amazon.co.uk/gp/bestsellers/kitchen/")
    pages = [
        PageSave("product", snapshot(asin="B00BATCH01")),
        PageSave("search", search_page(2), "s.gz", DAY),
        PageSave("product", blocked, "b.gz"),
        PageSave("list", kitchen, None, DAY),
        PageSave("offers", offers_page(), None, DAY),
        PageSave("product", snapshot(asin="B00BATCH02")),  # the same texts as B00BATCH01 but its ASIN
        PageSave("search", search_page(1), None, DAY),
    ]
    ids = store.save_pages(run, pages)
    assert ids == sorted(ids) and len(set(ids)) == len(pages)
    assert [(t.id, t.kind, t.evidence) for t in store.run_targets(run)] == [
        (i, p.kind, p.evidence) for i, p in zip(ids, pages, strict=True)
    ]
    assert store.run_products(run) == [snapshot(asin="B00BATCH01"), blocked, snapshot(asin="B00BATCH02")]
    searched = store.search_history("electric kettle", "us")
    assert [h.record for h in searched] == [search_page(1), search_page(2)]
    assert [h.record for h in store.list_history(kitchen.url, "uk")] == [kitchen]
    assert [h.record for h in store.offers_history("B00TEST001", "de")] == [offers_page()]
    contents = count(store, Content)
    store.save_pages(run, pages)  # the same texts again: no new content row
    assert count(store, Content) == contents
    assert count(store, ProductSnapshotRow) == 4  # a blocked page is only its target row


def test_a_failed_batch_stores_none_of_its_pages(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    run = store.start_run("crawl", ["de", "uk"])
    broken = dataclasses.replace(list_page("https://www.amazon.co.uk/gp/bestsellers/kitchen/"),
                                 entries=(ListEntry(rank=None, asin="B00LIST001"),))  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):  # the list entry is the last insert: the product's went before it
        store.save_pages(run, [PageSave("product", snapshot(asin="B00BATCH01")), PageSave("list", broken)])
    assert store.run_targets(run) == [] and count(store, Content) == 0
    # the content ids learnt in the failed batch are not reused
    store.save_pages(run, [PageSave("product", snapshot(asin="B00BATCH01"))])
    assert store.run_products(run) == [snapshot(asin="B00BATCH01")]


# -- alerts and runs ---------------------------------------------------------------------------------


def test_alerts_round_trip(store: Store) -> None:
    run = store.start_run("daily", ["us"])
    alerts = [
        Alert(
            monitor="buybox",
            severity=Severity.CRITICAL,
            subject_kind=SubjectKind.PRODUCT,
            subject="B00TEST001",
            marketplace="us",
            message_key="buybox.lost",
            params={"seller": "Hijacker", "price": Decimal("17.50"), "money": Money(Decimal("17.50"), "USD")},
            field="buybox_seller",
            before="Acme Store",
            after="Hijacker",
            since=DAY,
            url="https://x/dp/B00TEST001",
            lifecycle=Lifecycle.STILL,
            evidence="2026-03-01/run-1/product-ok.html.gz",
            discriminator="A2HIJACK",
            event=True,
            checked=False,
        ),
        Alert(
            monitor="prices",
            severity=Severity.WARNING,
            subject_kind=SubjectKind.PRODUCT,
            subject="B00TEST001",
            marketplace="us",
            message_key="price.changed",
            field="price",
            before=Decimal("19.90"),
            after=Decimal("17.50"),
        ),
        Alert(
            monitor="keywords",
            severity=Severity.INFO,
            subject_kind=SubjectKind.KEYWORD,
            subject="kettle",
            marketplace="us",
            message_key="rank.changed",
            before=[3, None],
            after=(5, 1),
            params={"ranks": {1: 3}},
        ),
    ]
    assert store.save_alerts(run, alerts) == 3
    assert store.save_alerts(run, []) == 0
    assert store.alerts_for_run(run) == alerts
    unset = [f.name for f in dataclasses.fields(Alert) if getattr(alerts[0], f.name) == _default(f)]
    assert unset == [], "set every Alert field in the first alert so the round trip covers it"
    assert store.alerts_for_run(run + 1) == []


def test_runs_lifecycle(store: Store) -> None:
    first = store.start_run("daily", ["us", "de"], config_name="a.toml", started_at=DAY)
    assert store.latest_run() is None and store.latest_run(status="running").id == first
    store.finish_run(first, "complete", {"products": 2, "storefront/blocked": 0})
    second = store.start_run("daily", ["us"], started_at=DAY + timedelta(days=1))
    store.finish_run(second, "incomplete", {"products": 1})
    store.start_run("keywords", ["us"], started_at=DAY + timedelta(days=2))
    latest = store.latest_run()
    assert latest.id == first and latest.counts == {"products": 2, "storefront/blocked": 0}
    assert latest.marketplaces == ("us", "de") and latest.config_name == "a.toml" and latest.finished_at
    assert store.latest_run("daily", status=None).id == second
    assert [r.id for r in store.runs(2)] == [second + 1, second]
    assert store.previous_run(second).id == first and store.previous_run(first) is None
    with pytest.raises(ValueError, match="unknown run status"):
        store.finish_run(first, "done", {})
    with pytest.raises(LookupError):
        store.finish_run(9999, "failed", {})


# -- migrations --------------------------------------------------------------------------------------


def test_fresh_database_is_at_head_and_matches_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    assert migrations.head_revision() == ScriptDirectory(str(migrations.HERE)).get_current_head()
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
    finally:
        db.close()


def test_downgrade_and_upgrade(db_url: str) -> None:
    db = open_database(db_url)
    try:
        Store(db).save_product(None, snapshot())
        with db.transaction() as conn:
            migrations.downgrade(conn, "base")
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) is None
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
        with db.transaction() as conn:
            migrations.upgrade(conn, "head")
        assert Store(db).product_history("B00TEST001", "de") == []
        Store(db).save_product(None, snapshot())
        assert Store(db).last_ok_product("B00TEST001", "de") == snapshot()
    finally:
        db.close()


def test_a_database_from_a_newer_storewatch_is_refused_clearly(db_url: str) -> None:
    open_database(db_url).close()
    db = open_database(db_url)
    with db.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.close()
    with pytest.raises(SchemaTooNewError, match="9999"):
        open_database(db_url)


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert make_engine("postgresql://u@localhost/sw").dialect.driver == "psycopg"


def test_alembic_command_line_uses_the_packaged_config(db_url: str, tmp_path: Path) -> None:
    url = db_url
    open_database(url).close()
    ini = ROOT / "crawler" / "migrations" / "alembic.ini"
    env = {**os.environ, "STOREWATCH_DB": url}

    def alembic(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ini), *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )

    down = alembic("downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert migrations.head_revision() not in alembic("current").stdout
    up = alembic("upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert migrations.head_revision() in alembic("current").stdout


def test_opening_an_up_to_date_database_does_not_load_alembic(db_url: str) -> None:
    url = db_url
    open_database(url).close()
    code = (
        "import sys; from crawler.db import SchemaTooNewError, make_engine, open_database; open_database(sys.argv[1]).close(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# -- concurrency -------------------------------------------------------------------------------------


def _writer(url: str, asin: str, n: int) -> None:
    db = open_database(url)
    store = Store(db)
    run = store.start_run("daily", ["de"])
    for d in range(n):
        # read, then write in one transaction: with a plain deferred BEGIN, SQLite fails this at once
        # ("database is locked") whenever the other writer committed in between
        with store.batch():
            store.last_ok_product(asin, "de")
            store.save_product(run, snapshot(asin=asin, at=DAY + timedelta(days=d), price=f"{10 + d}.00"))
    store.finish_run(run, "complete", {"products": n})
    db.close()


def test_two_processes_write_while_a_reader_reads(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    # both open a fresh database at once: the migration must run once, the other waits
    writers = [ctx.Process(target=_writer, args=(db_url, asin, 40)) for asin in ("B00WRITE01", "B00WRITE02")]
    for p in writers:
        p.start()
    errors: list[BaseException] = []
    seen: list[int] = []

    def read() -> None:
        try:
            while any(p.is_alive() for p in writers):
                db = open_database(db_url)  # may race the writers' migration: it must wait, not fail
                try:
                    seen.append(len(Store(db).product_history("B00WRITE01", "de")))
                finally:
                    db.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread's assert
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for p in writers:
        p.join(120)
    reader.join(30)
    assert [p.exitcode for p in writers] == [0, 0]
    assert not errors, errors
    assert seen == sorted(seen)  # a reader never sees a write go backwards
    db = open_database(db_url)
    try:
        store = Store(db)
        assert len(store.product_history("B00WRITE01", "de")) == 40
        assert len(store.product_history("B00WRITE02", "de")) == 40
        assert [r.status for r in store.runs(5)] == ["complete", "complete"]
        assert count(store, Content) == 2  # shared text inserted once even when both raced for it
    finally:
        db.close()


def test_threads_writing_at_once_both_succeed(db_url: str) -> None:
    open_database(db_url).close()
    errors: list[BaseException] = []

    def work(asin: str) -> None:
        try:
            _writer(db_url, asin, 25)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread's assert
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"B00THRD{i:03d}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    db = open_database(db_url)
    try:
        assert count(Store(db), ProductSnapshotRow) == 50
    finally:
        db.close()


# -- data directory and permissions ------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_and_database_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "nested" / "home"
    monkeypatch.setenv("STOREWATCH_HOME", str(home))
    monkeypatch.delenv("STOREWATCH_DB", raising=False)
    assert data_dir() == home and mode(home) == 0o700
    assert default_db_url() == f"sqlite:///{home / 'storewatch.db'}"
    db = open_database()
    try:
        Store(db).save_product(None, snapshot())
        assert mode(home / "storewatch.db") == 0o600
        assert mode(home / "storewatch.db-wal") == 0o600  # SQLite copies the database's mode
    finally:
        db.close()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with db.engine.connect() as conn:
            pragmas = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert pragmas == {"journal_mode": "wal", "busy_timeout": 10_000, "foreign_keys": 1, "synchronous": 1}
    finally:
        db.close()


def test_storewatch_db_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREWATCH_DB", "postgresql+psycopg://u@db.example/sw")
    assert default_db_url() == "postgresql+psycopg://u@db.example/sw"


def test_default_data_dir_is_the_platform_user_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("STOREWATCH_HOME", raising=False)
    assert data_dir(create=False) == Path(user_data_dir("storewatch", appauthor=False))


def test_unusable_data_dir_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("STOREWATCH_HOME", str(blocker / "home"))
    with pytest.raises(DataDirError, match=str(blocker / "home")) as info:
        data_dir()
    assert info.value.path == blocker / "home"
    with pytest.raises(DataDirError, match="a-file"):
        open_database(f"sqlite:///{blocker / 'sub' / 'x.db'}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_read_only_data_dir_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "ro"
    home.mkdir(mode=0o500)
    monkeypatch.setenv("STOREWATCH_HOME", str(home))
    with pytest.raises(DataDirError, match="not writable"):
        data_dir()


# -- property: any snapshot the parsers could build comes back equal -----------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
_opt_text = st.none() | _text
_decimal = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1, max_value=10**7)
_money = st.none() | st.builds(Money, _decimal, st.sampled_from(["USD", "EUR", "JPY", "CNY"]))
_opt_bool = st.none() | st.booleans()
_opt_int = st.none() | st.integers(0, 2**31 - 1)
_strings = st.lists(_text, max_size=4).map(tuple)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with database(request, tmp_path_factory.mktemp("prop")) as url:
        db = open_database(url)
        yield Store(db)
        db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    snap=st.builds(
        ProductSnapshot,
        asin=st.from_regex(r"\A[0-9A-Z]{10}\Z"),
        marketplace=st.sampled_from(["us", "de", "jp"]),
        url=_text,
        outcome=st.sampled_from(Outcome),
        reason=_opt_text,
        parent_asin=_opt_text,
        fetched_at=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
        title=_opt_text,
        brand=_opt_text,
        price=_money,
        list_price=_money,
        currency=st.none() | st.sampled_from(["USD", "EUR"]),
        buybox_state=st.none() | st.sampled_from(BuyboxState),
        buybox_seller=_opt_text,
        fulfilled_by_amazon=_opt_bool,
        in_stock=_opt_bool,
        rating=st.none() | _decimal,
        review_count=_opt_int,
        rating_histogram=st.none() | st.dictionaries(st.integers(1, 5), st.integers(0, 100)),
        top_reviews=st.lists(
            st.builds(Review, _text, st.none() | st.integers(1, 5), _opt_text, _opt_text, st.booleans()),
            max_size=3,
        ).map(tuple),
        coupon=st.none() | st.builds(Coupon, _text, st.none() | _decimal, _money),
        offers=st.lists(
            st.builds(
                Offer,
                _opt_text,
                _opt_text,
                _money,
                _money,
                _opt_text,
                _opt_bool,
                st.booleans(),
                st.none() | _decimal,
                _opt_int,
            ),
            max_size=3,
        ).map(tuple),
        bsr=st.lists(st.builds(Rank, st.integers(1, 10**6), _text), max_size=2).map(tuple),
        bullets=_strings,
        images=_strings,
        has_aplus=_opt_bool,
        missing=_strings,
        redirected_to=_opt_text,
    )
)
def test_any_snapshot_round_trips(any_store: Store, snap: ProductSnapshot) -> None:
    run = any_store.start_run("property", [snap.marketplace])
    any_store.save_product(run, snap)
    [loaded] = any_store.run_products(run)
    assert loaded == snap and loaded.missing == snap.missing
