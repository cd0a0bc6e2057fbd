"""Finding a browser: configured path, Playwright's build, the system's Chromium, or a clear hint."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crawler import browser


def fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_configured_path_wins(tmp_path):
    exe = fake_executable(tmp_path, "my-chrome")
    assert browser.find_browser(exe) == str(exe)
    with pytest.raises(browser.BrowserNotFound, match="does not exist"):
        browser.find_browser(tmp_path / "missing")


def test_real_binary_preferred_over_path_wrappers(tmp_path):
    real = fake_executable(tmp_path, "real-chromium")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_executable(bin_dir, "chromium")
    found = browser.find_browser(use_playwright=False, path_env=str(bin_dir), system_paths=(str(real),))
    assert found == str(real)
    assert browser.find_browser(use_playwright=False, path_env=str(bin_dir), system_paths=()) == str(
        bin_dir / "chromium"
    )
    fake_executable(bin_dir, "google-chrome")
    (bin_dir / "chromium").unlink()
    assert browser.find_browser(use_playwright=False, path_env=str(bin_dir), system_paths=()).endswith(
        "google-chrome"
    )


def test_nothing_found_names_one_install_command(tmp_path):
    with pytest.raises(browser.BrowserNotFound) as err:
        browser.find_browser(use_playwright=False, path_env=str(tmp_path), system_paths=())
    hint = browser.install_hint()
    assert hint in ("apt-get install -y chromium", "playwright install chromium")
    assert str(err.value).endswith(hint)


def test_this_machine_has_a_browser():
    found = browser.find_browser()
    assert os.access(found, os.X_OK)


def test_launch_args():
    assert browser.launch_args(as_root=True) == [
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-sync",
    ]
    assert "--no-sandbox" not in browser.launch_args(as_root=False)
    assert ("--no-sandbox" in browser.launch_args()) == (os.geteuid() == 0)


def test_module_import_stays_light():
    import subprocess
    import sys

    code = "import sys, crawler.browser; print('playwright' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "False"
