"""The text helpers' fast paths give the answers of their plain regex definitions."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiders.parsers.common import caseless, clean

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
