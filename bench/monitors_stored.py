"""Benchmark: the monitors over the latest run of 1,000,000 product snapshots stored in SQLite.

Run: `.venv/bin/python bench/monitors_stored.py [asins] [runs] [--db PATH]` (default 10,000 x 100; goal
< 10 s for loading the history plus running the monitors, as `monitor_run` does for the latest run).
A `--db` file that already holds a database of that size is reused, so repeated runs skip the build.

Building the database is not part of the goal: one realistic nightly run is saved through the Store
API, then SQL copies it into the other runs (one `INSERT ... SELECT` per table over a recursive CTE of
run numbers), moving prices, ranks, ratings, review counts and buy-box sellers now and then and
blocking ~3 % of pages, so the monitors have work. Copies keep the schema's invariants: every target
has its run, every snapshot its target, and the content ids they point at exist.
Half the ASINs are own listings, half competitors (each against the own ASIN before it).
"""
from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from crawler.config import Config, parse_config
from crawler.db import open_database
from crawler.monitoring import build_history, previous_open_alerts
from crawler.records import BuyboxState, Coupon, Money, Offer, Outcome, ProductSnapshot, Rank, Review
from crawler.store import Store
from monitors.from_config import settings_from_config
from monitors.suite import run_monitors

ME = "AOWNSELLER1"
START = datetime(2026, 1, 1, 3, tzinfo=UTC)
GOAL_SECONDS = 10.0
BLOCKED_EVERY = 33


def asin_of(a: int) -> str:
    return f"B0{a:08d}"


def watchlist(n_asins: int) -> Config:
    lines = [f'name = "bench"\n[marketplaces.us]\nown_seller_ids = ["{ME}"]\nown_seller_names = ["Own"]\n']
    for a in range(n_asins):
        if a % 2 == 0:
            lines.append(f'[[products]]\nasin = "{asin_of(a)}"\nmarketplace = "us"\nown = true\nprice_floor = 12\n')
        else:
            lines.append(f'[[products]]\nasin = "{asin_of(a)}"\nmarketplace = "us"\nversus = ["{asin_of(a - 1)}"]\n')
    return parse_config("\n".join(lines))


def snapshot(a: int, at: datetime) -> ProductSnapshot:
    """One realistic reading of ASIN number `a` (the first run's; copies vary it)."""
    price = Money(Decimal(999 + 25 * (a % 160)) / 100, "USD")
    offers = (Offer("Own", ME, price, is_buybox=True, fulfilled_by_amazon=True),)
    if a % 5 == 0:
        offers += (Offer("Cheap Co", "AHIJACK01", Money(price.amount - 1, "USD"), condition="New"),)
    reviews = tuple(Review(f"R{a % 8}{j}", 1 + (a + j) % 5, f"Review {j} of item {a % 8}", "2026-01-01", True)
                    for j in range(5))
    return ProductSnapshot(
        asin_of(a), "us", f"https://www.amazon.com/dp/{asin_of(a)}", Outcome.OK, fetched_at=at,
        title=f"Acme stainless steel garlic press, item {a}, dishwasher safe", brand="Acme",
        bullets=("Heavy duty", "Easy to clean", "Lifetime warranty"),
        images=(f"https://m.media-amazon.com/images/I/{a}X._AC_.jpg",), breadcrumbs=("Home & Kitchen", "Kitchen"),
        price=price, currency="USD", buybox_state=BuyboxState.OWNED, buybox_seller="Own", buybox_seller_id=ME,
        fulfilled_by_amazon=True, availability="In Stock", in_stock=True,
        rating=Decimal(38 + a % 12) / 10, review_count=1000 + a,
        rating_histogram={5: 70 - a % 6, 4: 15, 3: 6, 2: 3, 1: 6 + a % 6}, top_reviews=reviews,
        coupon=Coupon("Save 10%", percent=Decimal(10)) if a % 4 == 0 else None,
        other_sellers_count=len(offers), offers=offers, bsr=(Rank(100 + a % 900, "Kitchen"),))


