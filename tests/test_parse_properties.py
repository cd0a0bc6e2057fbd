"""Property tests: damaged real pages never crash the product parser and never yield a wrong value.

Mutations of the real captures (elements removed, text changed away from the golden values, the document cut
at a random point) must leave every golden field at its golden value or empty: a parser that cannot read a
field says None, it does not guess. Pages are read and parsed once per session; few examples keep this fast.
"""
from __future__ import annotations

import json
import re
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from crawler.marketplaces import get as get_marketplace
from crawler.records import Outcome, to_jsonable
from spiders.parsers.product import parse_product
from tests.conftest import GOLDEN_REALPAGES, REALPAGES, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "product"
STEMS = sorted(p.stem for p in GOLDEN.glob("*.json") if (REALPAGES / "product" / f"{p.stem}.html").exists())
pytestmark = pytest.mark.skipif(not STEMS, reason="real Amazon captures not found in ../shared/realpages")
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# The buy-box containers of every era: with them gone, nothing may still claim a price or an owner.
BUYBOX_SELECTORS = (
    "#corePriceDisplay_desktop_feature_div", "#corePrice_feature_div", "#corePrice_desktop", "[id^=priceblock_]",
    "#tabular-buybox", "#merchant-info", "#merchantInfoFeature_feature_div", "#fulfillerInfoFeature_feature_div",
    "#shipsFromSoldBy_feature_div", "#kindle-price", "#price_inside_buybox", "#newBuyBoxPrice", "[id$=printSoldBy]",
    "#mediaNoAccordion", "#buyNewSection",
)


@cache
def _page(stem: str) -> tuple[str, str, str, dict]:
    entry = next((e for e in realpages_labels() if e["file"] == f"product/{stem}.html"), None)
    mk = entry["marketplace"] if entry else stem.split("-", 1)[0]
    url = f"https://{get_marketplace(mk).host}/dp/{stem.split('-', 1)[1]}"
    html = (REALPAGES / "product" / f"{stem}.html").read_text(encoding="utf-8")
    return html, url, mk, json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"))


def _golden_strings(golden: dict) -> list[str]:
    """Text a mutation must not touch: every golden scalar as printed (names, numbers' digits)."""
    out = []
    for key in ("title", "brand", "buybox_seller", "ships_from"):
        if golden.get(key):
            out.append(golden[key][:15])
    for key in ("review_count", "other_sellers_count"):
        if golden.get(key) is not None:
            out.append(str(golden[key])[-3:])
    for key in ("price", "list_price"):
        if golden.get(key):
            out.append(golden[key]["amount"].split(".")[0][-3:])
    if golden.get("rating"):
        out.append(golden["rating"].replace(".", ""))
    out += [t[:15] for key in ("bullets", "breadcrumbs") for t in golden.get(key) or ()]
    out += [part.strip()[:15] for r in golden.get("bsr") or () for part in r["category"].split(">")]
    out += [(r[k] or "")[:15] for r in golden.get("top_reviews") or () for k in ("title", "date")]
    return [t for t in out if t]


def _assert_golden_or_empty(got: dict, golden: dict, where: str) -> None:
    for key, want in golden.items():
        if key in ("outcome", "reason", "asin"):
            continue
        value = got[key]
        if value in (None, [], {}, ""):
            continue
        if key == "buybox_state" and want != "owned":
            # a state without an offer is read from which notice is shown; removing one notice may leave another
            # (e.g. "select a size" gone, "add to cart to see price" left), but never an owned buy box
            assert value != "owned", f"{where}: buy box owned, golden {want!r}"
        elif key == "top_reviews":  # reviews may go, or lose fields; a field present is the golden one
            by_id = {r["id"]: r for r in want}
            for review in value:
                ref = by_id.get(review["id"])
                assert ref is not None, f"{where}: unknown review {review['id']}"
                assert all(v in (None, False) or v == ref[k] for k, v in review.items()), f"{where}: {review!r}"
        elif isinstance(want, list):  # a list may lose items, never gain or change one
            assert all(item in want for item in value), f"{where}: {key} {value!r} not within {want!r}"
        elif isinstance(want, dict) and key == "rating_histogram":
            assert all(want.get(k) == v for k, v in value.items()), f"{where}: {key} {value!r} vs {want!r}"
        else:
            assert value == want, f"{where}: {key} = {value!r}, golden {want!r}"


def _parse(html: str, stem: str) -> dict:
    _, url, mk, _ = _page(stem)
    snap = parse_product(html, url, mk)
    assert snap.outcome in (Outcome.OK, Outcome.PARSE_INCOMPLETE, Outcome.REDIRECTED), snap.reason
    return to_jsonable(snap)


@SETTINGS
@given(stem=st.sampled_from(STEMS or ["none"]), frac=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_anywhere(stem: str, frac: float) -> None:
    html, *_, golden = _page(stem)
    cut = html[: int(len(html) * frac)]
    got = _parse(cut, stem) if cut.strip() else None
    if got is None:
        return
    if len(cut) < len(html) - 8192:
        assert got["outcome"] == "parse_incomplete"
    _assert_golden_or_empty(got, golden, f"{stem} cut at {len(cut)}")


@SETTINGS
@given(stem=st.sampled_from(STEMS or ["none"]), data=st.data())
def test_elements_removed(stem: str, data: st.DataObject) -> None:
    html, *_, golden = _page(stem)
    ids = sorted(set(re.findall(r'<(?:div|span|table|ul|li|form|a|i|input|tr)\b[^>]*\sid="([A-Za-z][\w-]*)"', html)))
    doomed = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True), label="removed ids")
    tree = LexborHTMLParser(html)
    for ident in doomed:
        for node in tree.css(f'[id="{ident}"]'):
            node.decompose()
    got = _parse(tree.html or "", stem)
    _assert_golden_or_empty(got, golden, f"{stem} without {doomed}")


@SETTINGS
@given(stem=st.sampled_from(STEMS or ["none"]), data=st.data())
def test_text_changed_elsewhere(stem: str, data: st.DataObject) -> None:
    html, *_, golden = _page(stem)
    protected = _golden_strings(golden)
    spans = [m for m in re.finditer(r">([^<>{}();=\n]{4,80})<", html)
             # real words only: turning layout whitespace into words would add text inside a golden element
             if re.search(r"[^\W\d_]{3}", m.group(1)) and not re.search(r"\d", m.group(1))
             and not any(p and p in m.group(1) for p in protected)]
    picks = data.draw(st.lists(st.integers(0, len(spans) - 1), min_size=1, max_size=20, unique=True), label="texts")
    out, last = [], 0
    for i in sorted(picks):
        m = spans[i]
        out.append(html[last:m.start(1)])
        out.append("lorem ipsum")
        last = m.end(1)
    out.append(html[last:])
    got = _parse("".join(out), stem)
    _assert_golden_or_empty(got, golden, f"{stem} with {len(picks)} texts changed")


@pytest.mark.parametrize("stem", STEMS or ["none"])
def test_without_buy_box_containers_nothing_claims_the_buy_box(stem: str) -> None:
    html, *_, golden = _page(stem)
    tree = LexborHTMLParser(html)
    for sel in BUYBOX_SELECTORS:
        for node in tree.css(sel):
            node.decompose()
    got = _parse(tree.html or "", stem)
    assert (got["price"], got["buybox_seller"], got["ships_from"]) == (None, None, None)
    assert got["list_price"] is None
    _assert_golden_or_empty(got, golden, f"{stem} without its buy box")
