"""Coupon, deal and price-floor monitors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crawler.records import Coupon, Money
from monitors import promotions
from monitors.base import Severity
from monitors.promotions import effective_price
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    OWN2,
    check_module,
    coupon,
    history,
    own_series,
    product,
    settings,
    summary,
    usd,
    with_params,
)

TEN = coupon("10", text="Save 10%")
TWENTY = coupon("20", text="Save 20%")


def comp(**fields):
    return product(COMP, **fields)


CASES = [
    pytest.param(own_series(product(coupon=TEN)), {}, [], {}, id="first-run"),
    pytest.param(own_series(product(), product(coupon=TEN)), {}, [("promotions.coupon_appeared", "")],
                 {"promotions.coupon_appeared": {"own": True, "after": "Save 10%", "percent": Decimal(10)}},
                 id="own-coupon-appeared"),
    pytest.param(own_series(product(coupon=TEN), product(coupon=TWENTY)), {}, [("promotions.coupon_changed", "")],
                 {"promotions.coupon_changed": {"before": "Save 10%", "after": "Save 20%"}}, id="coupon-changed"),
    pytest.param(own_series(product(coupon=TEN), product(coupon=coupon("10", text="10% sparen"))), {}, [], {},
                 id="same-coupon-other-wording"),
    pytest.param(history({COMP: [comp(coupon=TEN), comp()]}), {}, [("promotions.coupon_disappeared", "")],
                 {"promotions.coupon_disappeared": {"own": False}}, id="competitor-coupon-ended"),
    pytest.param(own_series(product(coupon=TEN), product(outcome=BLOCKED)), {}, [], {}, id="blocked-not-ended"),
    pytest.param(own_series(product(coupon=TEN), product(outcome=BLOCKED), product(coupon=TEN)), {}, [], {},
                 id="unchanged-across-blocked"),
    pytest.param(history({"B0OTHER001": [product("B0OTHER001"), product("B0OTHER001", coupon=TEN)]}), {}, [], {},
                 id="unwatched-asin"),
    pytest.param(history({COMP: [comp(), comp(deal_badge="Lightning Deal")]}), {}, [("promotions.deal_appeared", "")],
                 {}, id="competitor-deal-started"),
    pytest.param(history({COMP: [comp(deal_badge="Limited time deal"), comp(deal_badge="Lightning Deal")]}), {},
                 [("promotions.deal_changed", "")], {}, id="deal-changed"),
    pytest.param(history({COMP: [comp(coupon=c) for c in (TEN, None, TEN, None)]}), {},
                 [("value.flapping", "flapping")], {"value.flapping": {"changes": 3}}, id="coupon-flapping"),
    # Own floor is 15.00; the price 19.99.
    pytest.param(own_series(product(coupon=TWENTY)), {}, [], {}, id="coupon-above-floor"),
    pytest.param(own_series(product(price=usd("18.75"), coupon=TWENTY)), {}, [], {}, id="effective-exactly-floor"),
    pytest.param(own_series(product(price=usd("18.74"), coupon=TWENTY, deal_badge="Deal")), {},
                 [("promotions.stacked_below_floor", "")],
                 {"promotions.stacked_below_floor": {"effective": Decimal("14.99"), "floor": Decimal(15)}},
                 id="stacked-below-floor"),
    pytest.param(own_series(product(price=usd("14.99"))), {}, [("promotions.below_floor", "")], {},
                 id="price-below-floor-no-coupon"),
    pytest.param(own_series(product(price=usd("17.00"), coupon=coupon(amount="3.00"))), {},
                 [("promotions.below_floor", "")], {"promotions.below_floor": {"effective": Decimal("14.00")}},
                 id="amount-coupon-below-floor"),
    pytest.param(own_series(product(price=usd("10"), outcome=BLOCKED)), {}, [], {}, id="floor-blocked-page"),
    pytest.param(history({OWN2: [product(OWN2, price=usd("1"))]}), {}, [], {}, id="no-floor-configured"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_promotions(h, overrides, expected, params):
    alerts = check_module(promotions, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_own_coupon_ending_is_a_warning():
    (alert,) = check_module(promotions, own_series(product(coupon=TEN), product()), settings())
    assert alert.severity is Severity.WARNING and alert.event


@pytest.mark.parametrize(("c", "expected"), [
    (None, Decimal("20.00")), (Coupon("x", percent=Decimal(15)), Decimal("17.00")),
    (Coupon("x", amount=Money(Decimal(5), "USD")), Decimal("15.00")),
    (Coupon("x", amount=Money(Decimal(5), "EUR")), None), (Coupon("x"), None),
])
def test_effective_price(c, expected):
    assert effective_price(usd("20.00"), c) == expected
