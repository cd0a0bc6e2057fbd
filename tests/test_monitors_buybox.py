"""Buy-box monitors over small histories: one table, one row per edge case."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crawler.records import BuyboxState
from monitors import buybox
from monitors.history import History
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    OWN,
    check_module,
    history,
    lost,
    own_series,
    product,
    settings,
    summary,
    with_params,
)

SUPPRESSED = {"buybox_state": BuyboxState.SUPPRESSED, "buybox_seller": None, "buybox_seller_id": None}


def spaced(states: str, days: float) -> History:
    """Own listing readings, "o" held / "x" lost / "b" blocked, `days` apart, last one current."""
    snaps = {"o": product(), "x": lost(), "b": product(outcome=BLOCKED)}
    return history({OWN: [snaps[c] for c in states]}, days=days)


CASES = [
    pytest.param(own_series(product()), {}, [], {}, id="first-run-held"),
    pytest.param(own_series(lost(fulfilled_by_amazon=True, ships_from="Amazon")), {}, [("buybox.lost", "")],
                 {"buybox.lost": {"seller": "Cheap Co", "seller_id": "AHIJACKER1", "price": Decimal("19.99"),
                                  "currency": "USD", "fba": True}}, id="first-run-lost"),
    pytest.param(own_series(lost(), product(outcome=BLOCKED)), {}, [], {}, id="blocked-now-no-alert"),
    pytest.param(own_series(product(buybox_seller=None, buybox_seller_id=None)), {}, [], {}, id="holder-not-shown"),
    pytest.param(own_series(product(buybox_seller_id=None)), {}, [], {}, id="own-name-without-id"),
    pytest.param(own_series(product(buybox_seller_id=None, buybox_seller="Other")), {}, [("buybox.lost", "")], {},
                 id="other-name-without-id"),
    pytest.param(own_series(product(**SUPPRESSED)), {}, [("buybox.suppressed", "")], {}, id="suppressed"),
    pytest.param(own_series(product(buybox_state=BuyboxState.UNAVAILABLE)), {}, [], {}, id="unavailable-not-lost"),
    pytest.param(history({COMP: [lost(COMP, "A1"), lost(COMP, "A2")]}), {}, [("buybox.owner_changed", "")],
                 {"buybox.owner_changed": {"before": "Cheap Co"}}, id="competitor-owner-changed"),
    pytest.param(history({COMP: [lost(COMP, "A1"), product(COMP, BLOCKED), lost(COMP, "A2")]}), {},
                 [("buybox.owner_changed", "")], {}, id="changed-across-blocked-run"),
    pytest.param(history({COMP: [lost(COMP, "A1"), lost(COMP, "A1")]}), {}, [], {}, id="competitor-same-owner"),
    pytest.param(history({COMP: [lost(COMP, "A1")]}), {}, [], {}, id="competitor-first-run"),
    pytest.param(history({COMP: [lost(COMP, "A1"), lost(COMP, None, seller=None)]}), {}, [], {},
                 id="competitor-owner-missing"),
    pytest.param(history({COMP: [lost(COMP, a) for a in ("A1", "A2", "A1", "A2")]}), {},
                 [("value.flapping", "flapping")], {"value.flapping": {"changes": 3}}, id="competitor-flapping"),
    pytest.param(history({COMP: [lost(COMP, a) for a in ("A1", "A2", "A3", "A4")]}), {},
                 [("buybox.owner_changed", "")], {}, id="many-owners-not-flapping"),
    # 20 readings 6 h apart: 3 lost = 85.0 % (at threshold, fine), 4 lost = 80 % (both windows alert).
    pytest.param(spaced("xxx" + "o" * 17, 0.25), {}, [], {}, id="share-at-threshold"),
    pytest.param(spaced("xxxx" + "o" * 16, 0.25), {}, [("buybox.share_low", "30d"), ("buybox.share_low", "7d")],
                 {"buybox.share_low": {"share": Decimal("80.0"), "readings": 20}}, id="share-under-threshold"),
    pytest.param(spaced("bbbb" + "o" * 16, 0.25), {}, [], {}, id="share-ignores-blocked"),
    pytest.param(spaced("x" * 20 + "o" * 20, 1), {}, [("buybox.share_low", "30d")],
                 {"buybox.share_low": {"share": Decimal("66.7"), "days": 30}}, id="share-30d-only"),
    pytest.param(spaced("xx", 1), {}, [("buybox.lost", "")], {}, id="share-too-few-readings"),
    pytest.param(spaced("xxxx" + "o" * 16, 0.25), {"buybox_share_min": Decimal(80)}, [], {}, id="share-threshold-set"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_buybox(h, overrides, expected, params):
    alerts = check_module(buybox, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_lost_since_is_start_of_streak():
    h = own_series(product(), lost(), product(outcome=BLOCKED), lost())
    (alert,) = buybox.BuyboxLost().check(h, settings())
    assert alert.since == h.products[(OWN, "us")][1][0].at
    assert alert.before == "AHIJACKER1" and alert.after == "AHIJACKER1"
