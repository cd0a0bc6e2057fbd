"""E-mail through a real local SMTP server (aiosmtpd): structure, inline images, the outbox and retry."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from reports.build import build_report
from reports.mail import MailError, Outbox, Queued, SmtpTransport, build_message
from reports.samples import sample_alerts, sample_series, sample_titles

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
PASSWORD = "s3cret-Pa55word"


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"robot" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def report():
    return build_report(
        sample_alerts(T), language="en", generated_at=T, series=sample_series(T), titles=sample_titles("en")
    )


def message(report, to="me@example.com") -> EmailMessage:
    return build_message(report, sender="storewatch@example.com", recipients=[to])


def test_build_message_is_pure_and_carries_every_part(report):
    a, b = message(report), message(report)
    assert a.as_bytes() == b.as_bytes()  # no clock, no random Message-ID
    assert a.get_content_type() == "multipart/mixed"
    assert a["Subject"] == report.subject and a["Date"] == "Mon, 23 Nov 2026 06:00:00 +0000"
    text = a.get_body(preferencelist=("plain",))
    html = a.get_body(preferencelist=("html",))
    assert text is not None and "Buy box lost to QuickDeals Store at $17.99" in text.get_content()
    assert html is not None and html.get_content().rstrip("\n") == report.html_email.rstrip("\n")
    attachments = list(a.iter_attachments())
    assert [p.get_filename() for p in attachments] == ["storewatch-20261123-060000-en.html"]
    assert attachments[0].get_content().rstrip("\n") == report.html_archive.rstrip("\n")


def test_a_full_report_too_large_for_mail_is_attached_zipped(smtp):
    """3,000+ alerts make the full report too big to attach as is: it arrives zipped, whole, and the
    message stays under 1 MB."""
    import io
    import zipfile

    from reports.samples import many_alerts

    big = build_report(many_alerts(T, 4000), language="en", generated_at=T, series=sample_series(T))
    assert len(big.html_archive.encode()) > 1_000_000  # as HTML it could not fit
    controller, inbox = smtp
    SmtpTransport(controller.hostname, controller.port, "none").send(message(big))
    [got] = inbox.messages
    assert len(got.as_bytes()) < 1_000_000
    [attachment] = list(got.iter_attachments())
    assert attachment.get_filename() == "storewatch-20261123-060000-en.html.zip"
    with zipfile.ZipFile(io.BytesIO(attachment.get_content())) as zf:
        assert zf.namelist() == ["storewatch-20261123-060000-en.html"]
        assert zf.read(zf.namelist()[0]).decode("utf-8") == big.html_archive
    assert message(big).as_bytes() == message(big).as_bytes()  # still pure


def test_mail_arrives_with_its_inline_images(smtp, report):
    controller, inbox = smtp
    SmtpTransport(controller.hostname, controller.port, "none").send(message(report))
    [got] = inbox.messages
    assert got["Subject"] == report.subject
    html = got.get_body(preferencelist=("html",))
    assert html is not None
    referenced = set(re.findall(r'src="cid:([^"]+)"', html.get_content()))
    related = html if html.get_content_type() == "multipart/related" else None
    parts = {p["Content-ID"].strip("<>"): p for p in got.walk() if p["Content-ID"]}
    assert referenced and referenced <= set(parts), referenced - set(parts)
    assert related is None  # get_body returns the text/html leaf; its images are its siblings
    for cid in referenced:
        assert parts[cid].get_content_type() == "image/png"
        assert parts[cid].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(got.as_bytes()) < 1_000_000


def test_dead_server_keeps_the_message_and_retry_sends_it_exactly_once(tmp_path, report):
    port = free_port()  # nothing listens here yet
    transport = SmtpTransport("127.0.0.1", port, "none", timeout=5)
    outbox = Outbox(tmp_path / "outbox")
    with pytest.raises(Queued) as err:
        outbox.deliver(message(report), transport)
    assert f"127.0.0.1:{port}" in str(err.value) and str(err.value.path) in str(err.value)
    assert outbox.pending() == [err.value.path]
    assert outbox.retry(transport) == (0, 1)  # still down: nothing lost

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert outbox.retry(transport) == (1, 0)
        assert outbox.retry(transport) == (0, 0)
        assert len(inbox.messages) == 1 and inbox.messages[0]["Subject"] == report.subject
    finally:
        controller.stop()
    assert outbox.pending() == [] and list(outbox.dir.iterdir()) == []


def test_two_retries_at_once_send_each_message_once(smtp, tmp_path, report):
    controller, inbox = smtp
    outbox = Outbox(tmp_path)
    for i in range(8):
        outbox.put(message(report, to=f"user{i}@example.com"))
    assert len(outbox.pending()) == 8
    transport = SmtpTransport(controller.hostname, controller.port, "none")
    results: list[tuple[int, int]] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        results.append(outbox.retry(transport))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sent for sent, _ in results) == 8 and all(failed == 0 for _, failed in results)
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"user{i}@example.com" for i in range(8))


def test_password_comes_from_the_environment_and_never_leaks(smtp, report, monkeypatch):
    controller, inbox = smtp
    transport = SmtpTransport(
        controller.hostname, controller.port, "none", username="robot", password_env="SW_TEST_SMTP_PASSWORD"
    )
    monkeypatch.delenv("SW_TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailError, match="SW_TEST_SMTP_PASSWORD"):
        transport.send(message(report))
    monkeypatch.setenv("SW_TEST_SMTP_PASSWORD", PASSWORD)
    transport.send(message(report))
    assert len(inbox.messages) == 1
    assert PASSWORD not in repr(transport) and PASSWORD not in str(
        vars(transport) if hasattr(transport, "__dict__") else ""
    )
    monkeypatch.setenv("SW_TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
    with pytest.raises(MailError) as err:
        transport.send(message(report))
    assert f"{controller.hostname}:{controller.port}" in str(err.value)
    assert PASSWORD not in str(err.value) and err.value.__cause__ is None


def test_chinese_subject_and_body_survive_the_trip(smtp):
    controller, inbox = smtp
    zh = build_report(sample_alerts(T, scraped="zh"), language="zh-CN", generated_at=T)
    SmtpTransport(controller.hostname, controller.port, "none").send(message(zh))
    [got] = inbox.messages
    assert got["Subject"] == zh.subject and "丢失购物车" in got["Subject"]
    text = got.get_body(preferencelist=("plain",))
    assert text is not None and "购物车被 快捷优品店 抢走" in text.get_content()
