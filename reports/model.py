"""The report's view model: alerts grouped, ordered and trimmed, with no language or markup in it.

Built from alerts plus run metadata handed in by the caller; the time of the report is passed in too,
never read here. `for_email` trims the model so Gmail does not clip the message (it cuts HTML past
~102 KB): every critical alert, warnings up to a cap, info alerts as counts; the archive keeps all.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitors.base import Alert, Lifecycle, Severity, SubjectKind

Point = tuple[datetime, Decimal | int | float | None]
# subject -> metric ("price", "rank", "rating", "buybox_share", "position") -> points, oldest first
Series = Mapping[str, Mapping[str, Sequence[Point]]]

SECTION_IDS = ("health", "own", "competitors", "keywords", "lists", "new_listings")
# Which chart goes with an alert: its field or its key's family decides the metric.
_METRIC_BY_FIELD = {
    "price": "price",
    "list_price": "price",
    "rating": "rating",
    "review_count": "rating",
    "rating_histogram": "rating",
    "bsr": "rank",
    "rank": "rank",
    "position": "position",
    "organic_position": "position",
    "buybox_share": "buybox_share",
}
_METRIC_BY_FAMILY = {
    "prices": "price",
    "ratings": "rating",
    "keywords": "position",
    "buybox": "buybox_share",
    "sellers": "price",
    "promotions": "price",
    "bestsellers": "rank",
}
# Monitors whose subjects are competitors' listings by definition.
_COMPETITOR_FAMILIES = frozenset({"prices"})
INVERTED_METRICS = frozenset({"rank", "position"})  # smaller is better: the chart's axis is flipped


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    marketplace: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    pages: int | None = None
    blocked: int | None = None

    @classmethod
    def coerce(cls, value: RunInfo | Mapping[str, Any]) -> RunInfo:
        if isinstance(value, RunInfo):
            return value
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in value.items() if k in names})


@dataclass(frozen=True, slots=True)
class ChartSpec:
    subject: str
    metric: str
    points: tuple[Point, ...]
    currency: str | None = None

    @property
    def inverted(self) -> bool:
        return self.metric in INVERTED_METRICS


@dataclass(frozen=True, slots=True)
class AlertView:
    alert: Alert
    chart: ChartSpec | None = None  # set on the first row of a subject only
    evidence: Path | None = None
    title: str | None = None  # the product's title, scraped (untrusted)

    @property
    def severity(self) -> Severity:
        return self.alert.severity


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    opened: tuple[AlertView, ...]
    still: tuple[AlertView, ...]
    hidden: dict[str, int] = field(default_factory=dict)  # severity -> alerts left out of this copy

    @property
    def total(self) -> int:
        return len(self.opened) + len(self.still) + sum(self.hidden.values())


@dataclass(frozen=True, slots=True)
class ReportModel:
    language: str
    generated_at: datetime
    runs: tuple[RunInfo, ...]
    marketplaces: tuple[str, ...]
    counts: dict[Severity, int]  # open alerts (new + still) by severity
    new_counts: dict[Severity, int]
    top: Alert | None  # the most important open alert
    sections: tuple[Section, ...]
    resolved: tuple[AlertView, ...]
    health_first: bool
    trimmed: bool = False  # the e-mail copy: some rows only counted
    resolved_hidden: int = 0

    @property
    def open_total(self) -> int:
        return sum(self.counts.values())

    @property
    def pages(self) -> int | None:
        known = [r.pages for r in self.runs if r.pages is not None]
        return sum(known) if known else None

    def views(self) -> Iterable[AlertView]:
        for section in self.sections:
            yield from section.opened
            yield from section.still


def _sort_key(alert: Alert) -> tuple:
    return (
        alert.severity.order,
        alert.lifecycle != Lifecycle.OPENED,
        alert.marketplace,
        alert.subject,
        alert.monitor,
        alert.message_key,
        alert.discriminator,
    )


def section_of(alert: Alert, own_asins: Collection[str] | None = None) -> str:
    """The report section of an alert. Products are the seller's own unless the alert says otherwise
    (params `role` or `own`), its monitor only watches competitors, or `own_asins` leaves it out."""
    kind = alert.subject_kind
    if kind is SubjectKind.CRAWL:
        return "health"
    if kind is SubjectKind.KEYWORD:
        return "keywords"
    if kind is SubjectKind.LIST:
        return "lists"
    if kind is SubjectKind.BRAND:
        return "new_listings"
    params = alert.params or {}
    if params.get("role") in ("own", "competitor"):
        return "own" if params["role"] == "own" else "competitors"
    if isinstance(params.get("own"), bool):
        return "own" if params["own"] else "competitors"
    if alert.message_key.split(".", 1)[0] in _COMPETITOR_FAMILIES:
        return "competitors"
    if own_asins is not None and alert.subject not in own_asins:
        return "competitors"
    return "own"


def _metric_for(alert: Alert, available: Mapping[str, Sequence[Point]]) -> str | None:
    family = alert.message_key.split(".", 1)[0]
    preferred = (_METRIC_BY_FIELD.get(alert.field or ""), _METRIC_BY_FAMILY.get(family))
    # Then whatever history the subject has: a buy-box loss is still best read next to the price line.
    for metric in (*preferred, "price", *sorted(available)):
        if metric and len(available.get(metric, ())) >= 2:
            return metric
    return None


def _currency(alert: Alert) -> str | None:
    currency = (alert.params or {}).get("currency")
    if isinstance(currency, str):
        return currency
    for value in (alert.after, alert.before):
        currency = getattr(value, "currency", None) or (
            value.get("currency") if isinstance(value, Mapping) else None
        )
        if isinstance(currency, str):
            return currency
    return None


def health_undermines(alerts: Iterable[Alert]) -> bool:
    """Crawl health goes first when it makes the other findings untrustworthy (blocked pages, broken
    selectors, monitors that crashed), i.e. any open health alert above info."""
    return any(
        section_of(a) == "health"
        and a.severity is not Severity.INFO
        and a.lifecycle is not Lifecycle.RESOLVED
        for a in alerts
    )


def build_model(
    alerts: Iterable[Alert],
    *,
    language: str,
    generated_at: datetime,
    runs: Iterable[RunInfo | Mapping[str, Any]] = (),
    series: Series | None = None,
    screenshots: Mapping[str, str | Path] | None = None,
    own_asins: Collection[str] | None = None,
    titles: Mapping[str, str] | None = None,
    max_charts: int = 12,
) -> ReportModel:
    """`series`: subject -> metric -> points; `screenshots`: subject -> evidence image;
    `titles`: subject (ASIN) -> product title, shown under the ASIN."""
    alerts = sorted(alerts, key=_sort_key)
    series = series or {}
    screenshots = screenshots or {}
    run_infos = tuple(RunInfo.coerce(r) for r in runs)
    open_alerts = [a for a in alerts if a.lifecycle is not Lifecycle.RESOLVED]

    charted: set[tuple[str, str]] = set()
    shown: set[str] = set()
    by_section: dict[str, tuple[list[AlertView], list[AlertView]]] = {s: ([], []) for s in SECTION_IDS}
    for alert in open_alerts:
        chart = None
        subject_series = series.get(alert.subject, {})
        metric = _metric_for(alert, subject_series) if subject_series else None
        if metric and (alert.subject, metric) not in charted and len(charted) < max_charts:
            charted.add((alert.subject, metric))
            chart = ChartSpec(alert.subject, metric, tuple(subject_series[metric]), _currency(alert))
        shot: str | Path | None = alert.evidence
        if not shot and alert.subject in screenshots and alert.subject not in shown:
            shot = screenshots[alert.subject]  # a subject's screenshot once, on its first row
            shown.add(alert.subject)
        title = (titles or {}).get(alert.subject) or (alert.params or {}).get("product_title")
        view = AlertView(
            alert, chart, Path(shot) if shot else None, title if isinstance(title, str) else None
        )
        opened, still = by_section[section_of(alert, own_asins)]
        (still if alert.lifecycle is Lifecycle.STILL else opened).append(view)

    health_first = health_undermines(open_alerts)
    order = SECTION_IDS if health_first else (*SECTION_IDS[1:], SECTION_IDS[0])
    sections = tuple(
        Section(sid, tuple(by_section[sid][0]), tuple(by_section[sid][1]))
        for sid in order
        if by_section[sid][0] or by_section[sid][1]
    )
    counts = Counter(a.severity for a in open_alerts)
    new_counts = Counter(a.severity for a in open_alerts if a.lifecycle is Lifecycle.OPENED)
    marketplaces = sorted(
        {r.marketplace for r in run_infos if r.marketplace} | {a.marketplace for a in alerts}
    )
    return ReportModel(
        language=language,
        generated_at=generated_at,
        runs=run_infos,
        marketplaces=tuple(marketplaces),
        counts={s: counts.get(s, 0) for s in Severity},
        new_counts={s: new_counts.get(s, 0) for s in Severity},
        top=open_alerts[0] if open_alerts else None,
        sections=sections,
        resolved=tuple(AlertView(a) for a in alerts if a.lifecycle is Lifecycle.RESOLVED),
        health_first=health_first,
    )


@dataclass(frozen=True, slots=True)
class EmailCaps:
    critical: int = 80
    warning: int = 40
    still: int = 30
    resolved: int = 20

    def halved(self) -> EmailCaps:
        return EmailCaps(*(max(1, n // 2) for n in dataclasses.astuple(self)))


def for_email(model: ReportModel, caps: EmailCaps | None = None) -> ReportModel:
    """The e-mail copy: criticals (up to a generous cap), warnings up to a cap, info only counted."""
    caps = caps or EmailCaps()
    left = {Severity.CRITICAL: caps.critical, Severity.WARNING: caps.warning, Severity.INFO: 0}
    still_left = caps.still
    sections = []
    for section in model.sections:
        hidden: Counter[str] = Counter()
        opened = []
        for view in section.opened:
            if left[view.severity] > 0:
                left[view.severity] -= 1
                opened.append(view)
            else:
                hidden[view.severity.value] += 1
        still = []
        for view in section.still:
            if view.severity is not Severity.INFO and still_left > 0:
                still_left -= 1
                still.append(view)
            else:
                hidden[view.severity.value] += 1
        sections.append(Section(section.id, tuple(opened), tuple(still), dict(hidden)))
    return dataclasses.replace(
        model,
        sections=tuple(sections),
        resolved=model.resolved[: caps.resolved],
        resolved_hidden=max(0, len(model.resolved) - caps.resolved),
        trimmed=True,
    )
