"""The nightly crawl at scale: 10,000 ASINs + 200 keywords x 3 pages + 30 lists x 2 pages, one `storewatch
crawl` process against a pre-rendered storefront with politeness off.

Run: `.venv/bin/python bench/nightly.py [--asins 10000] [--keywords 200] [--lists 30] [--concurrency 8]`.
Prints wall time, pages/s, requests per product page (goal <= 1.05: the products have no other
sellers, so the all-offers panel is never needed), the crawl's peak memory, and database growth per
snapshot (goal < 2 KB). Goal for the whole run on the shared 2-core box: < 15 min.

The storefront's catalog has 34 products; the ASINs here are synthetic: each is served the page of one
of ten catalog products without other sellers ("templates"), with the ASIN rewritten, so every page is a
full-size product page. Search pages are the storefront's own (any keyword renders 3 pages of results);
the 30 lists are the four catalog lists under 30 distinct paths. Search and list pages are rendered
before the clock starts; product pages are rewritten per request (0.2 ms each).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.storefront import Storefront, routes

TEMPLATES = ("B0BTCPSXTQ", "B0B8H4KD6C", "B0XOCHYE93", "B0RL0P9GBS", "B0PF2V3EVY", "B0Z95960HD",
             "B03DA8JDF8", "B021T7HQPC", "B03SAV2L3O", "B06MEHD6TR")
LISTS = ("/gp/bestsellers/kitchen", "/gp/new-releases/sports-and-outdoors")


def synthetic_asin(i: int) -> str:
    return f"B0S{i:07d}"


class ScaleStorefront(Storefront):
    """The storefront, plus a product page for any synthetic ASIN and any numbered list path."""

    def get(self, raw_path: str, host: str | None = None, postcode: str | None = None) -> routes.Response:
        path, _ = routes.split_url(raw_path)
        if path.startswith("/dp/B0S"):
            asin = path.removeprefix("/dp/")[:10]
            template = TEMPLATES[zlib.crc32(asin.encode()) % len(TEMPLATES)]
            page = super().get(f"/dp/{template}", host, postcode)
            return routes.Response(page.status, page.body.replace(template.encode(), asin.encode()),
                                   page.content_type, page.headers)
        if path.startswith("/gp/bestsellers/bench-"):
            number = int(path.split("/")[3].removeprefix("bench-"))
            real = LISTS[number % len(LISTS)]
            return super().get(raw_path.replace(f"/gp/bestsellers/bench-{number}", real, 1), host, postcode)
        return super().get(raw_path, host, postcode)


def watchlist(asins: int, keywords: int, lists: int, concurrency: int) -> str:
    lines = ['name = "nightly-at-scale"', "products = ["]
    lines += [f'  {{ asin = "{synthetic_asin(i)}", marketplace = "us", own = {str(i % 10 == 0).lower()} }},'
              for i in range(asins)]
    lines += ["]", "keywords = ["]
    lines += [f'  {{ term = "nightly keyword {i}", marketplace = "us", pages = 3 }},' for i in range(keywords)]
    lines += ["]", "lists = ["]
    lines += [f'  {{ path = "/gp/bestsellers/bench-{i}", marketplace = "us", pages = 2 }},' for i in range(lists)]
    lines += ["]", "[marketplaces.us]", 'own_seller_ids = ["A2NPK0UTF1TTRS"]', "[politeness]",
              "delay_seconds = 0", "jitter = 0", "autothrottle = false", "retries = 0",
              f"concurrency_per_marketplace = {concurrency}", "max_robot_checks = 1000"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asins", type=int, default=10_000)
    ap.add_argument("--keywords", type=int, default=200)
    ap.add_argument("--lists", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=8, help="requests at a time (politeness off)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="storewatch-nightly-") as tmp, ScaleStorefront(seed=0) as sf:
        t0 = time.perf_counter()
        warm = [f"/s?k={'nightly+keyword+' + str(i)}" + ("" if p == 1 else f"&page={p}")
                for i in range(args.keywords) for p in (1, 2, 3)]
        warm += [f"{lst}" + ("" if p == 1 else "?pg=2") for lst in LISTS for p in (1, 2)]
        warm += [f"/dp/{t}" for t in TEMPLATES]
        sf.prerender(warm)
        warmup = time.perf_counter() - t0
        config = Path(tmp) / "nightly.toml"
        config.write_text(watchlist(args.asins, args.keywords, args.lists, args.concurrency), encoding="utf-8")
        db_path = Path(tmp) / "nightly.db"
        env = {**os.environ, "STOREWATCH_HOME": str(Path(tmp) / "home"), "PYTHONPATH": str(ROOT)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t1 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "crawl",
                               "--config", str(config), "--base-url", sf.url, "--db", f"sqlite:///{db_path}",
                               "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t1
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 3):
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        summary = json.loads(done.stdout)
        counts = summary["counts"]
        log = sf.request_log
        product_requests = sum(1 for _, p, _, _ in log if p.startswith("/dp/"))
        panel_requests = sum(1 for _, p, _, _ in log if p.startswith("/gp/aod/"))
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("nightly.db*"))
        snapshots = counts["pages"]
        figures = {
            "pages": snapshots,
            "pages_expected": counts["pages_expected"],
            "status": summary["status"],
            "wall_s": round(wall, 1),
            "pages_per_s": round(snapshots / wall, 1),
            "requests": counts["requests"],
            "requests_per_product": round((product_requests + panel_requests) / max(1, args.asins), 3),
            "offers_panels": panel_requests,
            "requests_per_target": counts["requests_per_target"],
            "peak_rss_mib": round(after.ru_maxrss / 1024, 0),
            "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "db_bytes_per_snapshot": round(db_bytes / max(1, snapshots)),
            "warmup_s": round(warmup, 1),
        }
    ok = figures["wall_s"] < 15 * 60 and figures["requests_per_product"] <= 1.05 \
        and figures["db_bytes_per_snapshot"] < 2048 and figures["status"] == "complete"
    print(f"nightly at scale: {args.asins:,} ASINs + {args.keywords} keywords x 3 pages + {args.lists} lists x 2 "
          f"pages, politeness off ({args.concurrency} at a time), SQLite")
    for key, value in figures.items():
        print(f"  {key:24} {value}")
    print(f"goals: < 15 min, <= 1.05 requests per product, < 2 KB per snapshot: {'OK' if ok else 'MISSED'}")
    if args.json:
        print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
