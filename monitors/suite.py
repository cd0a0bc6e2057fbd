"""Run every monitor over one run's history, isolate crashes, and apply the alert lifecycle.

Lifecycle: a condition alert whose key was open last run is `still` (keeps its first `since`); a key
open last run and absent now is `resolved`, but only if its subject was actually read this run,
otherwise it is carried over unconfirmed (`checked=False`). Event alerts (a price moved) are always
`opened` and never carried over.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence

from monitors import (
    bestsellers,
    buybox,
    health,
    keywords,
    listing,
    newlistings,
    prices,
    promotions,
    ratings,
    sellers,
)
from monitors.base import Alert, Lifecycle, Monitor, Severity, SubjectKind
from monitors.history import History
from monitors.settings import MonitorSettings

logger = logging.getLogger(__name__)

ALL: tuple[type[Monitor], ...] = (
    *health.MONITORS, *buybox.MONITORS, *sellers.MONITORS, *ratings.MONITORS, *promotions.MONITORS,
    *listing.MONITORS, *prices.MONITORS, *keywords.MONITORS, *bestsellers.MONITORS, *newlistings.MONITORS,
)
# Monitors that read product snapshots only (the benchmark runs these).
PRODUCT: tuple[type[Monitor], ...] = (
    *buybox.MONITORS, *sellers.MONITORS, *ratings.MONITORS, *promotions.MONITORS, *listing.MONITORS,
    *prices.MONITORS, bestsellers.BsrMoved,
)
_LIFECYCLE_ORDER = {Lifecycle.OPENED: 0, Lifecycle.STILL: 1, Lifecycle.RESOLVED: 2}


def default_monitors() -> list[Monitor]:
    return [cls() for cls in ALL]


def run_monitors(history: History, settings: MonitorSettings, monitors: Iterable[Monitor] | None = None,
                 previous_open: Sequence[Alert] = ()) -> list[Alert]:
    """Every monitor's alerts for `history.run`, with lifecycle applied, in report order."""
    found: list[Alert] = []
    crashed: set[str] = set()
    reporter = health.MonitorCrashed()
    chosen = default_monitors() if monitors is None else list(monitors)
    for monitor in chosen:
        try:
            found.extend(monitor.check(history, settings))
        except Exception as exc:  # a broken monitor must not hide the other monitors' findings
            logger.exception("monitor %s crashed", monitor.name)
            crashed.add(monitor.name)
            found.append(reporter.crashed(monitor.name, exc))
    # Open alerts of monitors that did not run (or crashed) cannot be confirmed nor resolved.
    unchecked = crashed | ({a.monitor for a in previous_open} - {m.name for m in chosen})
    needs = {m.name: m.needs for m in chosen}
    return sort_alerts(apply_lifecycle(found, previous_open, history, unchecked, needs))


def apply_lifecycle(found: Sequence[Alert], previous_open: Sequence[Alert], history: History,
                    unchecked: set[str] | frozenset[str] = frozenset(),
                    needs: dict[str, frozenset[str]] | None = None) -> list[Alert]:
    """`needs`: per monitor, the fields a reading must have for that monitor's open alerts to resolve."""
    now = history.run.at
    before = {a.key: a for a in previous_open if not a.event and a.lifecycle is not Lifecycle.RESOLVED}
    out: list[Alert] = []
    seen = set()
    for a in found:
        if a.key in seen:
            continue  # one finding per key and run, the first raised wins
        seen.add(a.key)
        old = None if a.event else before.get(a.key)
        if old is not None:
            out.append(dataclasses.replace(a, lifecycle=Lifecycle.STILL, since=old.since or a.since or now))
        else:
            out.append(dataclasses.replace(a, lifecycle=Lifecycle.OPENED, since=a.since or now))
    for key, old in before.items():
        if key in seen:
            continue
        if old.monitor in unchecked or not history.subject_checked(
                old.subject_kind.value, old.subject, old.marketplace, (needs or {}).get(old.monitor, frozenset())):
            out.append(dataclasses.replace(old, lifecycle=Lifecycle.STILL, checked=False))
        else:
            out.append(dataclasses.replace(old, lifecycle=Lifecycle.RESOLVED, checked=True))
    return out


def undermines(a: Alert) -> bool:
    """A crawl-health finding that makes the other findings (or their absence) untrustworthy."""
    return a.subject_kind is SubjectKind.CRAWL and a.severity is not Severity.INFO and a.lifecycle is not \
        Lifecycle.RESOLVED


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (
        not undermines(a), a.severity.order, _LIFECYCLE_ORDER[a.lifecycle], a.subject_kind.value, a.subject,
        a.marketplace, a.monitor, a.field or "", a.discriminator, a.message_key))


def open_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """What to store as this run's open alerts, to pass as `previous_open` to the next run."""
    return [a for a in alerts if not a.event and a.lifecycle is not Lifecycle.RESOLVED]
