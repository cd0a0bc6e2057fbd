"""The one call the CLI makes: alerts in, a finished report (subject, e-mail HTML, archive HTML, text) out."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitors.base import Alert
from reports import archive, i18n
from reports.model import EmailCaps, ReportModel, RunInfo, Series, build_model, for_email
from reports.render import InlineImage, render_html, render_images, render_subject, render_text

log = logging.getLogger(__name__)

# Gmail clips an HTML part past ~102 KB and hides the rest behind "[Message clipped]".
EMAIL_HTML_BUDGET = 100_000
DEFAULT_CAPS = EmailCaps()


@dataclass(frozen=True)
class Report:
    language: str
    generated_at: datetime
    subject: str
    html_email: str  # CSS inlined, images as cid: references to `images`
    html_archive: str  # the full report, images inline as data: URIs
    text: str
    images: tuple[InlineImage, ...]  # the ones html_email references
    model: ReportModel
    archive_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def filename(self) -> str:
        return f"storewatch-{self.generated_at:%Y%m%d-%H%M%S}-{self.language}.html"


def build_report(
    alerts: Iterable[Alert],
    *,
    language: str,
    generated_at: datetime,
    runs: Iterable[RunInfo | Mapping[str, Any]] = (),
    series: Series | None = None,
    screenshots: Mapping[str, str | Path] | None = None,
    data_dir: Path | str | None = None,
    own_asins: Collection[str] | None = None,
    titles: Mapping[str, str] | None = None,
    email_caps: EmailCaps = DEFAULT_CAPS,
) -> Report:
    """Render the report; when `data_dir` is given it is also kept in `<data_dir>/reports/`.

    `series`: subject -> metric ("price", "rank", "rating", "buybox_share", "position") -> [(time, value)];
    `screenshots`: subject -> evidence image; `own_asins`: the seller's ASINs (the rest are competitors');
    `titles`: ASIN -> product title."""
    language = i18n.normalize_language(language)
    t0 = time.perf_counter()
    model = build_model(
        alerts,
        language=language,
        generated_at=generated_at,
        runs=runs,
        series=series,
        screenshots=screenshots,
        own_asins=own_asins,
        titles=titles,
    )
    with i18n.use_language(language):
        subject = render_subject(model)
        t1 = time.perf_counter()
        images = render_images(model)
        t2 = time.perf_counter()
        html_archive = render_html(model, images, subject=subject, mode="archive")
        caps = email_caps
        while True:
            email_model = for_email(model, caps)
            html_email = render_html(email_model, images, subject=subject, mode="email")
            if len(html_email.encode("utf-8")) < EMAIL_HTML_BUDGET or caps == caps.halved():
                break
            log.info(
                "e-mail HTML is %d bytes, over %d: listing fewer rows", len(html_email), EMAIL_HTML_BUDGET
            )
            caps = caps.halved()
        hint = (
            str(archive.report_path(Path(data_dir), generated_at, language)) if data_dir is not None else None
        )
        text = render_text(email_model, subject=subject, archive_hint=hint)
    t3 = time.perf_counter()
    used = tuple(img for img in images.values() if f"cid:{img.cid}" in html_email)
    report = Report(
        language,
        generated_at,
        subject,
        html_email,
        html_archive,
        text,
        used,
        model,
        timings={"model": t1 - t0, "images": t2 - t1, "html": t3 - t2},
    )
    if data_dir is not None:
        report = archive.save(report, Path(data_dir))
    return report
