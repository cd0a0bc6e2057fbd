"""`storewatch demo` runs the whole loop on the embedded storefront with no setup: two crawls, the
monitors, the report in the archive and the email in the outbox."""
from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from fixtures.storefront import catalog
from tests.conftest import db_url_for, on_postgresql

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.stores_data
def test_demo_runs_the_whole_loop(tmp_path: Path) -> None:
    env = {**os.environ, "STOREWATCH_HOME": str(tmp_path), "COLUMNS": "200"}
    # the demo's own SQLite file with no setup; in the PostgreSQL pass, a fresh schema through --db
    db = ["--db", db_url_for(tmp_path, "demo.db")] if on_postgresql() else []
    proc = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "demo", *db],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "day1: run 1 complete" in out and "day2: run 2 complete" in out
    knife = catalog.load("day1").by_key("us-knife")
    assert knife.asin in out and "Buy box lost" in out  # the lookalike took the own buy box on day 2
    db = next(line.split("--db ", 1)[1].strip() for line in out.splitlines() if "storewatch alerts --db" in line)
    listed = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "alerts", "--db", db,
                             "--json"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False)
    assert any(a["monitor"] == "buybox_lost" and a["subject"] == knife.asin for a in json.loads(listed.stdout))
    reports = list((tmp_path / "demo" / "reports").glob("storewatch-*-en.html"))
    assert len(reports) == 1 and str(reports[0]) in out.replace("\n", "")
    html = reports[0].read_text(encoding="utf-8")
    assert knife.asin in html and "<script" not in html.lower()
    mails = list((tmp_path / "demo" / "outbox").glob("*.eml"))
    assert len(mails) == 1
    msg = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("[storewatch]") and "critical" in msg["Subject"]
    assert msg.get_body(preferencelist=("html",)) is not None and msg.get_body(preferencelist=("plain",))


def test_demo_refuses_a_base_url_that_is_no_storefront(tmp_path: Path) -> None:
    env = {**os.environ, "STOREWATCH_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", "demo", "--base-url",
                           "http://127.0.0.1:9"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                          check=False)
    assert proc.returncode == 2 and "is no offline storefront" in proc.stderr and "Traceback" not in proc.stderr
