"""Storage benchmark: bytes per product snapshot and insert rate over a month of nightly checks.

    .venv/bin/python bench/storage.py                  # 30 days x 500 products, SQLite in a temp dir
    .venv/bin/python bench/storage.py --days 365 --products 200
    .venv/bin/python bench/storage.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Snapshots are realistic rather than minimal: long titles and bullets, images, eight top reviews,
one to four offers, two ranks; day to day most text is unchanged, ~15% of prices move, a new review
shows up now and then, and ~2% of fetches are blocked. The budget is 2 KB per snapshot.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.db import open_database
from crawler.records import (
    BuyboxState,
    Coupon,
    Money,
    Offer,
    Outcome,
    ProductSnapshot,
    Rank,
    Review,
)
from crawler.store import Store

BUDGET = 2048
START = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
WORDS = (  # noqa: SIM905 - a sentence reads better than fifty quoted words
    "stainless steel electric kettle fast boil cordless auto shut off boil dry protection BPA free "
    "water window LED indicator 360 degree base anti scale filter premium quality gift home office "
    "kitchen tea coffee travel compact durable ergonomic handle cool touch exterior"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


class Product:
    """One product's evolving state; `check()` is what the parser would read that night."""

    def __init__(self, i: int, rng: random.Random) -> None:
        self.rng = rng
        self.asin = f"B0{i:08d}"
        self.title = sentence(rng, 28)[:190]
        self.bullets = tuple(sentence(rng, 35) for _ in range(5))
        self.images = tuple(
            f"https://m.media-amazon.com/images/I/{rng.getrandbits(40):x}._AC_SL1500_.jpg" for _ in range(7)
        )
        self.reviews = [
            Review(f"R{rng.getrandbits(48):X}", rng.randint(1, 5), sentence(rng, 6), "January 3, 2026", True)
            for _ in range(8)
        ]
        self.price = Decimal(rng.randint(999, 9999)) / 100
        self.review_count = rng.randint(10, 20000)
        self.other_sellers = rng.choice((0, 0, 1, 2, 3))

    def check(self, day: int) -> ProductSnapshot:
        rng = self.rng
        at = START + timedelta(days=day, seconds=rng.randint(0, 3600))
        url = f"https://www.amazon.com/dp/{self.asin}"
        if rng.random() < 0.02:
            return ProductSnapshot(
                asin=self.asin,
                marketplace="us",
                url=url,
                outcome=Outcome.BLOCKED,
                reason="robot check (HTTP 200)",
                fetched_at=at,
            )
        if rng.random() < 0.15:
            self.price = max(Decimal("1.00"), self.price + Decimal(rng.randint(-300, 300)) / 100)
        if rng.random() < 0.3:
            self.review_count += rng.randint(1, 5)
        if rng.random() < 0.1:  # a new top review pushes the oldest out
            self.reviews = [
                Review(
                    f"R{rng.getrandbits(48):X}", rng.randint(1, 5), sentence(rng, 6), "February 1, 2026", True
                ),
                *self.reviews[:-1],
            ]
        if rng.random() < 0.01:
            self.title = sentence(rng, 28)[:190]
        offers = [
            Offer(
                "Acme Store",
                "A1ACMESTORE01",
                Money(self.price, "USD"),
                Money(Decimal(0), "USD"),
                "New",
                True,
                True,
                Decimal(97),
                12840,
            )
        ]
        offers += [
            Offer(f"Seller {k}", f"A{k}SELLER0000{k}", Money(self.price + k, "USD"), None, "New", False)
            for k in range(self.other_sellers)
        ]
        return ProductSnapshot(
            asin=self.asin,
            marketplace="us",
            url=url,
            outcome=Outcome.OK,
            parent_asin="B0PARENT00",
            fetched_at=at,
            title=self.title,
            brand="Acme",
            price=Money(self.price, "USD"),
            list_price=Money(Decimal("99.99"), "USD"),
            currency="USD",
            buybox_state=BuyboxState.OWNED,
            buybox_seller="Acme Store",
            buybox_seller_id="A1ACMESTORE01",
            ships_from="Amazon",
            fulfilled_by_amazon=True,
            availability="In Stock",
            in_stock=True,
            rating=Decimal("4.4"),
            review_count=self.review_count,
            rating_histogram={5: 68, 4: 14, 3: 7, 2: 4, 1: 7},
            top_reviews=tuple(self.reviews),
            coupon=Coupon("Save 10% with coupon", Decimal(10)) if day % 7 == 0 else None,
            deal_badge="Limited time deal" if day % 10 == 0 else None,
            other_sellers_count=self.other_sellers,
            offers=tuple(offers),
            bsr=(
                Rank(rng.randint(1000, 2000), "Home & Kitchen"),
                Rank(rng.randint(5, 60), "Electric Kettles"),
            ),
            breadcrumbs=("Home & Kitchen", "Kitchen & Dining", "Small Appliances", "Electric Kettles"),
            bullets=self.bullets,
            images=self.images,
            has_aplus=True,
            variation_asins=tuple(f"B0VAR{v:05d}" for v in range(3)),
        )


