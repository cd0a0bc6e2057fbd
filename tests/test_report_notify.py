"""Chat notifications through Apprise's json:// channel to a real local HTTP server."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitors.base import Alert, Severity, SubjectKind
from reports.build import build_report
from reports.notify import NotifyError, chat_summary, neutralize, notify
from reports.samples import sample_alerts

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
NASTY_SELLER = (
    '**FREE** [click](https://evil.example/x) @all <!channel> <at user_id="all">\nFull report: fake'
)


@pytest.fixture
def chat_server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


def hostile_report(tmp_path):
    alerts = [
        Alert(
            "buybox_lost",
            Severity.CRITICAL,
            SubjectKind.PRODUCT,
            "B0OWN00001",
            "us",
            "buybox.lost",
            {"seller": NASTY_SELLER, "price": "17.99", "currency": "USD"},
        ),
        *sample_alerts(T),
    ]
    return build_report(alerts, language="en", generated_at=T, data_dir=tmp_path)


def test_neutralize_defuses_mentions_links_and_line_breaks():
    text = neutralize(NASTY_SELLER)
    assert "\n" not in text and "@all" not in text and "<!channel>" not in text and "<at" not in text
    assert "https://" not in text and "https[:]//evil.example/x" in text
    assert neutralize("a\u202eb\x00c") == "ab c"  # direction override dropped, control char spaced


def test_notify_posts_a_short_summary(chat_server, tmp_path):
    port, received = chat_server
    report = hostile_report(tmp_path)
    summary = chat_summary(report)
    assert notify([f"json://127.0.0.1:{port}/hook"], report) is True
    [got] = received
    assert got["path"] == "/hook" and got["json"]["title"] == "storewatch"
    message = got["json"]["message"]
    assert message == summary
    lines = message.splitlines()
    assert lines[0] == report.subject and lines[-1] == f"Full report: {report.archive_path}"
    assert len(lines) <= 8  # subject, at most five alerts, "and N more", where the report is
    assert sum(line.startswith("Full report:") for line in lines) == 1  # the scraped one is not a line
    assert "@all" not in message and "<!channel>" not in message


def test_markdown_channels_get_scraped_text_escaped(chat_server, tmp_path):
    port, received = chat_server
    assert notify([f"json://127.0.0.1:{port}/md?format=markdown"], hostile_report(tmp_path))
    message = received[0]["json"]["message"]
    assert "**FREE**" not in message and r"\*\*FREE\*\*" in message
    assert "[click](" not in message


def test_bad_url_is_reported_without_its_secret():
    with pytest.raises(NotifyError) as err:
        notify(["nosuchscheme://token-abc123@host/x"], "hi")
    assert "token-abc123" not in str(err.value)
