"""Small helpers the monitors share: JSON-able values, percent changes, streaks and flapping."""
from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from crawler.records import Coupon, Money, Outcome, ProductSnapshot
from monitors.base import Alert, Monitor
from monitors.history import History, Run
from monitors.settings import MonitorSettings

T = TypeVar("T")
OK = Outcome.OK
HUNDRED = Decimal(100)
_IMAGE_ID = re.compile(r"/images/[A-Z]/([^./]+)")


def plain(value: Any) -> Any:
    """A record value as alert data: Money -> its Decimal amount (currency goes in params)."""
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Coupon):
        return value.text
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


def amount(money: Money | None) -> Decimal | None:
    return money.amount if money is not None else None


def comparable(a: Money | None, b: Money | None) -> bool:
    return a is not None and b is not None and a.currency == b.currency


def pct_change(before: Decimal, after: Decimal) -> Decimal | None:
    """Signed change in percent, unrounded (thresholds compare exact values); None without a base."""
    if not before:
        return None
    return (after - before) * HUNDRED / before


def percent(part: Decimal | int, whole: int) -> Decimal:
    return Decimal(part) * HUNDRED / whole


def shown(value: Decimal) -> Decimal:
    """A percent as reported: one decimal place."""
    return value.quantize(Decimal("0.1"))


def image_id(value: str | None) -> str | None:
    """Amazon's image id, so that size variants of one image (`._AC_SX679_`) compare equal."""
    if not value:
        return None
    m = _IMAGE_ID.search(value)
    if m:
        return m.group(1)
    return value.rsplit("/", 1)[-1].split(".", 1)[0]


def norm_text(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None


def ok_values(entries: Sequence[tuple[Run, Any]], get: Callable[[Any], T], n: int) -> list[tuple[Run, T]]:
    """The last `n` values read on ok pages, oldest first."""
    out: list[tuple[Run, T]] = []
    for run, rec in reversed(entries):
        if rec.outcome is OK:
            out.append((run, get(rec)))
            if len(out) == n:
                break
    out.reverse()
    return out


def is_flapping(values: Sequence[Hashable], min_changes: int) -> bool:
    """Changed at least `min_changes` times and came back to an earlier value (A, B, A, ...)."""
    runs = [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
    return len(runs) - 1 >= min_changes and len(set(runs)) < len(runs)


def flap_alert(monitor: Monitor, snap: ProductSnapshot, field: str,
               history: Sequence[tuple[Run, Any]]) -> Alert:
    """One open alert for a value that keeps flipping, carrying its recent history."""
    values = [[run.at.isoformat(), plain(v)] for run, v in history]
    changes = sum(1 for i in range(1, len(history)) if history[i][1] != history[i - 1][1])
    return monitor.product_alert(
        snap, "value.flapping", field=field, discriminator="flapping", after=plain(history[-1][1]),
        params={"field": field, "changes": changes, "values": values})


def check_flapping(monitor: Monitor, snap: ProductSnapshot, entries: Sequence[tuple[Run, Any]],
                   field: str, get: Callable[[Any], Hashable], window: int, min_changes: int) -> Alert | None:
    recent = ok_values(entries, get, window)
    if is_flapping([v for _, v in recent], min_changes):
        return flap_alert(monitor, snap, field, recent)
    return None


def streak_since(entries: Sequence[tuple[Run, Any]], holds: Callable[[Any], bool]) -> datetime | None:
    """When the condition started to hold, over ok entries (unread runs neither break nor extend it)."""
    since = None
    for run, rec in reversed(entries):
        if rec.outcome is not OK:
            continue
        if not holds(rec):
            break
        since = run.at
    return since


def own_pairs(history: History, settings: MonitorSettings) -> Iterator[
        tuple[tuple[str, str], list[tuple[Run, ProductSnapshot]], ProductSnapshot | None, ProductSnapshot | None]]:
    """Each own listing: (key, its readings, this run's ok reading, the latest earlier ok reading)."""
    for key, entries in history.products.items():
        if settings.own(*key) is not None:
            cur, prev, _ = history.product_pair(key)
            yield key, entries, cur, prev
