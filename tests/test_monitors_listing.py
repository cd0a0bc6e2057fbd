"""Own-listing content, availability, not-found and redirect monitors."""
from __future__ import annotations

import pytest

from crawler.records import BuyboxState, Outcome
from monitors import listing
from monitors.settings import OwnProduct
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    NOT_FOUND,
    OWN,
    check_module,
    history,
    own_series,
    product,
    settings,
    summary,
    with_params,
)

IMG = "https://m.media-amazon.com/images/I/71abcDEF12L._AC_SX679_.jpg"
IMG_SMALL = "https://m.media-amazon.com/images/I/71abcDEF12L._AC_US40_.jpg"
IMG2 = "https://m.media-amazon.com/images/I/81zzz9999XL._AC_SX679_.jpg"
EXPECT = (OwnProduct(OWN, title="Acme Garlic Press", brand="Acme", main_image="71abcDEF12L", bullets_count=3,
                     category="Kitchen > Gadgets > Presses"),)
FULL = {"images": (IMG, IMG2), "bullets": ("a", "b", "c"), "breadcrumbs": ("Kitchen", "Gadgets", "Presses"),
        "has_aplus": True, "parent_asin": "B0PARENT01"}


def full(**fields):
    return product(**{**FULL, **fields})


CASES = [
    pytest.param(own_series(full()), {"own_products": EXPECT}, [], {}, id="as-expected"),
    pytest.param(own_series(full(title="Acme  Garlic Press")), {"own_products": EXPECT}, [], {},
                 id="title-whitespace-only"),
    pytest.param(own_series(full(images=(IMG_SMALL,))), {"own_products": EXPECT}, [], {}, id="image-size-variant"),
    pytest.param(own_series(full(title="Garlic Press by Cheap Co", brand="CheapCo", images=(IMG2,),
                                 bullets=("a",), breadcrumbs=("Tools",))),
                 {"own_products": EXPECT},
                 [("listing.not_as_expected", "")] * 5, {"listing.not_as_expected": {"field": "title"}},
                 id="everything-differs"),
    pytest.param(own_series(full(breadcrumbs=("Home", "Presses"))), {"own_products": (
        OwnProduct(OWN, category="Presses"),)}, [], {}, id="category-leaf-matches"),
    pytest.param(own_series(full(title=None, brand=None, images=(), bullets=(), breadcrumbs=())),
                 {"own_products": EXPECT}, [], {}, id="missing-fields-not-differences"),
    pytest.param(own_series(full(brand="Other", outcome=BLOCKED)), {"own_products": EXPECT}, [], {},
                 id="blocked-page"),
    pytest.param(own_series(full()), {}, [], {}, id="first-run-no-change"),
    pytest.param(own_series(full(), full(title="New title", has_aplus=False)), {},
                 [("listing.changed", ""), ("listing.changed", ""), ("listing.not_as_expected", "")],
                 {"listing.changed": {"field": "title", "before": "Acme Garlic Press", "after": "New title"}},
                 id="title-and-aplus-changed"),
    pytest.param(own_series(full(), full(images=(IMG2, IMG))), {}, [("listing.changed", "")],
                 {"listing.changed": {"field": "main_image"}}, id="main-image-swapped"),
    pytest.param(own_series(full(), full(images=(IMG,))), {}, [("listing.changed", "")],
                 {"listing.changed": {"field": "image_count", "before": 2, "after": 1}}, id="image-removed"),
    pytest.param(own_series(full(), full(bullets=("a", "b", "x"))), {}, [("listing.changed", "")],
                 {"listing.changed": {"after": ["a", "b", "x"]}}, id="bullets-changed"),
    pytest.param(own_series(full(), full(parent_asin="B0PARENT02")), {}, [("listing.changed", "")], {},
                 id="parent-changed"),
    pytest.param(own_series(full(), full(has_aplus=None, bullets=())), {}, [], {}, id="fields-missing-now"),
    pytest.param(own_series(full(), full(title="X", outcome=Outcome.PARSE_INCOMPLETE)), {}, [], {},
                 id="partial-page-ignored"),
    pytest.param(own_series(*(full(title=t) for t in "ABAB")), {"own_products": (OwnProduct(OWN),)},
                 [("value.flapping", "flapping")],
                 {"value.flapping": {"field": "title"}}, id="title-flapping"),
    pytest.param(own_series(full(buybox_state=BuyboxState.UNAVAILABLE, availability="Currently unavailable.")),
                 {}, [("listing.unavailable", "")], {"listing.unavailable": {"availability": "Currently unavailable."}},
                 id="unavailable"),
    pytest.param(own_series(full(in_stock=False)), {}, [("listing.unavailable", "")], {}, id="out-of-stock"),
    pytest.param(own_series(full(in_stock=None)), {}, [], {}, id="stock-unknown"),
    pytest.param(own_series(full(), product(outcome=NOT_FOUND)), {}, [], {}, id="not-found-once"),
    pytest.param(own_series(product(outcome=NOT_FOUND), product(outcome=NOT_FOUND)), {}, [("listing.gone", "")],
                 {"listing.gone": {"own": True}}, id="gone-two-runs"),
    pytest.param(own_series(product(outcome=NOT_FOUND), product(outcome=BLOCKED), product(outcome=NOT_FOUND)), {},
                 [], {}, id="not-found-broken-by-blocked"),
    pytest.param(history({COMP: [product(COMP, NOT_FOUND), product(COMP, NOT_FOUND)]}), {}, [("listing.gone", "")],
                 {"listing.gone": {"own": False}}, id="competitor-gone"),
    pytest.param(own_series(product(outcome=NOT_FOUND), product(outcome=NOT_FOUND), None), {}, [], {},
                 id="gone-but-not-fetched-now"),
    pytest.param(own_series(product(outcome=Outcome.REDIRECTED, redirected_to="https://www.amazon.com/dp/B0NEW00001")),
                 {}, [("listing.redirected", "")], {"listing.redirected": {"to": "https://www.amazon.com/dp/B0NEW00001"}},
                 id="redirected"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_listing(h, overrides, expected, params):
    alerts = check_module(listing, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_gone_since_first_not_found():
    h = own_series(product(), product(outcome=NOT_FOUND), product(outcome=NOT_FOUND), product(outcome=NOT_FOUND))
    (alert,) = listing.ListingGone().check(h, settings())
    assert alert.since == h.products[(OWN, "us")][1][0].at
