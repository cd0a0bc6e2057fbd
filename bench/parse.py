"""Product parser speed on the real captures: our full parse vs a bare `lxml.html.fromstring` of the same bytes.

Run: `.venv/bin/python bench/parse.py [--repeat N] [--profile FILE_SUBSTRING]`. Prints per page the best-of-N ms of
`parse_product`, of lxml's parse alone, their ratio, and the medians (and worst ratio) over all pages. Pages are read from
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


def _best_ms(fn, repeat: int) -> float:
    """The fastest of `repeat` runs: on a shared machine the slower runs measure the neighbours, not us."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--profile", help="cProfile the parse of the first page whose name contains this")
    ap.add_argument("--check", action="store_true", help="check every IdScope answer against a plain css walk")
    args = ap.parse_args()
    pages = sorted(PAGES.glob("*.html"))
    if not pages:
        print(f"no pages under {PAGES}")
        return 1
    if args.check:
        return _check(pages)
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
    ours_all, lxml_all, ratios = [], [], []
    print(f"{'page':28} {'KB':>6} {'ours ms':>8} {'lxml ms':>8} {'ratio':>6}")
    for page in pages:
        data = page.read_bytes()
        mk, asin = page.stem.split("-", 1)
        url = f"{marketplaces.get(mk).base_url}/dp/{asin}"
        ours = _best_ms(lambda d=data, u=url, m=mk: parse_product(d, u, m), args.repeat)
        raw = _best_ms(lambda d=data: lxml.html.fromstring(d), args.repeat)
        ours_all.append(ours)
        lxml_all.append(raw)
        ratios.append((ours / raw, page.name))
        print(f"{page.name:28} {len(data) // 1024:6} {ours:8.1f} {raw:8.1f} {ours / raw:6.2f}")
    print(f"{'median':28} {'':6} {statistics.median(ours_all):8.1f} {statistics.median(lxml_all):8.1f} "
          f"{statistics.median(ours_all) / statistics.median(lxml_all):6.2f}")
    print(f"median ratio {statistics.median(r for r, _ in ratios):.2f}, worst {max(ratios)[0]:.2f} ({max(ratios)[1]})")
    return 0


def _check(pages: list[Path]) -> int:
    """Parse every page with IdScope.css / by_id compared, query by query, to the node's own css walk."""
    from spiders.parsers import dom

    bad: list[str] = []
    count = 0
    css, by_id = dom.IdScope.css, dom.IdScope.by_id

    def same(got: list, query: str, ref: list) -> None:
        nonlocal count
        count += 1
        if [n.mem_id for n in got] != [n.mem_id for n in ref]:
            bad.append(query)

    def checked_css(self, query):
        got = css(self, query)
        same(got, query, self.node.css(query))
        return got

    def checked_by_id(self, ident):
        got = by_id(self, ident)
        same(got, "#" + ident, self.node.css(f'[id="{ident}"]'))
        return got

    dom.IdScope.css, dom.IdScope.by_id = checked_css, checked_by_id
    try:
        for page in pages:
            mk, asin = page.stem.split("-", 1)
            parse_product(page.read_bytes(), f"{marketplaces.get(mk).base_url}/dp/{asin}", mk)
    finally:
        dom.IdScope.css, dom.IdScope.by_id = css, by_id
    print(f"{count} scoped queries checked, {len(bad)} differ: {sorted(set(bad))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
