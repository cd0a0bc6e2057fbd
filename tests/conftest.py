"""Shared fixtures: the real-page captures in ../shared, golden files, the offline storefront."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REALPAGES = ROOT.parent / "shared" / "realpages"
GOLDEN_REALPAGES = ROOT / "fixtures" / "expected" / "realpages"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden JSON files from the parsers' output (review the diff before committing)",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def realpages_labels() -> list[dict]:
    """LABELS.json entries, or [] when ../shared/realpages is absent (a user's clone)."""
    path = REALPAGES / "LABELS.json"
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def realpages() -> Path:
    if not (REALPAGES / "LABELS.json").exists():
        pytest.skip(f"real Amazon captures not found at {REALPAGES} (they live in the team's shared folder)")
    return REALPAGES
