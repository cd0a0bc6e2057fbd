"""scan.find answers what bytes.find / str.find answer, through memmem or without it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiders.parsers import scan

# Few letters, so needles occur often and at overlapping places; pages long enough to reach memmem.
_BYTES = st.binary(min_size=0, max_size=12).map(lambda b: bytes(c % 3 + 97 for c in b))
_PAGES = st.builds(lambda seed, size: bytes(97 + (seed * 7919 + i * i) % 3 for i in range(size)),
                   st.integers(0, 1000), st.sampled_from([0, 10, scan._SHORT - 1, scan._SHORT, 3 * scan._SHORT]))
_BOUNDS = st.one_of(st.none(), st.integers(-20, 4 * scan._SHORT))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_PAGES, _BYTES, st.integers(-20, 4 * scan._SHORT), _BOUNDS)
def test_find_is_bytes_find(page: bytes, needle: bytes, start: int, end: int | None) -> None:
    assert scan.find(page, needle, start, end) == page.find(needle, start, end)


def test_every_occurrence_in_order() -> None:
    page = (b"x" * 5000 + b"parentAsin") * 4
    found, at = [], scan.find(page, b"parentAsin")
    while at != -1:
        found.append(at)
        at = scan.find(page, b"parentAsin", at + 1)
    assert found == [5000, 10010, 15020, 20030]


def test_str_and_no_memmem(monkeypatch: pytest.MonkeyPatch) -> None:
    page = "é" * 5000 + "colorImages"
    assert scan.find(page, "colorImages") == 5000
    monkeypatch.setattr(scan, "_MEMMEM", None)
    assert scan.find(page.encode(), b"colorImages") == 10000
