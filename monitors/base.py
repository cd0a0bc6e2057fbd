"""What a monitor produces: alerts as data. Rendering them is the reports package's job."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from crawler.records import ProductSnapshot
    from monitors.history import History
    from monitors.settings import MonitorSettings


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def order(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


class Lifecycle(StrEnum):
    OPENED = "opened"  # first seen in this run
    STILL = "still"  # the same condition was already open last run
    RESOLVED = "resolved"  # open last run, gone now


class SubjectKind(StrEnum):
    PRODUCT = "product"
    KEYWORD = "keyword"
    LIST = "list"
    BRAND = "brand"
    CRAWL = "crawl"  # crawl-health findings


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding. `message_key` + `params` are translated by the reports; no HTML here.

    `before` / `after` hold JSON-able values (str, int, Decimal, bool, None, or lists of them).
    """

    monitor: str
    severity: Severity
    subject_kind: SubjectKind
    subject: str  # ASIN, keyword, list path, brand, or the page kind for crawl health
    marketplace: str
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    before: Any = None
    after: Any = None
    since: datetime | None = None
    url: str | None = None
    lifecycle: Lifecycle = Lifecycle.OPENED
    evidence: str | None = None  # a screenshot path or snapshot reference
    discriminator: str = ""  # tells apart two alerts of one monitor on one subject (e.g. a seller id)
    # A one-off change between two runs (a price moved): always `opened`, never carried to the next
    # run as `still` nor `resolved`. Conditions (the buy box is lost) are not events.
    event: bool = False
    # False when the subject could not be read this run: the open alert is carried over unconfirmed
    # instead of being called resolved (a blocked page is never evidence of a change).
    checked: bool = True

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        """Identity across runs, for the opened / still / resolved lifecycle."""
        return (self.monitor, self.subject_kind.value, self.subject, self.marketplace,
                self.field or "", self.discriminator)


class Monitor:
    """A small named thing that answers one question. Subclasses set `name` and `severity`;
    their docstring is the description shown in the README and the report."""

    name: ClassVar[str]
    severity: ClassVar[Severity]
    # Fields a product reading must have been read with for this monitor to judge it: a reading that
    # misses one (e.g. "offers" when the all-offers panel was blocked) neither raises nor resolves.
    needs: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def description(cls) -> str:
        return " ".join((cls.__doc__ or "").split())

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        raise NotImplementedError

    def alert(self, subject_kind: SubjectKind, subject: str, marketplace: str, message_key: str,
              severity: Severity | None = None, **fields: Any) -> Alert:
        """An Alert of this monitor; `severity` defaults to the monitor's."""
        return Alert(self.name, severity or self.severity, subject_kind, subject, marketplace,
                     message_key, **fields)

    def product_alert(self, snap: ProductSnapshot, message_key: str, severity: Severity | None = None,
                      **fields: Any) -> Alert:
        fields.setdefault("url", snap.url)
        return self.alert(SubjectKind.PRODUCT, snap.asin, snap.marketplace, message_key, severity, **fields)
