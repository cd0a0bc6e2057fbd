"""Seller monitors: unauthorised sellers, lookalikes, seller count, undercutting."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crawler.records import OffersPage, Outcome
from monitors import sellers
from monitors.sellers import looks_like
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    ME,
    OWN,
    OWN_NAME,
    check_module,
    history,
    offer,
    own_series,
    product,
    run,
    settings,
    summary,
    usd,
    with_params,
)

MINE = offer(ME, "19.99", seller=OWN_NAME)


def with_offers_page(offers, outcome=Outcome.OK, product_offers=()):
    h = own_series(product(offers=tuple(product_offers)))
    h.add_offers(run(0), OffersPage(OWN, "us", f"https://www.amazon.com/dp/{OWN}/aod", outcome, offers=tuple(offers)))
    return h


CASES = [
    pytest.param(own_series(product()), {}, [], {}, id="no-offers"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "21.00", condition="New", fulfilled_by_amazon=False,
                                                            seller_rating=Decimal(97), seller_rating_count=120)))),
                 {}, [("sellers.new", "AX1")],
                 {"sellers.new": {"seller": "Shop AX1", "price": Decimal("21.00"), "condition": "New",
                                  "fba": False, "seller_rating": Decimal(97), "seller_rating_count": 120}},
                 id="unauthorised-seller"),
    pytest.param(own_series(product(offers=(offer("AX1"),))), {"authorised_seller_ids": frozenset({"AX1"})}, [], {},
                 id="authorised-reseller"),
    pytest.param(own_series(product(offers=(MINE,))), {}, [], {}, id="own-offer"),
    pytest.param(own_series(product(offers=(offer("AX1"), offer("AX1", "25.00")))), {}, [("sellers.new", "AX1")], {},
                 id="seller-with-two-offers-once"),
    pytest.param(own_series(product(offers=(offer(None, seller=None),))), {}, [], {}, id="anonymous-offer-skipped"),
    pytest.param(own_series(product(offers=(offer("AX1"),), outcome=BLOCKED)), {}, [], {}, id="blocked-page"),
    pytest.param(own_series(product(offers=(offer("AX1"),), buybox_seller="Cheap Co", buybox_seller_id="AX9",
                                    missing=("offers",))), {}, [], {}, id="offers-panel-unread-sellers-unknown"),
    pytest.param(with_offers_page([MINE, offer("AX1", "18.99")], product_offers=()), {},
                 [("sellers.new", "AX1"), ("sellers.undercut", "AX1")], {}, id="offers-read-from-the-panel"),
    pytest.param(history({COMP: [product(COMP, offers=(offer("AX1"),))]}), {}, [], {}, id="competitor-listing"),
    pytest.param(own_series(product(buybox_seller="Cheap Co", buybox_seller_id="AX9")), {}, [("sellers.new", "AX9")],
                 {}, id="buybox-holder-counts-as-seller"),
    pytest.param(own_series(product(offers=(offer("AFAKE", seller="Acme Home St0re"),))), {},
                 [("sellers.lookalike", "AFAKE")], {"sellers.lookalike": {"imitates": OWN_NAME}}, id="lookalike-digit"),
    pytest.param(own_series(product(offers=(offer("AFAKE", seller="ACME-HOME-STORES"),))), {},
                 [("sellers.lookalike", "AFAKE")], {}, id="lookalike-one-edit"),
    pytest.param(own_series(product(offers=(offer(ME, seller="Acme Home Store"),))), {}, [], {},
                 id="own-name-own-id"),
    pytest.param(own_series(product(offers=(offer(None, seller="Acme Home Store"),))), {}, [], {},
                 id="own-name-without-id"),
    pytest.param(own_series(product(other_sellers_count=2), product(other_sellers_count=3)), {},
                 [("sellers.count_rose", "")], {"sellers.count_rose": {"before": 2, "after": 3}}, id="count-rose"),
    pytest.param(own_series(product(other_sellers_count=3), product(other_sellers_count=3)), {}, [], {},
                 id="count-same"),
    pytest.param(own_series(product(other_sellers_count=3), product(other_sellers_count=2)), {}, [], {},
                 id="count-fell"),
    pytest.param(own_series(product(other_sellers_count=None), product(other_sellers_count=3)), {}, [], {},
                 id="count-missing-before"),
    pytest.param(own_series(product(other_sellers_count=1), product(outcome=BLOCKED)), {}, [], {},
                 id="count-blocked-now"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "18.99")))), {},
                 [("sellers.new", "AX1"), ("sellers.undercut", "AX1")],
                 {"sellers.undercut": {"own_price": Decimal("19.99"), "difference": Decimal("1.00")}}, id="undercut"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "18.99"), offer("AX1", "17.99")))), {},
                 [("sellers.new", "AX1"), ("sellers.undercut", "AX1")],
                 {"sellers.undercut": {"landed": Decimal("17.99")}}, id="undercut-once-cheapest-offer"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "19.99")))), {}, [("sellers.new", "AX1")], {},
                 id="same-price-not-undercut"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "18.99", shipping=usd("2.00"))))), {},
                 [("sellers.new", "AX1")], {}, id="shipping-makes-it-dearer"),
    pytest.param(own_series(product(offers=(MINE, offer("AX1", "9.99", condition="Used - Good")))), {},
                 [("sellers.new", "AX1")], {}, id="used-offer-not-undercut"),
    pytest.param(with_offers_page([MINE, offer("AX2", "18.00")], product_offers=[offer("AX1")]), {},
                 [("sellers.new", "AX2"), ("sellers.undercut", "AX2")], {}, id="offers-panel-preferred"),
    pytest.param(with_offers_page([offer("AX2")], Outcome.BLOCKED, product_offers=[offer("AX1")]), {},
                 [("sellers.new", "AX1")], {}, id="blocked-panel-falls-back"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_sellers(h, overrides, expected, params):
    alerts = check_module(sellers, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


@pytest.mark.parametrize(("name", "imitates"), [
    ("Acme Home Store", True), ("acme  home   store", True), ("Acme Hоme Store", True),  # Cyrillic o
    ("AcmeHomeStore!", True), ("Acme Home Storage", False), ("Acme", False), ("Zeta Goods", False), (None, False),
])
def test_looks_like(name, imitates):
    assert (looks_like(name, (OWN_NAME,)) == OWN_NAME) is imitates
