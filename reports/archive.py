"""Every report is kept as one self-contained HTML file (charts inline as data: URIs) in
`<data_dir>/reports/`, so a report can be reopened without the mail that carried it."""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports.build import Report

log = logging.getLogger(__name__)


def reports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "reports"


def report_path(data_dir: Path, generated_at: datetime, language: str) -> Path:
    return reports_dir(data_dir) / f"storewatch-{generated_at:%Y%m%d-%H%M%S}-{language}.html"


def save(report: Report, data_dir: Path) -> Report:
    """Write the archive copy atomically (a reader never sees half a file); returns the report with
    `archive_path` set."""
    path = report_path(data_dir, report.generated_at, report.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(report.html_archive)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("report kept at %s", path)
    return dataclasses.replace(report, archive_path=path)


def list_reports(data_dir: Path) -> list[Path]:
    """Archived reports, oldest first."""
    folder = reports_dir(data_dir)
    return sorted(folder.glob("storewatch-*.html")) if folder.is_dir() else []
