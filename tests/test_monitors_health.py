"""Crawl-health monitors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crawler.records import Outcome
from monitors import health
from monitors.history import Fetch, History
from tests.monitor_factories import BLOCKED, OK, check_module, product, run, settings, summary, with_params


def fetched(*groups, mp="us", kind="product"):
    """Current-run targets: (count, outcome, missing fields) groups."""
    h = History(run=run(0))
    fetches, n = [], 0
    for count, outcome, missing in groups:
        for _ in range(count):
            n += 1
            fetches.append(Fetch(kind, f"B0{n:08d}", mp, outcome, missing))
    h.fetches[h.run.id] = tuple(fetches)
    return h


def from_records(outcomes_then, outcomes_now):
    h = History(run=run(1))
    for i, (old, new) in enumerate(zip(outcomes_then, outcomes_now, strict=True)):
        h.add_product(run(0), product(f"B0{i:08d}", old))
        h.add_product(run(1), product(f"B0{i:08d}", new, missing=("price",) if new is OK else ()))
    return h


TIMEOUT, PARTIAL = Outcome.TIMEOUT, Outcome.PARSE_INCOMPLETE

CASES = [
    pytest.param(History(run=run(0)), {}, [], {}, id="nothing-fetched"),
    pytest.param(fetched((9, OK, ()), (1, BLOCKED, ())), {}, [("health.blocked", "")],
                 {"health.blocked": {"count": 1, "total": 10, "percent": Decimal("10.0")}}, id="blocked-at-threshold"),
    pytest.param(fetched((10, OK, ()), (1, BLOCKED, ())), {}, [], {}, id="blocked-under-threshold"),
    pytest.param(fetched((8, OK, ()), (2, TIMEOUT, ())), {}, [("health.failed", "")], {}, id="failed"),
    pytest.param(fetched((7, OK, ()), (3, OK, ("price",))), {}, [("health.missing_field", "price")],
                 {"health.missing_field": {"field_name": "price", "count": 3, "total": 10}}, id="missing-at-threshold"),
    pytest.param(fetched((8, OK, ()), (2, OK, ("price",))), {}, [], {}, id="missing-under-threshold"),
    pytest.param(fetched((7, OK, ()), (3, PARTIAL, ("rating", "rating"))), {}, [("health.missing_field", "rating")],
                 {"health.missing_field": {"count": 3}}, id="partial-pages-count"),
    pytest.param(fetched((7, OK, ()), (3, BLOCKED, ("price",))), {}, [("health.blocked", "")], {},
                 id="blocked-pages-not-missing"),
    pytest.param(fetched((9, OK, ()), (2, None, ())), {}, [("health.not_fetched", "")],
                 {"health.not_fetched": {"count": 2, "total": 11}}, id="not-fetched"),
    pytest.param(from_records([BLOCKED] * 4, [OK] * 4), {}, [("health.missing_field", "price")], {},
                 id="derived-current-run-only"),
    pytest.param(from_records([OK] * 4, [OK, OK, OK, BLOCKED]), {},
                 [("health.blocked", ""), ("health.missing_field", "price")], {"health.blocked": {"percent": Decimal("25.0")}}, id="derived-blocked"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_health(h, overrides, expected, params):
    alerts = check_module(health, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


def test_grouped_per_marketplace():
    us = fetched((9, OK, ()), (1, BLOCKED, ()))
    us.fetches[us.run.id] += fetched((10, OK, ()), mp="de").fetches["r0"]
    (alert,) = check_module(health, us, settings())
    assert (alert.subject, alert.marketplace) == ("product", "us")
