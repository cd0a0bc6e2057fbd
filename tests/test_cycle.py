"""`storewatch schedule --once` end to end: crawl the storefront, monitors, the report mailed to a real
local SMTP server; with the server down the report waits in the outbox and `outbox --retry` sends it once."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import db_url_for

# Tests here store data through db_url_for: the PostgreSQL pass runs this module too.
pytestmark = pytest.mark.stores_data

ROOT = Path(__file__).resolve().parent.parent
WATCHLIST = ROOT / "fixtures" / "storefront" / "watchlist.toml"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_with_email(tmp_path: Path, port: int) -> Path:
    text = WATCHLIST.read_text(encoding="utf-8")
    text += (f'\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
             'sender = "storewatch <sw@localhost>"\nrecipients = ["seller@localhost"]\n')
    path = tmp_path / "watch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def storewatch(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STOREWATCH_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)


def test_once_crawls_monitors_and_mails_the_report(storefront_reset, tmp_path: Path) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = config_with_email(tmp_path, port)
        db = db_url_for(tmp_path, "sw.db")
        for day in ("day1", "day2"):  # two cycles: the second report has history to chart
            storefront_reset.set_scenario(day)
            proc = storewatch(tmp_path, "schedule", "--config", str(config), "--db", db, "--base-url",
                              storefront_reset.url, "--once")
            assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    msg = inbox.messages[1]
    assert msg["Subject"].startswith("[storewatch]") and msg["To"] == "seller@localhost"
    html = msg.get_body(preferencelist=("html",))
    assert html is not None
    # every cid: the HTML references is an attached inline image
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p["Content-ID"]}
    referenced = set(__import__("re").findall(r'src="cid:([^"]+)"', html.get_content()))
    assert referenced and referenced <= cids
    assert "critical" in msg["Subject"]  # day 2: the lookalike took an own buy box
    assert not list((tmp_path / "outbox").glob("*.eml"))  # delivered, so nothing waits


def test_dead_smtp_server_queues_and_retry_sends_exactly_once(storefront_reset, tmp_path: Path) -> None:
    port = free_port()  # nobody listens here yet
    config = config_with_email(tmp_path, port)
    db = db_url_for(tmp_path, "sw.db")
    crawl = storewatch(tmp_path, "crawl", "--config", str(config), "--db", db, "--base-url",
                       storefront_reset.url, "--quiet")
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert storewatch(tmp_path, "monitor", "--config", str(config), "--db", db).returncode == 0
    sent = storewatch(tmp_path, "report", "--config", str(config), "--db", db, "--send")
    assert sent.returncode == 0, sent.stderr[-2000:]
    assert "queued" in sent.stdout and f"127.0.0.1:{port}" in sent.stdout
    waiting = storewatch(tmp_path, "outbox")
    assert "1 report(s) waiting" in waiting.stdout

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = storewatch(tmp_path, "outbox", "--retry", "--config", str(config))
        second = storewatch(tmp_path, "outbox", "--retry", "--config", str(config))
    finally:
        controller.stop()
    assert first.returncode == 0 and "sent 1" in first.stdout
    assert second.returncode == 0 and "sent 0" in second.stdout
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("language,word", [("zh-CN", "晨报"), ("en", "morning report")])
def test_report_command_renders_in_the_configured_language(storefront_reset, tmp_path: Path,
                                                           language: str, word: str) -> None:
    config = config_with_email(tmp_path, free_port())
    db = db_url_for(tmp_path, "sw.db")
    assert storewatch(tmp_path, "crawl", "--config", str(config), "--db", db, "--base-url",
                      storefront_reset.url, "--quiet").returncode == 0
    proc = storewatch(tmp_path, "report", "--config", str(config), "--db", db, "--language", language)
    assert proc.returncode == 0, proc.stderr[-2000:]
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.exists() and word in path.read_text(encoding="utf-8")


@pytest.mark.requires_browser
def test_alerted_pages_get_evidence_screenshots_in_the_report(storefront_reset, tmp_path: Path) -> None:
    from crawler.browser import BrowserNotFound, find_browser

    try:
        find_browser()
    except BrowserNotFound as e:
        pytest.skip(str(e))
    knife = __import__("fixtures.storefront", fromlist=["catalog"]).catalog.load("day1").by_key("us-knife")
    config = tmp_path / "watch.toml"
    config.write_text(f"""
[marketplaces.us]
own_seller_ids = ["{knife.seller_id}"]
own_seller_names = ["{knife.seller}"]
[[products]]
asin = "{knife.asin}"
marketplace = "us"
own = true
[politeness]
delay_seconds = 0
[report]
screenshots = true
""", encoding="utf-8")
    db = db_url_for(tmp_path, "sw.db")
    for day in ("day1", "day2"):
        storefront_reset.set_scenario(day)
        done = storewatch(tmp_path, "schedule", "--config", str(config), "--db", db, "--base-url",
                          storefront_reset.url, "--once")
        assert done.returncode == 0, done.stderr[-3000:]
    shots = list((tmp_path / "screenshots").glob("*.png"))
    assert shots and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)
    report = max((tmp_path / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert knife.asin in report and 'class="thumb" src="data:image/jpeg;base64,' in report
    msg = message_from_bytes(max((tmp_path / "outbox").glob("*.eml")).read_bytes(), policy=policy.default)
    assert any(p.get_content_type() == "image/jpeg" for p in msg.walk())  # the thumbnail, by Content-ID
