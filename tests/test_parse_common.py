"""The text helpers' fast paths give the answers of their plain regex definitions; ratings and counts
in every marketplace's writing."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiders.parsers.common import caseless, clean, parse_count, parse_rating

_WS_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff]+")
# every kind of space clean() knows, the zero-width ones, a few it must keep, and letters of several scripts
_CHARS = " \t\n\r\x0b\x0c\x1c\x85\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff\u3000\u2028\u1680ab é日$1İıſKßç"
_LABELS = r"best\s*sellers?\s*rank|\bby\b|m\.?\s?r\.?\s?p|più venduti|mağaza|ストア|pre[çc]o sugerido"


def _clean_by_regex(text: str | None) -> str | None:
    return (_WS_RE.sub(" ", text).strip() or None) if text is not None else None


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet=_CHARS, max_size=16))
def test_clean_collapses_exactly_what_the_regex_does(text: str) -> None:
    assert clean(text) == _clean_by_regex(text)


def test_clean_of_every_character_between_letters() -> None:
    for code in range(0x3000 + 1):
        text = f"a{chr(code)}{chr(code)}b "
        assert clean(text) == _clean_by_regex(text), hex(code)
    assert clean(None) is None and clean("  \u200b ") is None


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet=_CHARS + "BESTLRANKSYMP.-", max_size=24) | st.sampled_from([
    "Best Sellers Rank: #12", "BESTSELLERS RANK", "M.R.P.: ₹1,299", "by ACME", "PIÙ VENDUTI", "Preço Sugerido",
    "MAĞAZA", "Visit the Acme Store", "nearby", "mrp"]))
def test_caseless_answers_like_ignorecase(text: str) -> None:
    assert caseless(_LABELS)(text) == (re.search(_LABELS, text, re.IGNORECASE) is not None)


def test_caseless_wants_a_lower_case_pattern() -> None:
    with pytest.raises(ValueError):
        caseless(r"\S+")


@pytest.mark.parametrize("text, stars", [
    ("4.5 out of 5 stars", "4.5"), ("4,5 von 5 Sternen", "4.5"), ("4,5 sur 5\u00a0étoiles", "4.5"),
    ("5つ星のうち4.5", "4.5"), ("4,5 de 5 estrellas", "4.5"), ("4,5 av 5 stjärnor", "4.5"),
    ("5 yıldız üzerinden 4,5", "4.5"), ("4.5 من 5 نجوم", "4.5"), ("4.3 顆星，最高 5 顆星", "4.3"),
    ("5.0 out of 5 stars", "5.0"),
    # Arabic-Indic digits with the Arabic decimal sign, full-width digits: read as 4 before
    ("\u0664\u066b\u0665 من \u0665 نجوم", "4.5"), ("5つ星のうち\uff14.\uff15", "4.5"),
    ("12 out of 15", None), (None, None), ("", None),
])
def test_ratings_in_every_marketplace_s_writing(text: str | None, stars: str | None) -> None:
    assert parse_rating(text) == (Decimal(stars) if stars is not None else None)


@pytest.mark.parametrize("text, count", [
    ("1,234 ratings", 1234), ("1.234 Sternebewertungen", 1234), ("1\u202f234 évaluations", 1234),
    ("1,23,456 ratings", 123456), ("(467)", 467), ("1,234個の評価", 1234),
    ("\u0661\u066c\u0662\u0663\u0664 تقييمًا", 1234), ("\u06f1\u06f2\u06f3\u06f4", 1234),  # read as 1 before
    ("(1.5K)", None), ("4.6", None), (None, None),
])
def test_counts_in_every_marketplace_s_writing(text: str | None, count: int | None) -> None:
    assert parse_count(text) == count
