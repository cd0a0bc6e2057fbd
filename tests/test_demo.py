"""`storewatch demo` runs the loop on the embedded storefront with no setup and shows day 2's changes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures.storefront import catalog

ROOT = Path(__file__).resolve().parent.parent


def test_demo_crawls_both_days_and_shows_changes(tmp_path: Path) -> None:
    env = {**os.environ, "STOREWATCH_HOME": str(tmp_path), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "demo"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "day1:" in out and "day2:" in out and "What changed from day 1 to day 2" in out
    knife = catalog.load("day1").by_key("us-knife")
    lookalike = catalog.load("day2").products[knife.asin].seller_id
    assert lookalike != knife.seller_id and lookalike in out  # the buy box went to a lookalike seller
    assert (tmp_path / "demo" / "demo.db").exists()
