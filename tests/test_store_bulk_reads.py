"""The monitors load product history in bulk (a few queries per marketplace, crawler/monitoring.py);
`check`, `history` and the tests read it per ASIN or per run. Both roads must give the same snapshots."""
from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crawler import product_store
from crawler.config import Config, parse_config
from crawler.db import open_database
from crawler.monitoring import PRODUCT_DAYS, build_history, partial_offers
from crawler.records import BuyboxState, Coupon, Money, Offer, Outcome, ProductSnapshot, Rank
from crawler.store import Store

T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
OUTCOMES = [Outcome.OK] * 6 + [Outcome.BLOCKED, Outcome.PARSE_INCOMPLETE, Outcome.NOT_FOUND]
PRICES = ["19.90", "19.9", "24.50", "7"]  # equal decimals of another scale stay apart


@pytest.fixture
def store(test_db_url: str) -> Iterator[Store]:
    db = open_database(test_db_url)
    yield Store(db)
    db.close()


def reading(rng: random.Random, asin: str, marketplace: str, at: datetime) -> ProductSnapshot:
    outcome = rng.choice(OUTCOMES)
    if outcome is not Outcome.OK:
        return ProductSnapshot(asin=asin, marketplace=marketplace, url=f"https://x/dp/{asin}", outcome=outcome,
                               fetched_at=at, reason="test")
    # Few distinct values per field, as day after day: the bulk load decodes each stored text once.
    price = Money(Decimal(rng.choice(PRICES)), "USD") if rng.random() > 0.1 else None
    seller = rng.choice([("Acme Home", "A2NPK0UTF1TTRS"), ("Cheap Co", "AHIJACKER001")])
    return ProductSnapshot(
        asin=asin, marketplace=marketplace, url=f"https://x/dp/{asin}", outcome=outcome, fetched_at=at,
        title=rng.choice([f"Acme {asin}", f"Acme {asin} (new)"]), brand="Acme", price=price,
        list_price=rng.choice([None, Money(Decimal("29.99"), "USD")]),
        buybox_state=BuyboxState.OWNED, buybox_seller=seller[0], buybox_seller_id=seller[1],
        rating=Decimal(rng.choice(["4.5", "4.50", "3.9"])), review_count=rng.randint(0, 900),
        rating_histogram=rng.choice([None, {5: 70, 4: 20, 1: 10}, {5: 60, 4: 30, 1: 10}]),
        coupon=rng.choice([None, Coupon("Save 10%", percent=Decimal(10))]),
        bsr=rng.choice([(), (Rank(12, "Kitchen"),), (Rank(15, "Kitchen"), Rank(3, "Presses"))]),
        offers=tuple(Offer(f"Shop {i}", f"ASELLER{i:05d}", price) for i in range(rng.randint(0, 2))),
        other_sellers_count=rng.choice([None, 1, 3]),
        missing=("offers",) if rng.random() < 0.1 else (),
    )


