"""Best-seller list and BSR monitors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from monitors import bestsellers
from monitors.base import Severity
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    OWN,
    check_module,
    history,
    list_page,
    lists,
    own_series,
    product,
    rank,
    settings,
    summary,
    with_params,
)

BASE = ["B0A", "B0B", "B0C", "B0D", "B0E", "B0F", "B0G", "B0H"]


def top(*asins: str, fill: int = 30):
    """A list page: `asins` first, then fillers up to `fill` entries."""
    rest = [a for a in BASE if a not in asins] + [f"B0Z{i:02d}" for i in range(fill)]
    return [list_page([*asins, *rest][:fill])]


def moved(asin: str, before: int, after: int):
    others = [f"B0Z{i:02d}" for i in range(40)]
    a, b = list(others), list(others)
    a.insert(before - 1, asin)
    b.insert(after - 1, asin)
    return lists([[list_page(a)], [list_page(b)]])


CASES = [
    pytest.param(lists([top()]), {}, [], {}, id="first-run"),
    pytest.param(lists([top(), top()]), {}, [], {}, id="no-change"),
    pytest.param(lists([top(), top("B0A", "B0B", "B0X")]), {}, [("bestsellers.new_entrant", "B0X")],
                 {"bestsellers.new_entrant": {"rank": 3, "top_n": 5}}, id="new-entrant"),
    pytest.param(lists([top(), top("B0A", "B0B", "B0C", "B0D", "B0E", "B0X")]), {}, [], {}, id="just-below-top-n"),
    pytest.param(lists([top(), top("B0A", "B0B", "B0C", "B0G")]), {}, [("bestsellers.new_entrant", "B0G")],
                 {"bestsellers.new_entrant": {"rank": 4}}, id="climbed-into-top-n"),
    pytest.param(lists([top(), [list_page(["B0X"], outcome=BLOCKED)]]), {}, [], {}, id="blocked-now"),
    pytest.param(lists([top(), [list_page(["B0X"], outcome=BLOCKED)], top("B0X")]), {},
                 [("bestsellers.new_entrant", "B0X")], {}, id="compared-with-last-ok"),
    pytest.param(lists([top(), top("B0A", OWN)]), {}, [("bestsellers.own_entered", OWN)],
                 {"bestsellers.own_entered": {"rank": 2}}, id="own-entered"),
    pytest.param(lists([top("B0A", OWN), top()]), {}, [("bestsellers.new_entrant", "B0E"), ("bestsellers.own_left", OWN)],
                 {"bestsellers.own_left": {"before": 2, "rank": None}}, id="own-left"),
    pytest.param(lists([top(), top("B0X"), top("B0X"), top("B0X")]), {}, [("bestsellers.newcomer_stays", "B0X")],
                 {"bestsellers.newcomer_stays": {"runs": 3, "rank": 1}}, id="newcomer-stays-3"),
    pytest.param(lists([top(), top("B0X"), top("B0X")]), {}, [], {}, id="newcomer-2-runs"),
    pytest.param(lists([top(), top("B0X"), top("B0X"), top("B0X"), top("B0X")]), {}, [], {}, id="reported-once"),
    pytest.param(lists([top("B0X"), top("B0X"), top("B0X")]), {}, [], {}, id="there-from-the-start"),
    pytest.param(lists([top(), top("B0X"), top(), top("B0X")]), {}, [("bestsellers.new_entrant", "B0X")], {},
                 id="came-back-not-staying"),
    pytest.param(moved(COMP, 25, 15), {}, [("bestsellers.rank_moved", COMP)],
                 {"bestsellers.rank_moved": {"before": 25, "rank": 15, "places": 10}}, id="competitor-moved-10"),
    pytest.param(moved(COMP, 25, 16), {}, [], {}, id="competitor-moved-9"),
    pytest.param(moved("B0X", 25, 15), {}, [], {}, id="unwatched-outside-top-n"),
    pytest.param(moved("B0X", 12, 2), {}, [("bestsellers.new_entrant", "B0X"), ("bestsellers.rank_moved", "B0X")], {},
                 id="jumped-into-top-n"),
    pytest.param(own_series(product(bsr=rank(1000)), product(bsr=rank(1200))), {}, [("bestsellers.bsr_moved", "Kitchen")],
                 {"bestsellers.bsr_moved": {"before": 1000, "after": 1200, "percent": Decimal("20.0")}}, id="bsr-20pct"),
    pytest.param(own_series(product(bsr=rank(1000)), product(bsr=rank(1199))), {}, [], {}, id="bsr-under"),
    pytest.param(own_series(product(bsr=rank(1000)), product(bsr=rank(10, "Tools"))), {}, [], {}, id="bsr-other-category"),
    pytest.param(own_series(product(bsr=rank(1000)), product(outcome=BLOCKED)), {}, [], {}, id="bsr-blocked"),
    pytest.param(history({COMP: [product(COMP, bsr=rank(100)), product(COMP, bsr=rank(50))]}), {},
                 [("bestsellers.bsr_moved", "Kitchen")], {"bestsellers.bsr_moved": {"percent": Decimal("-50.0")}},
                 id="competitor-bsr"),
    pytest.param(history({"B0OTHER001": [product("B0OTHER001", bsr=rank(r)) for r in (100, 50)]}), {}, [], {},
                 id="bsr-unwatched"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_bestsellers(h, overrides, expected, params):
    alerts = check_module(bestsellers, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_own_leaving_is_a_warning():
    alerts = check_module(bestsellers, lists([top("B0A", OWN), top()]), settings())
    (alert,) = [a for a in alerts if a.discriminator == OWN]
    assert alert.severity is Severity.WARNING
