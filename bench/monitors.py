"""Benchmark: every product monitor over the latest run of 1,000,000 snapshots held in memory.

Run: `.venv/bin/python bench/monitors.py [asins] [runs]` (default 10,000 ASINs x 100 runs; goal < 10 s).
`bench/monitors.py --stored [asins] [runs]` measures the same over SQLite, loading included
(bench/monitors_stored.py).
Half the ASINs are own listings, half competitors, so every product monitor has work on each of them.
Snapshots are distinct records built from shared pieces (prices, offers, reviews), with ~3 % blocked
pages and a few real changes per run, roughly what a daily crawl produces.
"""
from __future__ import annotations

import gc
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

# This file is called monitors.py: keep its folder off the path so `import monitors` finds the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

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
from monitors.history import History, Run
from monitors.settings import MonitorSettings, OwnProduct
from monitors.suite import PRODUCT, open_alerts, run_monitors

ME = "AOWNSELLER1"
START = datetime(2026, 1, 1, 6, tzinfo=UTC)


def build(n_asins: int, n_runs: int) -> tuple[History, MonitorSettings]:
    rnd = random.Random(7)
    runs = [Run(f"r{i}", START + timedelta(days=i)) for i in range(n_runs)]
    prices = [Money(Decimal(c) / 100, "USD") for c in range(999, 4999, 25)]
    ratings = [Decimal(r) / 10 for r in range(38, 50)]
    hists = [{5: 70 - k, 4: 15, 3: 6, 2: 3, 1: 6 + k} for k in range(6)]
    coupons = [None, None, None, Coupon("Save 10%", percent=Decimal(10))]
    reviews = [tuple(Review(f"R{k}{j}", 1 + (k + j) % 5, "t", "2026-01-01", True) for j in range(3)) for k in range(8)]
    offers = [(), (Offer("Own", ME, prices[40]),),
              (Offer("Own", ME, prices[40]), Offer("Cheap Co", "AHIJACK01", prices[38], condition="New"))]
    bsr = [(Rank(r, "Kitchen"),) for r in (120, 150, 200, 900, 1500)]
    sellers = [(ME, "Own"), (ME, "Own"), (ME, "Own"), ("AHIJACK01", "Cheap Co")]
    blocked_every = 33
    h = History(run=runs[-1])
    own_products: list[OwnProduct] = []
    competitors: dict[str, tuple[str, ...]] = {}
    products = h.products
    for a in range(n_asins):
        asin = f"B0{a:08d}"
        own = a % 2 == 0
        if own:
            own_products.append(OwnProduct(asin, title=f"Item {a}", price_floor=Decimal(12)))
        else:
            competitors[asin] = (f"B0{a - 1:08d}",)
        url = f"https://www.amazon.com/dp/{asin}"
        title, images = f"Item {a}", (f"https://m.media-amazon.com/images/I/{a}X._AC_.jpg",)
        p, r, c, rv, o, b, s = (rnd.randrange(len(x)) for x in (prices, ratings, coupons, reviews, offers, bsr, sellers))
        entries = []
        for i, run in enumerate(runs):
            if (a + i) % blocked_every == 0:
                entries.append((run, ProductSnapshot(asin, "us", url, Outcome.BLOCKED, reason="robot check")))
                continue
            x = rnd.random()  # a few fields move now and then
            if x < 0.05:
                p = rnd.randrange(len(prices))
            elif x < 0.07:
                r = rnd.randrange(len(ratings))
            elif x < 0.10:
                c = rnd.randrange(len(coupons))
            elif x < 0.12:
                rv = rnd.randrange(len(reviews))
            elif x < 0.15:
                s = rnd.randrange(len(sellers))
            elif x < 0.18:
                b = rnd.randrange(len(bsr))
            seller_id, seller = sellers[s]
            entries.append((run, ProductSnapshot(
                asin, "us", url, Outcome.OK, title=title, brand="Acme", price=prices[p], currency="USD",
                buybox_state=BuyboxState.OWNED, buybox_seller=seller, buybox_seller_id=seller_id,
                rating=ratings[r], review_count=1000 + i, rating_histogram=hists[(a + i // 10) % 6],
                top_reviews=reviews[rv], coupon=coupons[c], other_sellers_count=len(offers[o]), offers=offers[o],
                bsr=bsr[b], images=images, in_stock=True)))
        products[(asin, "us")] = entries
    settings = MonitorSettings(own_seller_ids={"us": frozenset({ME})}, own_seller_names=("Own",),
                               own_products=tuple(own_products), competitors=competitors)
    return h, settings


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--stored":
        import runpy

        sys.argv = [str(_HERE / "monitors_stored.py"), *argv[1:]]
        runpy.run_path(sys.argv[0], run_name="__main__")
        return
    n_asins = int(argv[0]) if argv else 10_000
    n_runs = int(argv[1]) if len(argv) > 1 else 100
    t0 = time.perf_counter()
    gc.disable()  # a million long-lived records: collecting while building only costs time
    h, s = build(n_asins, n_runs)
    gc.enable()
    gc.freeze()
    t1 = time.perf_counter()
    alerts = run_monitors(h, s, [cls() for cls in PRODUCT])
    t2 = time.perf_counter()
    h._pairs.clear()  # a fresh pass with last run's open alerts: the lifecycle's cost included
    again = run_monitors(h, s, [cls() for cls in PRODUCT], open_alerts(alerts))
    t3 = time.perf_counter()
    by_key: dict[str, int] = {}
    for a in alerts:
        by_key[a.message_key] = by_key.get(a.message_key, 0) + 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"snapshots: {n_asins * n_runs:,} ({n_asins:,} ASINs x {n_runs} runs), built in {t1 - t0:.1f} s")
    print(f"monitors: {len(PRODUCT)} product monitors, {len(alerts):,} alerts in {t2 - t1:.2f} s")
    print(f"again with {len(open_alerts(alerts)):,} open alerts from the previous run: {t3 - t2:.2f} s "
          f"({sum(a.lifecycle.value == 'still' for a in again):,} still)")
    print(f"peak memory: {rss:,.0f} MiB")
    for key, count in sorted(by_key.items()):
        print(f"  {key}: {count:,}")


if __name__ == "__main__":
    main(sys.argv[1:])
