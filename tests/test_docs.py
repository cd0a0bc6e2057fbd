"""README.md documents every CLI command (and every monitor, once they are wired to the CLI)."""
from __future__ import annotations

from pathlib import Path

from crawler.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    names = [c.name for c in app.registered_commands]
    assert len(names) >= 6
    missing = [n for n in names if f"storewatch {n}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    blocks = README.split("```")
    assert "storewatch demo" in blocks[1] and "pip install" in blocks[1]
    assert "pytest" in blocks[3] and "pip install" in blocks[3]


def test_every_monitor_is_in_the_readme() -> None:
    from monitors.suite import ALL

    missing = [m.name for m in ALL if f"`{m.name}`" not in README]
    assert not missing, f"monitors not documented in README.md: {missing}"