# Copies of run 1 into runs 2..N. `k` is the run number minus one, `a` the ASIN number; each field
# moves on its own rhythm so a few percent of listings change per run. Decimals stay text (ExactDecimal).
_RUNS = """
WITH RECURSIVE ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < :last)
INSERT INTO runs (id, kind, started_at, finished_at, status, marketplaces, counts, config_name)
SELECT r.id + k, r.kind, strftime('%Y-%m-%d %H:%M:%S', r.started_at, '+' || k || ' days') || substr(r.started_at, 20),
       strftime('%Y-%m-%d %H:%M:%S', r.finished_at, '+' || k || ' days') || substr(r.finished_at, 20),
       r.status, r.marketplaces, r.counts, r.config_name
FROM runs r, ks WHERE r.id = :base
"""
_TARGETS = """
WITH RECURSIVE ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < :last)
INSERT INTO targets (id, run_id, kind, marketplace, key, page, url, outcome, reason, evidence, fetched_at, attempts)
SELECT t.id + k * :n, t.run_id + k, t.kind, t.marketplace, t.key, t.page, t.url,
       CASE WHEN (CAST(substr(t.key, 3) AS INTEGER) + k) % :blocked = 0 THEN 'blocked' ELSE t.outcome END,
       CASE WHEN (CAST(substr(t.key, 3) AS INTEGER) + k) % :blocked = 0 THEN 'robot check' ELSE t.reason END,
       t.evidence,
       strftime('%Y-%m-%d %H:%M:%S', t.fetched_at, '+' || k || ' days') || substr(t.fetched_at, 20), t.attempts
FROM ks, targets t WHERE t.run_id = :base ORDER BY k, t.id
"""
_SNAPSHOTS = """
WITH RECURSIVE ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < :last)
INSERT INTO product_snapshots (target_id, content_id, reviews_id, price, price_currency, list_price,
    list_price_currency, currency, buybox_state, buybox_seller, buybox_seller_id, ships_from,
    fulfilled_by_amazon, availability, in_stock, rating, review_count, histogram, coupon, deal_badge,
    other_sellers_count, offers, bsr, redirected_to, missing)
SELECT s.target_id + k * :n, content_id, reviews_id,
       printf('%.2f', CAST(s.price AS REAL) + ((k + a) / (7 + a % 11) % 4) * 0.5), price_currency,
       list_price, list_price_currency, currency, buybox_state,
       CASE WHEN (k + a) % 37 = 0 THEN 'Cheap Co' ELSE buybox_seller END,
       CASE WHEN (k + a) % 37 = 0 THEN 'AHIJACK01' ELSE buybox_seller_id END,
       ships_from, fulfilled_by_amazon, availability, in_stock,
       printf('%.1f', CAST(s.rating AS REAL) - ((k + a) / (13 + a % 5) % 3) * 0.1),
       review_count + k + (k * a) % 3, histogram, coupon, deal_badge, other_sellers_count, offers,
       json_array(json_array(100 + a % 900 + ((k + a) / (5 + a % 9) % 5) * 40, 'Kitchen')),
       redirected_to, missing
FROM ks, (SELECT p.*, CAST(substr(t.key, 3) AS INTEGER) AS a FROM product_snapshots p
          JOIN targets t ON t.id = p.target_id WHERE t.run_id = :base) s
WHERE (a + k) % :blocked != 0
ORDER BY k, s.target_id
"""


