"""Rating and review monitors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from monitors import ratings
from monitors.ratings import added_ratings
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    check_module,
    history,
    own_series,
    product,
    review,
    settings,
    summary,
    with_params,
)


def rated(value: str, count: int = 1000, **fields):
    return product(rating=Decimal(value), review_count=count, **fields)


def hist(pct1: int, count: int, pct3: int = 5):
    return product(review_count=count, rating_histogram={5: 70, 4: 15, 3: pct3, 2: 3, 1: pct1})


def reviews(*ids_stars):
    return product(top_reviews=tuple(review(i, s) for i, s in ids_stars))


CASES = [
    pytest.param(own_series(rated("4.6")), {}, [], {}, id="first-run"),
    pytest.param(own_series(rated("4.6"), rated("4.5")), {}, [("ratings.fell", "")],
                 {"ratings.fell": {"before": Decimal("4.6"), "after": Decimal("4.5")}}, id="fell-exactly-step"),
    pytest.param(own_series(rated("4.6"), rated("4.55")), {}, [], {}, id="fell-under-step"),
    pytest.param(own_series(rated("4.6"), rated("4.3")), {}, [("ratings.fell", "")], {}, id="fell-at-floor"),
    pytest.param(own_series(rated("4.4"), rated("4.2")), {}, [("ratings.below_floor", ""), ("ratings.fell", "")],
                 {"ratings.below_floor": {"rating": Decimal("4.2"), "floor": Decimal("4.3")}}, id="below-floor"),
    pytest.param(own_series(rated("4.2"), rated("4.2")), {}, [("ratings.below_floor", "")], {},
                 id="still-below-floor"),
    pytest.param(own_series(rated("4.6"), rated("4.0", outcome=BLOCKED)), {}, [], {}, id="blocked-now"),
    pytest.param(own_series(rated("4.6"), product(rating=None)), {}, [], {}, id="rating-missing"),
    pytest.param(own_series(rated("4.6"), product(outcome=BLOCKED), rated("4.4")), {}, [("ratings.fell", "")], {},
                 id="compared-with-last-ok"),
    pytest.param(history({COMP: [product(COMP, rating=Decimal("4.6")), product(COMP, rating=Decimal("4.0"))]}),
                 {}, [], {}, id="competitor-not-watched"),
    pytest.param(own_series(*(rated(v) for v in ("4.6", "4.5", "4.6", "4.5"))), {}, [("value.flapping", "flapping")],
                 {}, id="rating-flapping"),
    pytest.param(own_series(rated("4.6", 1000), rated("4.6", 990)), {}, [("ratings.reviews_deleted", "")],
                 {"ratings.reviews_deleted": {"count": 10}}, id="reviews-deleted"),
    pytest.param(own_series(rated("4.6", 1000), rated("4.6", 1000)), {}, [], {}, id="review-count-same"),
    pytest.param(own_series(rated("4.6", 1000), product(review_count=None)), {}, [], {}, id="review-count-missing"),
    # 1,000 ratings at 5 % one-star (45-55) -> 1,010 at 6 % (55.6-65.7): within rounding.
    pytest.param(own_series(hist(5, 1000), hist(6, 1010)), {}, [], {}, id="low-star-within-rounding"),
    pytest.param(own_series(hist(5, 1000), hist(6, 1100)), {}, [("ratings.low_star_added", "1star")],
                 {"ratings.low_star_added": {"stars": 1, "estimate": 16, "at_least": 5}}, id="low-star-added"),
    pytest.param(own_series(hist(5, 1000, pct3=5), hist(5, 1100, pct3=6)), {"low_star_max": 2}, [], {},
                 id="three-star-not-low-when-max-2"),
    pytest.param(own_series(hist(5, 1000), product(review_count=1100, rating_histogram=None)), {}, [], {},
                 id="histogram-missing"),
    pytest.param(own_series(reviews(("R1", 5))), {}, [], {}, id="reviews-first-run"),
    pytest.param(own_series(reviews(("R1", 5)), reviews(("R2", 1), ("R1", 5))), {},
                 [("ratings.new_low_star_review", "R2")],
                 {"ratings.new_low_star_review": {"review_id": "R2", "stars": 1}}, id="new-low-star-review"),
    pytest.param(own_series(reviews(("R2", 1), ("R1", 5)), reviews(("R1", 5), ("R2", 1))), {}, [], {},
                 id="same-review-moved-position"),
    pytest.param(own_series(reviews(("R2", 1)), reviews(("R1", 5)), reviews(("R2", 1))), {}, [], {},
                 id="known-review-came-back"),
    pytest.param(own_series(reviews(("R1", 5)), reviews(("R3", 4))), {}, [], {}, id="new-high-star-review"),
    pytest.param(own_series(reviews(("R1", 5)), reviews(("R3", 3))), {}, [("ratings.new_low_star_review", "R3")], {},
                 id="three-stars-is-low"),
]


@pytest.mark.parametrize(("h", "overrides", "expected", "params"), CASES)
def test_ratings(h, overrides, expected, params):
    alerts = check_module(ratings, h, settings(**overrides))
    assert summary(alerts) == sorted(expected)
    for key, want in params.items():
        got = with_params(alerts, key)[0]
        assert {k: got[k] for k in want} == want


@pytest.mark.parametrize(("before", "after", "expected"), [
    ((1000, 5), (1000, 5), (0, -10)),
    ((1000, 5), (1100, 6), (16, 5)),
    ((100, 0), (100, 3), (3, 2)),
    ((100, 100), (200, 100), (100, 99)),
])
def test_added_ratings(before, after, expected):
    assert added_ratings(*before, *after) == expected
