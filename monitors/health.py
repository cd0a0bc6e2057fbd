"""Crawl health: is this run's data good enough to trust "no change"? Blocked or failed pages, fields
the parsers could not find, targets never fetched, monitors that crashed."""
from __future__ import annotations

from collections import Counter, defaultdict

from crawler.records import Outcome
from monitors.base import Alert, Monitor, Severity, SubjectKind
from monitors.common import percent, shown
from monitors.history import Fetch, History
from monitors.settings import MonitorSettings

CRAWL = SubjectKind.CRAWL
FAILED = (Outcome.HTTP_ERROR, Outcome.TIMEOUT)
READABLE = (Outcome.OK, Outcome.PARSE_INCOMPLETE)
MAX_LISTED = 20  # subjects named in one alert; the rest are counted


def grouped(fetches: tuple[Fetch, ...]) -> dict[tuple[str, str], list[Fetch]]:
    groups: dict[tuple[str, str], list[Fetch]] = defaultdict(list)
    for f in fetches:
        groups[(f.kind, f.marketplace)].append(f)
    return dict(sorted(groups.items()))


class BlockedPages(Monitor):
    """The share of pages of one kind that were blocked (robot check) or failed (HTTP error, timeout)
    reached the threshold (10 % by default): unchanged results may just be unread."""

    name = "crawl_blocked"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for (kind, mp), fetches in grouped(history.current_fetches()).items():
            done = [f for f in fetches if f.outcome is not None]
            if not done:
                continue
            for field, outcomes in (("blocked", (Outcome.BLOCKED,)), ("failed", FAILED)):
                bad = [f for f in done if f.outcome in outcomes]
                share = percent(len(bad), len(done))
                if bad and share >= settings.blocked_ratio:
                    share = shown(share)
                    alerts.append(self.alert(
                        CRAWL, kind, mp, f"health.{field}", field=field, after=share,
                        params={"kind": kind, "count": len(bad), "total": len(done), "percent": share,
                                "threshold": settings.blocked_ratio,
                                "subjects": sorted(f.subject for f in bad)[:MAX_LISTED]}))
        return alerts


class MissingFields(Monitor):
    """A field was missing on at least 30 % of the pages of one kind that were read: a selector probably
    broke, and "no change" on that field means nothing."""

    name = "crawl_missing_fields"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for (kind, mp), fetches in grouped(history.current_fetches()).items():
            read = [f for f in fetches if f.outcome in READABLE]
            if not read:
                continue
            counts = Counter(name for f in read for name in set(f.missing))
            for name, count in sorted(counts.items()):
                share = percent(count, len(read))
                if share >= settings.missing_ratio:
                    share = shown(share)
                    alerts.append(self.alert(
                        CRAWL, kind, mp, "health.missing_field", field=name, discriminator=name, after=share,
                        params={"kind": kind, "field_name": name, "count": count, "total": len(read),
                                "percent": share, "threshold": settings.missing_ratio}))
        return alerts


class TargetsNotFetched(Monitor):
    """Targets planned for this run that were never fetched (the crawl stopped early or skipped them)."""

    name = "crawl_not_fetched"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for (kind, mp), fetches in grouped(history.current_fetches()).items():
            skipped = sorted(f.subject for f in fetches if f.outcome is None)
            if skipped:
                alerts.append(self.alert(
                    CRAWL, kind, mp, "health.not_fetched", field="not_fetched", after=len(skipped),
                    params={"kind": kind, "count": len(skipped), "total": len(fetches),
                            "subjects": skipped[:MAX_LISTED]}))
        return alerts


class MonitorCrashed(Monitor):
    """A monitor raised an error; its findings for this run are missing (the other monitors still ran).
    Raised by the suite, not by checking pages."""

    name = "monitor_crashed"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        return []

    def crashed(self, monitor: str, error: BaseException) -> Alert:
        return self.alert(CRAWL, "monitors", "", "health.monitor_crashed", field="monitor", discriminator=monitor,
                          after=type(error).__name__,
                          params={"monitor": monitor, "error": type(error).__name__,
                                  "detail": str(error)[:300]})


MONITORS = (BlockedPages, MissingFields, TargetsNotFetched, MonitorCrashed)
