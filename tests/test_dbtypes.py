"""Stored times read back aware and in UTC, whichever form the database hands them in."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.dbtypes import utc_result

AT = datetime(2026, 1, 1, 3, 0, 1, 250000, tzinfo=UTC)


@pytest.mark.parametrize("stored", [
    "2026-01-01 03:00:01.250000",  # SQLite's text: UTC without a zone
    "2026-01-01T03:00:01.25",
    "2026-01-01 05:00:01.250000+02:00",  # a text that names its zone
    "2026-01-01T03:00:01.250Z",
    datetime(2026, 1, 1, 3, 0, 1, 250000),  # a driver's naive UTC
    datetime(2026, 1, 1, 4, 0, 1, 250000, tzinfo=timezone(timedelta(hours=1))),  # PostgreSQL's aware time
])
def test_utc_result_is_aware_utc(stored: str | datetime) -> None:
    loaded = utc_result(stored)
    assert loaded == AT and loaded.utcoffset() == timedelta(0)


def test_utc_result_keeps_none() -> None:
    assert utc_result(None) is None
