"""Evidence: the raw pages behind outcomes, so a "blocked" or a surprising value can be checked by eye.

Kept, gzipped, for 14 days: every page whose fetch was not `ok`, and the first `ok` page of each page
kind in each run (a sample of what "good" looked like that day). Layout, under `<data_dir>/evidence`:

    <YYYY-MM-DD>/run-<id>/<kind>-<outcome>-<HHMMSS>-<url hash>.html.gz   (ok sample: <kind>-ok.html.gz)

The reference stored with the outcome is the path relative to that folder. Files are 0o600, folders
0o700: pages can carry the account's name or address when a session cookie is used.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from crawler.paths import ensure_private_dir

log = logging.getLogger(__name__)

DEFAULT_DAYS = 14
_SAFE = re.compile(r"[^a-z0-9_]+")
_DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class EvidenceStore:
    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir) / "evidence"
        # (run, kind) -> its `ok` sample, once found or written: a crawl asks for every `ok` page
        self._samples: dict[tuple[int | None, str], Path] = {}

    def keep(
        self, run_id: int | None, kind: str, url: str, outcome: str, body: bytes, fetched_at: datetime
    ) -> str:
        """Write the gzipped body; return its reference. An `ok` page is the run's sample for `kind`:
        the first one wins, later calls return the sample's reference without writing."""
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        at = fetched_at.astimezone(UTC)
        folder = ensure_private_dir(self.root)
        for part in (at.date().isoformat(), _run_dir(run_id)):
            folder = ensure_private_dir(folder / part)  # each level 0o700, not just the last
        kind_, outcome_ = _slug(kind), _slug(str(outcome))
        if outcome_ == "ok":
            existing = self._ok_sample(run_id, kind_)
            if existing is not None:
                return self._ref(existing)
            name = f"{kind_}-ok.html.gz"
        else:
            digest = hashlib.sha1(url.encode("utf-8", "replace")).hexdigest()[:10]
            name = f"{kind_}-{outcome_}-{at:%H%M%S}-{digest}.html.gz"
        path = _create_exclusive(folder, name, gzip.compress(body, mtime=0))
        if outcome_ == "ok":
            self._samples[(run_id, kind_)] = path
        log.debug("kept %s evidence for %s in %s", outcome_, url, path)
        return self._ref(path)

    def should_keep_ok(self, run_id: int | None, kind: str) -> bool:
        """True until this run has an `ok` sample of this page kind."""
        return self._ok_sample(run_id, _slug(kind)) is None

    def read(self, ref: str) -> bytes:
        path = (self.root / ref).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"evidence reference {ref!r} points outside {self.root}")
        return gzip.decompress(path.read_bytes())

    def path(self, ref: str) -> Path:
        return self.root / ref

    def prune(self, now: datetime, days: int = DEFAULT_DAYS) -> int:
        """Delete evidence of days older than `days` before `now`; return the number of files removed."""
        if not self.root.is_dir():
            return 0
        cutoff = (now.astimezone(UTC) - timedelta(days=days)).date()
        removed = 0
        for day_dir in sorted(self.root.iterdir()):
            if not (day_dir.is_dir() and _DAY_DIR.match(day_dir.name)):
                continue
            if date.fromisoformat(day_dir.name) >= cutoff:
                continue
            removed += sum(1 for p in day_dir.rglob("*") if p.is_file())
            shutil.rmtree(day_dir)
        self._samples.clear()
        if removed:
            log.info("pruned %s evidence files older than %s", removed, cutoff)
        return removed

    def _ok_sample(self, run_id: int | None, kind: str) -> Path | None:
        known = self._samples.get((run_id, kind))
        if known is not None:
            return known
        if not self.root.is_dir():
            return None
        # A run can cross midnight, so its sample may sit under the previous day.
        for day_dir in sorted(self.root.iterdir(), reverse=True):
            candidate = day_dir / _run_dir(run_id) / f"{kind}-ok.html.gz"
            if candidate.exists():
                self._samples[(run_id, kind)] = candidate
                return candidate
        return None

    def _ref(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _run_dir(run_id: int | None) -> str:
    return "run-adhoc" if run_id is None else f"run-{int(run_id)}"


def _slug(text: str) -> str:
    return _SAFE.sub("_", text.lower()).strip("_") or "page"


def _create_exclusive(folder: Path, name: str, data: bytes) -> Path:
    """Create a new 0o600 file; never overwrite (a second page within the same second gets a suffix)."""
    stem, _, ext = name.partition(".")
    for n in range(1000):
        path = folder / (name if n == 0 else f"{stem}-{n}.{ext}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if name.endswith("-ok.html.gz"):
                return path  # another worker wrote this run's sample first
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path
    raise FileExistsError(f"too many evidence files named {name} in {folder}")
