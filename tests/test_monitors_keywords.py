"""Keyword rank monitors over search pages."""
from __future__ import annotations

import pytest

from crawler.records import SponsoredBanner
from monitors import keywords
from tests.monitor_factories import (
    BLOCKED,
    OWN,
    check_module,
    search_page,
    searches,
    settings,
    summary,
    with_params,
)

F = "B0FILL0000"


def at(position: int, *ads: str):
    """One ok page: sponsored `ads` first, then OWN at organic `position` among fillers (0 = absent)."""
    organic = [f"B0FILL{i:04d}" for i in range(1, 11)]
    if position:
        organic.insert(position - 1, OWN)
    return [search_page([*(f"*{a}" for a in ads), *organic])]


CASES = [
    pytest.param(searches([at(3)]), {}, [], {}, id="first-run-in-top"),
    pytest.param(searches([at(5)]), {}, [], {}, id="exactly-top-n"),
    pytest.param(searches([at(6)]), {}, [("keywords.out_of_top_n", OWN)],
                 {"keywords.out_of_top_n": {"position": 6, "before": None, "top_n": 5}}, id="just-outside"),
    pytest.param(searches([at(3), at(9)]), {}, [("keywords.out_of_top_n", OWN)],
                 {"keywords.out_of_top_n": {"before": 3}}, id="left-top-n"),
    pytest.param(searches([at(3), [search_page(["B0X", OWN], outcome=BLOCKED)]]), {}, [], {}, id="blocked-now"),
    pytest.param(searches([at(3), [search_page([F] * 5), search_page([OWN], page=2, outcome=BLOCKED)]]), {}, [], {},
                 id="page-two-blocked-run-unusable"),
    pytest.param(searches([[search_page([f"B0FILL{i:04d}" for i in range(5)]), search_page([OWN], page=2, start=5)]]),
                 {}, [("keywords.out_of_top_n", OWN)], {"keywords.out_of_top_n": {"position": 6}}, id="second-page"),
    pytest.param(searches([at(0)]), {}, [("keywords.not_indexed", OWN)], {"keywords.not_indexed": {"pages": 1}},
                 id="not-indexed"),
    pytest.param(searches([at(2), at(0)]), {}, [("keywords.not_indexed", OWN)], {"keywords.not_indexed": {"before": 2}},
                 id="dropped-out"),
    pytest.param(searches([[search_page([f"*{OWN}", F])]]), {}, [], {}, id="sponsored-only-is-indexed"),
    pytest.param(searches([at(1), at(2), at(3), at(4)]), {}, [("keywords.falling", OWN)],
                 {"keywords.falling": {"positions": [1, 2, 3, 4], "runs": 3}}, id="fell-three-runs"),
    pytest.param(searches([at(2), at(3), at(4)]), {}, [], {}, id="fell-two-runs-only"),
    pytest.param(searches([at(1), at(2), at(2), at(3)]), {}, [], {}, id="pause-breaks-fall"),
    pytest.param(searches([at(1), at(2), [search_page([OWN], outcome=BLOCKED)], at(3), at(4)]), {},
                 [("keywords.falling", OWN)], {}, id="blocked-run-skipped"),
    pytest.param(searches([at(1), at(2), at(3), at(0)]), {}, [("keywords.falling", OWN), ("keywords.not_indexed", OWN)],
                 {"keywords.falling": {"positions": [1, 2, 3, None]}}, id="fell-out-of-index"),
    pytest.param(searches([at(1), at(2), at(3), at(4)]), {"keyword_fall_runs": 4}, [], {}, id="fall-runs-configured"),
    pytest.param(searches([at(4, "B0RIVAL001", "B0RIVAL002")]), {},
                 [("keywords.sponsored_above", "B0RIVAL001"), ("keywords.sponsored_above", "B0RIVAL002")],
                 {"keywords.sponsored_above": {"position": 1, "own_position": 6}}, id="sponsored-above"),
    pytest.param(searches([[search_page([OWN, "*B0RIVAL001"])]]), {}, [], {}, id="sponsored-below"),
    pytest.param(searches([[search_page(["*B0RIVAL001", OWN], brand="Acme")]]), {}, [], {}, id="own-brand-ad"),
    pytest.param(searches([at(0, "B0RIVAL001")]), {}, [("keywords.not_indexed", OWN)], {}, id="ads-when-not-indexed"),
    pytest.param(searches([[search_page([OWN], banners=(SponsoredBanner("brand", "Rival", ("B0R1", "B0R2")),))]]), {},
                 [("keywords.sponsored_banner", "brand:rival")],
                 {"keywords.sponsored_banner": {"brand": "Rival", "asins": ["B0R1", "B0R2"]}}, id="banner"),
    pytest.param(searches([[search_page([OWN], banners=(SponsoredBanner("video", "ACME", ()),
                                                        SponsoredBanner("brand", None, ())))]]), {}, [], {},
                 id="own-or-unknown-banner"),
    pytest.param(searches([at(9)], keyword="other keyword"), {}, [], {}, id="untracked-keyword"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_keywords(h, overrides, expected, params):
    alerts = check_module(keywords, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want
    assert all(a.subject == "garlic press" and a.url for a in alerts)
