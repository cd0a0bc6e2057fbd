"""Competitor price monitors: moves of N %, crossing the own price, the week's trend."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crawler.records import Money
from monitors import prices
from monitors.base import Severity
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    OWN,
    check_module,
    history,
    product,
    settings,
    summary,
    usd,
    with_params,
)


def comp(*amounts):
    """Competitor readings (None = blocked) with no own product read."""
    return history({COMP: [product(COMP, BLOCKED) if a is None else product(COMP, price=usd(a)) for a in amounts]})


def against_own(before, after, own="19.99"):
    return history({COMP: [product(COMP, price=usd(before)), product(COMP, price=usd(after))],
                    OWN: [product(), product(price=usd(own))]})


CASES = [
    pytest.param(comp("20.00"), {}, [], {}, id="first-run"),
    pytest.param(comp("20.00", "21.00"), {}, [("prices.changed", "")],
                 {"prices.changed": {"before": Decimal("20.00"), "after": Decimal("21.00"), "percent": Decimal("5.0")}},
                 id="exactly-threshold"),
    pytest.param(comp("20.00", "20.98"), {}, [], {}, id="under-threshold"),
    pytest.param(comp("20.00", "18.00"), {}, [("prices.changed", "")], {"prices.changed": {"percent": Decimal("-10.0")}},
                 id="fell-over-threshold"),
    pytest.param(comp("20.00", "21.00"), {"price_change_percent": Decimal("5.1")}, [], {}, id="threshold-configured"),
    pytest.param(comp("20.00", None), {}, [], {}, id="blocked-now"),
    pytest.param(comp("20.00", None, "22.00"), {}, [("prices.changed", "")], {"prices.changed": {"before": Decimal("20.00")}},
                 id="compared-with-last-ok"),
    pytest.param(history({COMP: [product(COMP, price=usd("20")), product(COMP, price=Money(Decimal(30), "EUR"))]}),
                 {}, [], {}, id="currency-changed"),
    pytest.param(history({COMP: [product(COMP, price=usd("20")), product(COMP, price=None)]}), {}, [], {},
                 id="price-missing"),
    pytest.param(against_own("20.00", "19.98"), {}, [("prices.crossed_below", "")],
                 {"prices.crossed_below": {"own_asin": OWN, "own_price": Decimal("19.99")}}, id="crossed-below-small-move"),
    pytest.param(against_own("19.98", "20.00"), {}, [("prices.crossed_above", "")], {}, id="crossed-above"),
    pytest.param(against_own("20.00", "19.99"), {}, [], {}, id="equal-to-own-not-crossed"),
    pytest.param(against_own("25.00", "21.00"), {}, [("prices.changed", "")], {}, id="big-move-no-cross"),
    pytest.param(comp("20", "22", "20", "22"), {}, [("value.flapping", "flapping")],
                 {"value.flapping": {"changes": 3}}, id="flapping"),
    pytest.param(comp("20", "22", "24", "26"), {}, [("prices.changed", "")], {}, id="steady-rise-not-flapping"),
    pytest.param(history({"B0OTHER001": [product("B0OTHER001", price=usd(p)) for p in ("10", "20")]}), {}, [], {},
                 id="not-a-competitor"),
    pytest.param(comp("20", "20", "20", "20", "20", "21", "21.50", "22"), {}, [("prices.week_trend", "7d")],
                 {"prices.week_trend": {"percent": Decimal("10.0"), "low": Decimal(20), "high": Decimal(22)}},
                 id="week-trend"),
    pytest.param(comp("20", "20", "20", "20", "20", "21", "21.50", "20.99"), {}, [], {}, id="week-trend-under"),
    pytest.param(comp("20", "20", "20", "21", "21.5", "22"), {}, [], {}, id="less-than-a-week-of-history"),
    pytest.param(comp(None, "20", "20", "20", "20", "20", "21", "22"), {}, [], {}, id="week-old-reading-blocked"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_prices(h, overrides, expected, params):
    alerts = check_module(prices, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_crossing_below_is_a_warning():
    (alert,) = check_module(prices, against_own("20.00", "19.00"), settings())
    assert alert.severity is Severity.WARNING and alert.event
