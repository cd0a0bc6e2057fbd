"""Product parser speed on the real captures: our full parse vs a bare `lxml.html.fromstring` of the same bytes.

Run: `.venv/bin/python bench/parse.py [--repeat N] [--profile FILE_SUBSTRING]`. Prints per page the median ms of
`parse_product`, of lxml's parse alone, their ratio, and the medians over all pages. Pages are read from
../shared/realpages/product (the captures are not in the repo).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html

from crawler import marketplaces
from spiders.parsers.product import parse_product

PAGES = ROOT.parent / "shared" / "realpages" / "product"


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--profile", help="cProfile the parse of the first page whose name contains this")
    args = ap.parse_args()
    pages = sorted(PAGES.glob("*.html"))
    if not pages:
        print(f"no pages under {PAGES}")
        return 1
    if args.profile:
        import cProfile
        import pstats
        page = next(p for p in pages if args.profile in p.name)
        data = page.read_bytes()
        mk, asin = page.stem.split("-", 1)
        url = f"{marketplaces.get(mk).base_url}/dp/{asin}"
        cProfile.runctx("for _ in range(5): parse_product(data, url, mk)", globals(), locals(), "/tmp/parse.prof")
        pstats.Stats("/tmp/parse.prof").sort_stats("cumulative").print_stats(25)
        return 0
    ours_all, lxml_all = [], []
    print(f"{'page':28} {'KB':>6} {'ours ms':>8} {'lxml ms':>8} {'ratio':>6}")
    for page in pages:
        data = page.read_bytes()
        mk, asin = page.stem.split("-", 1)
        url = f"{marketplaces.get(mk).base_url}/dp/{asin}"
        ours = _median_ms(lambda d=data, u=url, m=mk: parse_product(d, u, m), args.repeat)
        raw = _median_ms(lambda d=data: lxml.html.fromstring(d), args.repeat)
        ours_all.append(ours)
        lxml_all.append(raw)
        print(f"{page.name:28} {len(data) // 1024:6} {ours:8.1f} {raw:8.1f} {ours / raw:6.2f}")
    print(f"{'median':28} {'':6} {statistics.median(ours_all):8.1f} {statistics.median(lxml_all):8.1f} "
          f"{statistics.median(ours_all) / statistics.median(lxml_all):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
