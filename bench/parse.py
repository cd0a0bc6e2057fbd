"""Parser speed on real captures and storefront pages: our full parse vs a bare `lxml.html.fromstring` of the same bytes.

Run: `.venv/bin/python bench/parse.py [--repeat N] [--kinds product,search,lists,offers] [--pages real,storefront]
[--profile FILE_SUBSTRING] [--check]`. Prints per page the best-of-N ms of our parser for the page's kind, of lxml's
parse alone, their ratio, and per group the medians and the worst ratio. Ours and lxml's runs alternate, so a
neighbour's burst of load hits both; every page is parsed once by both before any is timed, and each timed run
follows an untimed run of the same parser (the steady state of a crawl's parser process, see main and
_best_pair). Real pages are read from ../shared/realpages/<kind> (the captures are not in
the repo) with their URLs from its LABELS.json; storefront pages from fixtures/pages/<kind> with their goldens' URLs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html

from crawler import marketplaces
from fixtures import save_pages
from spiders.parsers.lists import parse_list
from spiders.parsers.offers import parse_offers
from spiders.parsers.product import parse_product
from spiders.parsers.search import parse_search

REALPAGES = ROOT.parent / "shared" / "realpages"
KINDS = ("product", "search", "lists", "offers")
PARSERS: dict[str, Callable[..., Any]] = {
    "product": parse_product, "search": parse_search, "lists": parse_list, "offers": parse_offers,
}
_LABEL_KINDS = {"product": "product", "search": "search", "bestsellers": "lists", "offers": "offers"}


class Page:
    def __init__(self, group: str, kind: str, name: str, data: bytes, url: str, market: str) -> None:
        self.group, self.kind, self.name, self.data, self.url, self.market = group, kind, name, data, url, market

    def parse(self) -> Any:
        return PARSERS[self.kind](self.data, self.url, self.market)


def real_pages(kinds: tuple[str, ...]) -> list[Page]:
    labels = REALPAGES / "LABELS.json"
    if not labels.exists():
        return []
    out = []
    for entry in json.loads(labels.read_text(encoding="utf-8")):
        kind = _LABEL_KINDS.get(entry["kind"])
        if kind in kinds:
            url = f"https://{marketplaces.get(entry['marketplace']).host}{entry['route']}"
            path = REALPAGES / entry["file"]
            out.append(Page("real", kind, path.stem, path.read_bytes(), url, entry["marketplace"]))
    return sorted(out, key=lambda p: (KINDS.index(p.kind), p.name))


def storefront_pages(kinds: tuple[str, ...]) -> list[Page]:
    out = []
    for kind in kinds:
        for path in sorted((save_pages.PAGES / kind).glob("*.html*")):
            golden = save_pages.EXPECTED / kind / f"{save_pages.page_stem(path)}.json"
            if not golden.exists():
                continue
            src = json.loads(golden.read_text(encoding="utf-8"))["source"]
            out.append(Page("storefront", kind, save_pages.page_stem(path), save_pages.read_page(path), src["url"],
                            src["marketplace"]))
    return out


def _best_pair(ours: Callable[[], Any], raw: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The fastest of `repeat` runs of each, run in turns: on a shared machine the slower runs measure the neighbours."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((ours, raw)):
            # an untimed run first: each is timed after a run of its own, as in a process that only parses
            # (right after the other's, lexbor or libxml2 meets the heap the other left: up to +15% here)
            fn()
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], (time.perf_counter() - t0) * 1000)
    return best[0], best[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--kinds", default=",".join(KINDS), help="page kinds to run (default: all)")
    ap.add_argument("--pages", default="real,storefront", help="page groups: real, storefront (default: both)")
    ap.add_argument("--profile", help="cProfile the parse of the first page whose name contains this")
    ap.add_argument("--check", action="store_true", help="check every IdScope answer against a plain css walk")
    args = ap.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    groups = args.pages.split(",")
    pages = (real_pages(kinds) if "real" in groups else []) + \
        (storefront_pages(kinds) if "storefront" in groups else [])
    if not pages:
        print(f"no pages (real captures are read from {REALPAGES})")
        return 1
    if args.check:
        return _check([p for p in pages if p.kind == "product"])
    if args.profile:
        import cProfile
        import pstats
        page = next(p for p in pages if args.profile in p.name)
        cProfile.runctx("for _ in range(5): page.parse()", globals(), {"page": page}, "/tmp/parse.prof")
        pstats.Stats("/tmp/parse.prof").sort_stats("cumulative").print_stats(25)
        return 0
    # One untimed parse of every page by both first: the C allocator's state after the first big trees
    # (glibc raises its mmap threshold once one is freed) is what a crawl's parser runs in; timed cold,
    # the first page measured pays for page faults the rest never see (up to 1.3x on a small page).
    for page in pages:
        page.parse()
        lxml.html.fromstring(page.data)
    rows: dict[tuple[str, str], list[tuple[str, int, float, float]]] = {}
    for page in pages:
        ours, raw = _best_pair(page.parse, lambda d=page.data: lxml.html.fromstring(d), args.repeat)
        rows.setdefault((page.group, page.kind), []).append((page.name, len(page.data) // 1024, ours, raw))
    for (group, kind), table in rows.items():
        print(f"\n{group} {kind} pages")
        print(f"{'page':44} {'KB':>6} {'ours ms':>8} {'lxml ms':>8} {'ratio':>6}")
        for name, kb, ours, raw in table:
            print(f"{name[:44]:44} {kb:6} {ours:8.2f} {raw:8.2f} {ours / raw:6.2f}")
        ours_med = statistics.median(r[2] for r in table)
        raw_med = statistics.median(r[3] for r in table)
        ratios = [(r[2] / r[3], r[0]) for r in table]
        print(f"{'median':44} {'':6} {ours_med:8.2f} {raw_med:8.2f} {ours_med / raw_med:6.2f}")
        worst = max(ratios)
        print(f"{group} {kind}: median ratio {statistics.median(r for r, _ in ratios):.2f}, worst {worst[0]:.2f} "
              f"({worst[1]}), {sum(r >= 1 for r, _ in ratios)} of {len(ratios)} pages slower than lxml")
    real = rows.get(("real", "product"))
    if not real:
        return 0
    # the parsers issue's goal: a full product parse of a real page, at most 20 ms median, never slower than lxml
    met = statistics.median(r[2] for r in real) <= 20 and all(r[2] < r[3] for r in real)
    print(f"goal (real product pages: <= 20 ms median, never slower than lxml): {'OK' if met else 'MISSED'}")
    return 0 if met else 1


def _check(pages: list[Page]) -> int:
    """Parse every product page with IdScope.css / by_id compared, query by query, to the node's own css walk."""
    from spiders.parsers import dom

    bad: list[str] = []
    count = 0
    css, by_id = dom.IdScope.css, dom.IdScope.by_id

    def same(got: list, query: str, ref: list) -> None:
        nonlocal count
        count += 1
        # lexbor lists a node that two parts of a list match twice; the scope may list it once
        if list(dict.fromkeys(n.mem_id for n in got)) != list(dict.fromkeys(n.mem_id for n in ref)):
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
            page.parse()
    finally:
        dom.IdScope.css, dom.IdScope.by_id = css, by_id
    print(f"{count} scoped queries checked on {len(pages)} product pages, {len(bad)} differ: {sorted(set(bad))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
