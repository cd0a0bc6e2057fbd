"""The monitors load product history in bulk (a few queries per marketplace, crawler/monitoring.py);
`check`, `history` and the tests read it per ASIN. Both roads must give the same snapshots."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crawler import product_store
from crawler.db import open_database
from crawler.records import BuyboxState, Money, Offer, Outcome, ProductSnapshot
from crawler.store import Store

T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
OUTCOMES = [Outcome.OK] * 6 + [Outcome.BLOCKED, Outcome.PARSE_INCOMPLETE, Outcome.NOT_FOUND]


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
    price = Money(Decimal(rng.randint(500, 5000)) / 100, "USD") if rng.random() > 0.1 else None
    seller = rng.choice([("Acme Home", "A2NPK0UTF1TTRS"), ("Cheap Co", "AHIJACKER001")])
    return ProductSnapshot(
        asin=asin, marketplace=marketplace, url=f"https://x/dp/{asin}", outcome=outcome, fetched_at=at,
        title=rng.choice([f"Acme {asin}", f"Acme {asin} (new)"]), brand="Acme", price=price,
        buybox_state=BuyboxState.OWNED, buybox_seller=seller[0], buybox_seller_id=seller[1],
        rating=Decimal(rng.randint(30, 50)) / 10, review_count=rng.randint(0, 900),
        offers=tuple(Offer(f"Shop {i}", f"ASELLER{i:05d}", price) for i in range(rng.randint(0, 2))),
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


def test_history_load_hides_its_records_from_the_collector_while_the_history_lives(store: Store) -> None:
    import gc

    from crawler.config import parse_config
    from crawler.monitoring import build_history

    run_id = store.start_run("crawl", ["us"], started_at=T0)
    store.save_product(run_id, reading(random.Random(3), "B0GC000001", "us", T0 + timedelta(seconds=5)))
    store.finish_run(run_id, "complete", {})
    config = parse_config('name = "gc"\n[marketplaces.us]\n[[products]]\nasin = "B0GC000001"\nmarketplace = "us"\n')
    history = build_history(store, config, run_id)
    assert gc.isenabled() and gc.get_freeze_count() > 0
    del history  # the frozen objects go back to the collector's oldest generation
    assert gc.get_freeze_count() == 0
