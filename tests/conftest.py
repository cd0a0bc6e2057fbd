"""Shared fixtures: the real-page captures in ../shared, golden files, the offline storefront."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["fixtures.storefront.pytest_plugin"]

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


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright's sync API allows one driver at a time)."""
    from crawler.browser import BrowserNotFound, find_browser, launch_args

    try:
        executable = find_browser()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=launch_args())
        try:
            yield b
        finally:
            b.close()