def database_bytes(store: Store) -> int:
    with store.db.transaction(write=False) as conn:
        if store.db.dialect == "sqlite":
            conn.exec_driver_sql("SELECT 1")
        else:
            return int(
                conn.exec_driver_sql(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
                ).scalar()
                or 0
            )
    with store.db.engine.connect() as conn:  # VACUUM cannot run inside a transaction
        conn.exec_driver_sql("COMMIT")  # end the BEGIN SQLAlchemy's autobegin emitted
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    return int(pages * size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--url", help="database URL (default: a new SQLite file in a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        db = open_database(url)
        create_s = time.perf_counter() - started
        store = Store(db)
        rng = random.Random(20260101)
        products = [Product(i, rng) for i in range(args.products)]

        single_s = batch_s = 0.0
        single_n = batch_n = 0
        day1_bytes = 0
        for day in range(args.days):
            run = store.start_run("daily", ["us"], started_at=START + timedelta(days=day))
            snaps = [p.check(day) for p in products]
            t0 = time.perf_counter()
            if day == 0:  # one transaction per snapshot, as an unbatched pipeline would
                for snap in snaps:
                    store.save_product(run, snap)
                single_s += time.perf_counter() - t0
                single_n += len(snaps)
            else:
                with store.batch():
                    for snap in snaps:
                        store.save_product(run, snap)
                batch_s += time.perf_counter() - t0
                batch_n += len(snaps)
            store.finish_run(run, "complete", {"products": len(snaps)})
            if day == 0:
                day1_bytes = database_bytes(store)
        total = args.days * args.products
        total_bytes = database_bytes(store)
        later = total - args.products

        t0 = time.perf_counter()
        history = store.product_history(products[0].asin, "us")
        history_ms = (time.perf_counter() - t0) * 1000
        assert len(history) == args.days
        db.close()

        opens = []
        for _ in range(20):
            t0 = time.perf_counter()
            open_database(url).close()
            opens.append((time.perf_counter() - t0) * 1000)

        per_snapshot = total_bytes / total
        print(f"backend              {db.dialect} ({db.safe_url})")
        print(f"snapshots            {total} ({args.days} days x {args.products} products)")
        print(
            f"database size        {total_bytes / 1e6:.2f} MB"
            + (" after VACUUM" if db.dialect == "sqlite" else "")
        )
        print(f"bytes per snapshot   {per_snapshot:.0f} B (budget {BUDGET} B)")
        if later:
            print(f"  marginal, day 2+   {(total_bytes - day1_bytes) / later:.0f} B (text already stored)")
        print(
            f"insert rate          {single_n / single_s:.0f}/s one transaction each, "
            f"{batch_n / batch_s:.0f}/s batched per run"
            if batch_n
            else f"{single_n / single_s:.0f}/s"
        )
        print(f"history of one ASIN  {history_ms:.1f} ms for {len(history)} snapshots")
        print(f"open (new database)  {create_s * 1000:.0f} ms including migrations")
        print(f"open (up to date)    {statistics.median(opens):.1f} ms median of 20")
        ok = per_snapshot < BUDGET
        print("OK: under budget" if ok else "OVER BUDGET")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