def build_db(url: str, n_asins: int, n_runs: int) -> tuple[Store, int]:
    """The database of `n_runs` nightly crawls of `n_asins` products; the latest run's id."""
    store = Store(open_database(url), clock=lambda: START + timedelta(hours=1))
    base = store.start_run("crawl", ["us"], "bench", started_at=START)
    with store.batch():
        for a in range(n_asins):
            store.save_product(base, snapshot(a, START + timedelta(seconds=1 + a // 10)))
    store.finish_run(base, "complete", {"products": n_asins})
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        ids = cur.execute("SELECT min(id), max(id), count(*) FROM targets WHERE run_id = ?", (base,)).fetchone()
        assert ids == (1, n_asins, n_asins), ids  # copies offset ids by k * n
        params = {"last": n_runs - 1, "base": base, "n": n_asins, "blocked": BLOCKED_EVERY}
        cur.execute("BEGIN")
        for sql in (_RUNS, _TARGETS, _SNAPSHOTS):
            cur.execute(sql, {k: v for k, v in params.items() if f":{k}" in sql})
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    latest = store.latest_run("crawl")
    assert latest is not None
    return store, latest.id


def reuse_db(path: Path, n_asins: int, n_runs: int) -> tuple[Store, int] | None:
    """The database a previous run built at `path` when it has the asked size, else None."""
    if not path.exists():
        return None
    store = Store(open_database(f"sqlite:///{path}"))
    with store.db.transaction(write=False) as conn:
        shape = conn.exec_driver_sql("SELECT count(*), count(DISTINCT run_id), count(DISTINCT key) FROM targets "
                                     "WHERE kind = 'product'").one()
    latest = store.latest_run("crawl")
    if tuple(shape) != (n_asins * n_runs, n_runs, n_asins) or latest is None:
        store.db.close()
        return None
    return store, latest.id


def main(argv: list[str]) -> int:
    """0 when the goal is met, 1 when not (bench/run_all.py reads it)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("asins", nargs="?", type=int, default=10_000)
    ap.add_argument("runs", nargs="?", type=int, default=100)
    ap.add_argument("--db", help="SQLite file to build, or to reuse when it holds a database of that size "
                                 "(default: a temporary one, removed afterwards)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.sqlite"
        t0 = time.perf_counter()
        reused = reuse_db(path, args.asins, args.runs)
        if reused is None:
            path.unlink(missing_ok=True)
            reused = build_db(f"sqlite:///{path}", args.asins, args.runs)
            built = f"built in {time.perf_counter() - t0:.1f} s"
        else:
            built = "reused"
        store, run_id = reused
        config = watchlist(args.asins)
        settings = settings_from_config(config)
        with store.db.transaction(write=False) as conn:
            n_snaps = conn.exec_driver_sql("SELECT count(*) FROM targets WHERE kind = 'product'").scalar()
        t1 = time.perf_counter()
        gc.collect()
        # The steps of crawler.monitoring.monitor_run, timed one by one.
        history = build_history(store, config, run_id)
        t2 = time.perf_counter()
        alerts = run_monitors(history, settings, None, previous_open_alerts(store, run_id))
        t3 = time.perf_counter()
        store.replace_alerts(run_id, alerts)
        t4 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        loaded = sum(len(e) for e in history.products.values())
        total = t4 - t1
        print(f"database: {n_snaps:,} product targets ({args.asins:,} ASINs x {args.runs} runs), "
              f"{path.stat().st_size / 2**20:,.0f} MiB, {built} (not part of the goal)")
        print(f"history load (build_history, latest run {run_id}): {t2 - t1:.2f} s, {loaded:,} snapshots")
        print(f"monitors (run_monitors, all monitors): {t3 - t2:.2f} s, {len(alerts):,} alerts")
        print(f"alerts saved (replace_alerts): {t4 - t3:.2f} s")
        print(f"total monitor_run: {total:.2f} s -> {'under' if total < GOAL_SECONDS else 'OVER'} "
              f"{GOAL_SECONDS:.0f} s goal")
        print(f"peak memory: {rss:,.0f} MiB")
        by_key: dict[str, int] = {}
        for a in alerts:
            by_key[a.message_key] = by_key.get(a.message_key, 0) + 1
        for key, count in sorted(by_key.items()):
            print(f"  {key}: {count:,}")
        store.db.close()
        return 0 if total < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
