"""Evidence: gzipped pages behind outcomes, private files, one ok sample per kind per run, 14-day prune."""

from __future__ import annotations

import gzip
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.evidence import EvidenceStore
from crawler.paths import DataDirError

NOW = datetime(2026, 3, 20, 23, 59, 58, tzinfo=UTC)
ROBOT = b"<html><title>Robot Check</title><form action='/errors/validateCaptcha'></form></html>"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keep_writes_a_private_gzip_and_reads_it_back(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    ref = store.keep(7, "product", "https://www.amazon.com/dp/B00TEST001", "blocked", ROBOT, NOW)
    assert not Path(ref).is_absolute() and ref.startswith("2026-03-20/run-7/product-blocked-")
    assert store.read(ref) == ROBOT
    path = store.path(ref)
    assert gzip.decompress(path.read_bytes()) == ROBOT
    assert mode(path) == 0o600
    for folder in (tmp_path / "evidence", tmp_path / "evidence" / "2026-03-20", path.parent):
        assert mode(folder) == 0o700, folder


def test_every_failed_fetch_is_kept_even_twice_in_one_second(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    url = "https://www.amazon.com/dp/B00TEST001"
    first = store.keep(7, "product", url, "blocked", ROBOT, NOW)
    second = store.keep(7, "product", url, "blocked", b"second body", NOW)
    timeout = store.keep(7, "product", url, "timeout", b"", NOW)
    assert len({first, second, timeout}) == 3
    assert (store.read(first), store.read(second), store.read(timeout)) == (ROBOT, b"second body", b"")


def test_one_ok_sample_per_page_kind_per_run(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    assert store.should_keep_ok(7, "product")
    ref = store.keep(7, "product", "https://x/dp/A", "ok", b"first ok page", NOW)
    assert not store.should_keep_ok(7, "product")
    # a later ok page of the same kind and run does not replace the sample, even after midnight
    again = store.keep(7, "product", "https://x/dp/B", "ok", b"second ok page", NOW + timedelta(seconds=5))
    assert again == ref and store.read(ref) == b"first ok page"
    assert store.should_keep_ok(7, "search") and store.should_keep_ok(8, "product")
    store.keep(8, "product", "https://x/dp/A", "ok", b"run 8", NOW)
    assert not store.should_keep_ok(8, "product")


def test_prune_removes_only_days_older_than_the_window(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    old = [
        store.keep(1, "product", f"https://x/dp/{i}", "blocked", b"old", NOW - timedelta(days=20))
        for i in range(3)
    ]
    edge = store.keep(2, "search", "https://x/s?k=a", "http_error", b"edge", NOW - timedelta(days=14))
    recent = store.keep(3, "product", "https://x/dp/9", "blocked", b"new", NOW - timedelta(days=1))
    (store.root / "notes.txt").write_text("not evidence")  # unrelated files are left alone
    assert store.prune(NOW) == 3
    for ref in old:
        assert not store.path(ref).exists()
    assert store.read(edge) == b"edge" and store.read(recent) == b"new"
    assert (store.root / "notes.txt").exists()
    assert store.prune(NOW + timedelta(days=1)) == 1  # the edge day leaves the window a day later
    assert store.prune(NOW, days=0) == 1
    assert EvidenceStore(tmp_path / "empty").prune(NOW) == 0


def test_references_cannot_escape_the_evidence_folder(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(gzip.compress(b"secret"))
    store = EvidenceStore(tmp_path / "data")
    with pytest.raises(ValueError, match="outside"):
        store.read("../../secret")


def test_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EvidenceStore(tmp_path).keep(1, "product", "https://x", "blocked", b"", datetime(2026, 3, 1))


def test_unwritable_evidence_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataDirError, match="evidence"):
        EvidenceStore(blocker).keep(1, "product", "https://x", "blocked", b"", NOW)


def test_adhoc_checks_and_odd_kinds_get_safe_names(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    ref = store.keep(None, "../Prod uct", "https://x", "Blocked/../", b"body", NOW)
    assert ref.startswith("2026-03-20/run-adhoc/prod_uct-blocked-") and ".." not in ref
    assert store.read(ref) == b"body"