def test_bulk_histories_equal_per_asin_histories(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    asins = [f"B0TEST{i:04d}" for i in range(23)]
    # Small IN-list chunks so the chunking itself is crossed several times.
    monkeypatch.setattr(product_store, "chunked",
                        lambda values, size=5, _orig=product_store.chunked: _orig(values, size))
    for day in range(8):
        run_id = store.start_run("crawl", ["us", "de"])
        for asin in rng.sample(asins, 17):
            for mp in ("us", "de"):
                at = T0 + timedelta(days=day, seconds=rng.choice([0, 1, 30]))
                # A page read twice in the same second (a retry): ties are ordered by insertion.
                for _ in range(rng.choice([1, 1, 2])):
                    store.save_product(run_id, reading(rng, asin, mp, at))
        store.finish_run(run_id, "complete", {})
    since = T0 + timedelta(days=3)
    for mp in ("us", "de"):
        bulk = store.product_histories(asins, mp, since=since)
        per_asin = [s for a in sorted(asins) for s in store.product_history(a, mp, since=since)]
        assert [f.record for f in bulk] == per_asin
        assert len(per_asin) > 40  # the comparison covers real data
        latest_ok = {f.record.asin: f.record for f in store.last_ok_products(asins, mp, before=since)}
        one_by_one = {a: store.last_ok_product(a, mp, before=since) for a in asins}
        assert latest_ok == {a: s for a, s in one_by_one.items() if s is not None}
        assert len(latest_ok) > 10


def watchlist(asins: list[str]) -> Config:
    return parse_config("\n".join(
        ['name = "bulk"\n[marketplaces.us]\n[marketplaces.de]\n']
        + [f'[[products]]\nasin = "{a}"\nmarketplace = "{mp}"\n' for a in asins for mp in ("us", "de")]))


def test_history_products_equal_the_runs_read_one_by_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_history's product entries against the simplest road: every run's snapshots (Store.run_products),
    kept from the history window on, plus each listing's last ok reading before it."""
    rng = random.Random(11)
    asins = [f"B0HIST{i:04d}" for i in range(13)]
    monkeypatch.setattr(product_store, "chunked",
                        lambda values, size=4, _orig=product_store.chunked: _orig(values, size))
    runs = []
    for n in range(12):  # every 4 days: the first runs fall before the 31-day window
        started = T0 + timedelta(days=4 * n)
        run_id = store.start_run("crawl", ["us", "de"], started_at=started)
        for asin in rng.sample(asins, 10):
            for mp in ("us", "de"):
                at = started + timedelta(minutes=1, seconds=rng.choice([0, 1, 30]))
                for _ in range(rng.choice([1, 1, 2])):
                    store.save_product(run_id, reading(rng, asin, mp, at))
        store.finish_run(run_id, "complete", {})
        runs.append(run_id)
    history = build_history(store, watchlist(asins), runs[-1])
    since = T0 + timedelta(days=4 * 11) - timedelta(days=PRODUCT_DAYS)

    expected: dict[tuple[str, str], list[tuple[str, ProductSnapshot]]] = {}
    baseline: dict[tuple[str, str], tuple[str, ProductSnapshot]] = {}
    for run_id in runs:
        for snap in store.run_products(run_id):
            key = (snap.asin, snap.marketplace)
            if snap.fetched_at >= since:
                current = run_id == runs[-1]
                expected.setdefault(key, []).append((str(run_id), partial_offers(snap) if current else snap))
            elif snap.outcome is Outcome.OK:
                baseline[key] = (str(run_id), snap)  # later readings (and retries) replace earlier ones
    for key, entry in baseline.items():
        expected.setdefault(key, []).insert(0, entry)

    loaded = {key: [(run.id, snap) for run, snap in entries] for key, entries in history.products.items()}
    assert loaded == expected
    in_watchlist_order = [(a, mp) for a in asins for mp in ("us", "de") if (a, mp) in expected]
    assert list(loaded) == in_watchlist_order
    assert {k: [s.missing for _, s in e] for k, e in loaded.items()} == {  # not part of ==
        k: [s.missing for _, s in e] for k, e in expected.items()}
    assert len(baseline) > 5 and sum(map(len, loaded.values())) > 150  # both parts are covered
    snaps = [s for entries in history.products.values() for _, s in entries]
    assert {str(s.price.amount) for s in snaps if s.price} == set(PRICES)
    histograms = [s.rating_histogram for s in snaps if s.rating_histogram is not None]
    assert len({id(h) for h in histograms}) == len(histograms) > 10  # each snapshot its own dict


def test_history_load_hides_its_records_from_the_collector_while_the_history_lives(store: Store) -> None:
    run_id = store.start_run("crawl", ["us"], started_at=T0)
    store.save_product(run_id, reading(random.Random(3), "B0GC000001", "us", T0 + timedelta(seconds=5)))
    store.finish_run(run_id, "complete", {})
    config = parse_config('name = "gc"\n[marketplaces.us]\n[[products]]\nasin = "B0GC000001"\nmarketplace = "us"\n')
    history = build_history(store, config, run_id)
    assert gc.isenabled() and gc.get_freeze_count() > 0
    del history  # the frozen objects go back to the collector's oldest generation
    assert gc.get_freeze_count() == 0
