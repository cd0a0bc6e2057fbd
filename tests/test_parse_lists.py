"""Ranked-list parser: golden files for the real captures, their labels, and hand-made older layouts."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crawler.marketplaces import get as get_marketplace
from crawler.records import Money, Outcome, to_jsonable
from spiders.parsers.lists import parse_list
from tests.conftest import GOLDEN_REALPAGES, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "lists"
CASES = [e for e in realpages_labels() if e["file"].startswith("lists/")] or [
    pytest.param(None, marks=pytest.mark.skip(reason="real Amazon captures not found in ../shared/realpages"))
]


def _check_golden(path: Path, got: dict, update: bool) -> None:
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden {path} missing: run pytest --update-goldens and review it")
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", CASES, ids=lambda e: Path(e["file"]).stem if e else "none")
def test_real_list_page(entry, realpages: Path, update_goldens: bool) -> None:
    url = f"https://{get_marketplace(entry['marketplace']).host}{entry['route']}"
    page = parse_list((realpages / entry["file"]).read_bytes(), url)
    assert page.outcome is Outcome.OK, page.reason
    got = {(e.list, e.rank): e.asin for e in page.entries}
    assert len(got) == len(page.entries), "a (list, rank) pair appears twice"
    for row in entry["expected"]["rows"]:
        assert got.get((row.get("list"), row["rank"])) == row["asin"], row
    if not entry["expected"]["rows"]:
        assert page.entries == ()
    _check_golden(GOLDEN / f"{Path(entry['file']).stem}.json", to_jsonable(page), update_goldens)


def test_json_only_ranks_become_entries_with_rank_and_asin(realpages: Path) -> None:
    page = parse_list((realpages / "lists" / "us-bestsellers-amazon-devices.html").read_bytes(),
                      "https://www.amazon.com/Best-Sellers-Amazon-Devices-Accessories/zgbs/amazon-devices")
    assert [e.rank for e in page.entries] == list(range(1, 51))
    rendered, later = page.entries[:30], page.entries[30:]
    assert all(e.title and e.rating for e in rendered)
    assert all(e.title is None and e.price is None and e.rating is None for e in later)
    assert (page.kind, page.name, page.category) == (
        "bestsellers", "Best Sellers in Amazon Devices & Accessories", "Amazon Devices & Accessories")
    first = page.entries[0]
    assert (first.price, first.rating, first.review_count) == (Money(Decimal("24.99"), "USD"), Decimal("4.7"), 378703)


def test_empty_movers_list_is_ok(realpages: Path) -> None:
    page = parse_list((realpages / "lists" / "uk-movers-shakers-kitchen.html").read_bytes(),
                      "https://www.amazon.co.uk/gp/movers-and-shakers/kitchen")
    assert (page.outcome, page.kind, page.entries, page.category) == (
        Outcome.OK, "movers_and_shakers", (), None)


OLD_2020 = """<html><body><h1 id="zg_listTitle"><span class="category">Bestseller in Küche</span></h1>
<ol id="zg-ordered-list">{items}</ol></body></html>"""
OLD_ITEM = """<li class="zg-item-immersion"><span class="a-list-item"><div class="a-section aok-relative">
<div class="a-row"><span class="zg-badge-body"><span class="zg-badge-text">#{rank}</span></span></div>
<span class="aok-inline-block zg-item"><a class="a-link-normal" href="/Topf/dp/{asin}/ref=zg_bs_kitchen_{rank}">
<div class="p13n-sc-truncate" title="Kochtopf {rank} mit Deckel">Kochtopf {rank}…</div></a>
<div class="a-icon-row"><a class="a-link-normal" title="4,6 von 5 Sternen" href="/product-reviews/{asin}/">
<i class="a-icon a-icon-star a-star-4-5"><span class="a-icon-alt">4,6 von 5 Sternen</span></i></a>
<a class="a-size-small a-link-normal" href="/product-reviews/{asin}/">1.234</a></div>
<span class="a-size-base a-color-price"><span class="p13n-sc-price">24,99&nbsp;€</span></span></span></div></span></li>"""


def test_older_ordered_list_layout() -> None:
    items = "".join(OLD_ITEM.format(rank=r, asin=f"B00000000{r}") for r in (1, 2, 3))
    page = parse_list(OLD_2020.format(items=items), "https://www.amazon.de/gp/new-releases/kitchen")
    assert page.kind == "new_releases" and page.marketplace == "de"
    assert [(e.rank, e.asin) for e in page.entries] == [(1, "B000000001"), (2, "B000000002"), (3, "B000000003")]
    e = page.entries[0]
    assert (e.title, e.price, e.rating, e.review_count) == (
        "Kochtopf 1 mit Deckel", Money(Decimal("24.99"), "EUR"), Decimal("4.6"), 1234)


def test_no_badges_and_no_empty_notice_is_incomplete() -> None:
    page = parse_list("<html><body><h1>Best Sellers in Toys</h1><div id='zg'></div></body></html>",
                      "https://www.amazon.com/gp/bestsellers/toys")
    assert page.outcome is Outcome.PARSE_INCOMPLETE and "entries" in page.missing


@pytest.mark.parametrize("url, kind", [
    ("https://www.amazon.com/gp/bestsellers/electronics", "bestsellers"),
    ("https://www.amazon.com/Best-Sellers-Toys-Games/zgbs/toys-and-games", "bestsellers"),
    ("https://www.amazon.com/gp/new-releases/books", "new_releases"),
    ("https://www.amazon.co.uk/gp/movers-and-shakers/kitchen", "movers_and_shakers"),
])
def test_kind_from_url(url: str, kind: str) -> None:
    assert parse_list("<html><body></body></html>", url).kind == kind


def test_robot_check_is_blocked(realpages: Path) -> None:
    page = parse_list((realpages / "blocked" / "us-continue-1.html").read_bytes(), "https://www.amazon.com/gp/bestsellers")
    assert page.outcome is Outcome.BLOCKED and page.entries == ()


def test_sections_without_carousels_are_told_apart_by_heading() -> None:
    section = ('<div class="zg-section"><h2>{head}</h2>' + "".join(
        '<div class="card"><span class="zg-bdg-text">#{r}</span><a href="/p/dp/{a}{r}">Item {r}</a></div>'
        .replace("{r}", str(r)) for r in (1, 2)) + "</div>")
    html = "<html><body><h1>Bestsellers</h1>" + section.format(head="Best Sellers in Toys", a="B00000000") + \
        section.format(head="Best Sellers in Books", a="B10000000") + "</body></html>"
    page = parse_list(html, "https://www.amazon.com/gp/bestsellers")
    assert [(e.list, e.rank, e.asin) for e in page.entries] == [
        ("Best Sellers in Toys", 1, "B000000001"), ("Best Sellers in Toys", 2, "B000000002"),
        ("Best Sellers in Books", 1, "B100000001"), ("Best Sellers in Books", 2, "B100000002")]
