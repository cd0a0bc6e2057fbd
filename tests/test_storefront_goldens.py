"""Golden pairs for every storefront page kind: saved pages (fixtures/pages/<kind>/) read by the parsers
and compared with expected records (fixtures/expected/<kind>/) built from the storefront's catalog.

`python -m fixtures.save_pages` saves the pages and writes the goldens from the catalog's ground truth;
`pytest --update-goldens` rewrites a golden's record from the parser (same keys) for a reviewed change,
and `test_goldens_agree_with_the_catalog` then shows any value that left the ground truth.
A golden's keys are what is compared (a dict compares its keys, a list of dicts each item's keys).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crawler.records import Outcome, to_jsonable
from fixtures import save_pages
from spiders.parsers.blocks import detect_block
from spiders.parsers.lists import parse_list
from spiders.parsers.offers import parse_offers
from spiders.parsers.product import parse_product
from spiders.parsers.search import parse_search

PARSERS: dict[str, Callable[..., Any]] = {
    "product": parse_product, "offers": parse_offers, "search": parse_search, "lists": parse_list,
}
# Pages where the storefront and the parser disagree today, each with who should change what. Strict:
# once fixed, the xfail fails and the entry goes.
KNOWN_GAPS: dict[str, str] = {}


def pages(kind: str) -> list[Path]:
    return sorted((save_pages.PAGES / kind).glob("*.html*"))


def params(kind: str) -> list[Any]:
    return [pytest.param(p, id=save_pages.page_stem(p), marks=[pytest.mark.xfail(strict=True, reason=gap)]
                         if (gap := KNOWN_GAPS.get(save_pages.page_stem(p))) else [])
            for p in pages(kind)]


def load(kind: str, page: Path) -> tuple[Path, dict[str, Any], bytes]:
    golden = save_pages.EXPECTED / kind / f"{save_pages.page_stem(page)}.json"
    if not golden.exists():
        pytest.fail(f"no golden {golden} for {page}: run python -m fixtures.save_pages")
    return golden, json.loads(golden.read_text(encoding="utf-8")), save_pages.read_page(page)


def compare(golden: Path, data: dict[str, Any], record: Any, update: bool) -> None:
    got = save_pages.project(to_jsonable(record), data["record"])
    if update and golden.stem not in KNOWN_GAPS:  # a known gap keeps its ground truth
        if got != data["record"]:
            save_pages.write_json(golden, {**data, "record": got})
        return
    diff = save_pages.differences(got, data["record"])
    assert not diff, f"{golden.name} ({data['source']['what']}):\n  " + "\n  ".join(diff[:15])


def check_kind(kind: str, page: Path, update: bool) -> Any:
    golden, data, html = load(kind, page)
    src = data["source"]
    record = PARSERS[kind](html, src["url"], src["marketplace"], status=src["status"])
    # bytes from the wire and decoded text read the same
    assert PARSERS[kind](html.decode("utf-8"), src["url"], src["marketplace"], status=src["status"]) == record
    compare(golden, data, record, update)
    return record


@pytest.mark.parametrize("page", params("product"))
def test_product_page(page: Path, update_goldens: bool) -> None:
    snap = check_kind("product", page, update_goldens)
    if snap.outcome is not Outcome.OK:
        # a page that is not ok never holds a value the catalog contradicts (a wrong value is worse than none)
        src = json.loads((save_pages.EXPECTED / "product" / f"{save_pages.page_stem(page)}.json").read_text("utf-8"))
        from fixtures.storefront import catalog

        truth = catalog.load(src["source"]["scenario"]).products.get(snap.asin)
        if truth is None:
            assert snap.title is None and snap.price is None
        else:
            assert snap.price is None or str(snap.price.amount) == truth.price
            assert snap.buybox_seller_id in (None, truth.seller_id)


@pytest.mark.parametrize("page", params("offers"))
def test_offers_page(page: Path, update_goldens: bool) -> None:
    check_kind("offers", page, update_goldens)


@pytest.mark.parametrize("page", params("search"))
def test_search_page(page: Path, update_goldens: bool) -> None:
    check_kind("search", page, update_goldens)


@pytest.mark.parametrize("page", params("lists"))
def test_list_page(page: Path, update_goldens: bool) -> None:
    check_kind("lists", page, update_goldens)


@pytest.mark.parametrize("page", params("blocked"))
def test_blocked_page(page: Path, update_goldens: bool) -> None:
    golden, data, html = load("blocked", page)
    src = data["source"]
    found = detect_block(html, src["status"], src["url"])
    assert found is not None, f"{page.name} ({src['what']}) was not caught"
    outcome, reason = found
    assert reason
    compare(golden, data, {"outcome": outcome}, update_goldens)
    # the page kind's own parser says the same and carries no data
    path = src["url"].split("/", 3)[3]
    kind = "product" if path.startswith("dp/") else "search" if path.startswith("s?") else "lists"
    record = PARSERS[kind](html, src["url"], src["marketplace"], status=src["status"])
    assert record.outcome is outcome
    values = to_jsonable(record)
    for name in ("title", "price", "buybox_seller", "rating", "results", "entries", "offers", "name"):
        assert values.get(name) in (None, [], ()), f"{page.name}: a blocked page yielded {name}"


def test_every_page_kind_has_goldens_and_the_cases_that_matter() -> None:
    for kind in save_pages.KINDS:
        assert pages(kind), f"no saved pages under fixtures/pages/{kind}: run python -m fixtures.save_pages"
    sources = [json.loads(p.read_text("utf-8"))["source"] for k in save_pages.KINDS
               for p in (save_pages.EXPECTED / k).glob("*.json")]
    failures = {s["failure"] for s in sources}
    assert failures >= {"robot", "continue", "503", "404", "signin", "waf", "truncate", "drift", "empty"}
    assert {s["marketplace"] for s in sources} >= {"us", "uk", "de", "jp"}
    from fixtures.storefront import catalog

    layouts = {catalog.load(s["scenario"]).products[s["url"].rsplit("/", 1)[1]].layout for s in sources
               if "/dp/" in s["url"] and s["url"].rsplit("/", 1)[1] in catalog.load(s["scenario"]).products}
    assert layouts >= {"current", "split", "2022", "2019"}
    states = {json.loads(p.read_text("utf-8"))["record"].get("buybox_state")
              for p in (save_pages.EXPECTED / "product").glob("*.json")}
    assert states >= {"owned", "unavailable", "price_hidden", "choose_variation", "suppressed"}
    # every saved page has its golden and no golden is orphaned
    for kind in save_pages.KINDS:
        assert {save_pages.page_stem(p) for p in pages(kind)} == {p.stem for p in (save_pages.EXPECTED / kind).glob("*.json")}


def test_goldens_agree_with_the_catalog() -> None:
    """After a reviewed --update-goldens, this names every golden whose values left the ground truth."""
    assert save_pages.check_all() == []
