"""One crawl of product pages in its own process: `python -m crawler.batch --db URL --base-url URL us:ASIN ...`.

A Twisted reactor cannot restart, so every crawl after the first in a process (the demo's day 2, the
scheduler's next night) runs through this entry point in a fresh process. It saves every snapshot (with
its evidence) and prints one JSON line per product: outcome and the fields that changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def crawl_products(
    targets: list[tuple[str, str]], base_url: str | None, db: str | None, polite: bool = False
) -> list[dict[str, Any]]:
    from crawler.changes import product_changes
    from crawler.marketplaces import get
    from crawler.runner import run_crawl
    from crawler.session import storage
    from crawler.settings import scrapy_settings
    from spiders.base import ProductTarget
    from spiders.product import ProductSpider

    product_targets = [ProductTarget(asin, mk, base_url or get(mk).base_url) for mk, asin in targets]
    result = run_crawl(ProductSpider, scrapy_settings(ad_hoc=not polite), targets=product_targets)
    out = []
    with storage(db) as store:
        run_id = store.start_run("products", sorted({mk for mk, _ in targets}))
        for item in result.items:
            snap = item["record"]
            previous = store.last_ok_product(snap.asin, snap.marketplace)
            store.save_run_product(run_id, snap, item.get("body"))
            out.append(
                {
                    "asin": snap.asin,
                    "marketplace": snap.marketplace,
                    "outcome": snap.outcome.value,
                    "reason": snap.reason,
                    "changes": [c.as_json() for c in product_changes(previous, snap)],
                }
            )
        store.finish_run(run_id, len(out), len(targets))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.batch", description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="+", help="MARKETPLACE:ASIN")
    ap.add_argument("--base-url")
    ap.add_argument("--db")
    ap.add_argument("--polite", action="store_true")
    args = ap.parse_args(argv)
    targets = []
    for t in args.targets:
        mk, _, asin = t.partition(":")
        targets.append((mk, asin))
    for line in crawl_products(targets, args.base_url, args.db, args.polite):
        sys.stdout.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
