"""New listings of watched brands."""
from __future__ import annotations

from dataclasses import replace

import pytest

from monitors import newlistings
from monitors.history import History
from tests.monitor_factories import (
    BLOCKED,
    check_module,
    product,
    run,
    search_page,
    settings,
    summary,
    with_params,
)


def brand_runs(*runs, brand="Rival", products=()):
    """Each run: list of (asin, brand, title) cards, or "blocked"."""
    h = History(run=run(len(runs) - 1))
    for i, cards in enumerate(runs):
        if cards == "blocked":
            h.add_brand(run(i), brand, "us", [search_page([], outcome=BLOCKED, keyword=brand)])
            continue
        page = search_page([a for a, _, _ in cards], keyword=brand)
        results = tuple(replace(r, brand=b, title=t) for r, (_, b, t) in zip(page.results, cards, strict=True))
        h.add_brand(run(i), brand, "us", [replace(page, results=results)])
    for p in products:
        h.add_product(run(len(runs) - 1), p)
    return h


OLD = ("B0RIVAL001", "Rival", "Rival Press")
NEW = ("B0RIVAL009", "Rival", "Rival Peeler")

CASES = [
    pytest.param(brand_runs([OLD, NEW]), {}, [], {}, id="first-run-baseline"),
    pytest.param(brand_runs([OLD], [OLD, NEW]), {}, [("newlistings.new_asin", "B0RIVAL009")],
                 {"newlistings.new_asin": {"title": "Rival Peeler", "brand": "Rival", "image": None}}, id="new-asin"),
    pytest.param(brand_runs([OLD], [OLD, ("B0OTHER009", "Other", "Other Peeler")]), {}, [], {}, id="other-brand"),
    pytest.param(brand_runs([OLD], [OLD, ("B0RIVAL009", None, "RIVAL Peeler 2")]), {},
                 [("newlistings.new_asin", "B0RIVAL009")], {}, id="brand-from-title"),
    pytest.param(brand_runs([OLD], [OLD, ("B0RIVAL009", None, "Peeler by Rival")]), {}, [], {}, id="title-not-brand"),
    pytest.param(brand_runs([OLD, NEW], [OLD], [OLD, NEW]), {}, [], {}, id="seen-before"),
    pytest.param(brand_runs([OLD], "blocked"), {}, [], {}, id="blocked-now"),
    pytest.param(brand_runs("blocked", [OLD, NEW]), {}, [], {}, id="no-baseline-yet"),
    pytest.param(brand_runs([OLD], [OLD, NEW], products=[product("B0RIVAL009")]), {}, [], {}, id="already-watched"),
    pytest.param(brand_runs([OLD], [OLD, NEW]), {"watched_brands": ("Someone",)}, [], {}, id="brand-not-watched"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_newlistings(h, overrides, expected, params):
    alerts = check_module(newlistings, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want
