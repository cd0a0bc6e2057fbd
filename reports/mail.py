"""E-mail is built in one step and sent in another.

`build_message` is pure: the same report gives the same message (no clock, no hostname lookup).
`SmtpTransport` sends with smtplib and reads its password from a named environment variable at send
time only. `Outbox` is a folder of .eml files and the retry queue: a message is written there first and
removed only once the server accepted it, so a dead server loses nothing.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import logging
import os
import smtplib
import ssl
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from reports.build import Report

log = logging.getLogger(__name__)

# Many mail servers and phone clients balk at large messages: past this the full report is attached
# zipped (an alert table compresses ~30x; every desktop and phone opens a zip).
MESSAGE_BUDGET = 1_000_000


class MailError(RuntimeError):
    """Sending failed; the message says where (host:port) and why, never a secret. `unreachable`:
    the server could not be reached at all, so trying the next message now is pointless."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class Queued(MailError):
    """Sending failed and the message waits in the outbox for `retry`."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _check_address(address: str) -> str:
    if "\n" in address or "\r" in address or "@" not in address:
        raise ValueError(f"not an e-mail address: {address!r}")
    return address


def build_message(
    report: Report,
    *,
    sender: str,
    recipients: list[str] | tuple[str, ...],
    attach_full: bool = True,
    reply_to: str | None = None,
) -> EmailMessage:
    """text/plain + text/html (with chart images inline by Content-ID), the full report attached."""
    if not recipients:
        raise ValueError("no recipients for the report")
    msg = EmailMessage()
    msg["Subject"] = report.subject
    msg["From"] = _check_address(sender)
    msg["To"] = ", ".join(_check_address(r) for r in recipients)
    if reply_to:
        msg["Reply-To"] = _check_address(reply_to)
    when = report.generated_at if report.generated_at.tzinfo else report.generated_at.replace(tzinfo=UTC)
    msg["Date"] = email.utils.format_datetime(when)
    digest = hashlib.sha1(report.html_email.encode("utf-8")).hexdigest()[:12]
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "storewatch.invalid"
    msg["Message-ID"] = f"<storewatch.{when:%Y%m%d%H%M%S}.{report.language}.{digest}@{domain}>"
    msg["Content-Language"] = report.language
    msg.set_content(report.text, subtype="plain", charset="utf-8")
    msg.add_alternative(report.html_email, subtype="html", charset="utf-8")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    for image in report.images:
        html_part.add_related(
            image.data,
            maintype="image",
            subtype=image.subtype,
            cid=f"<{image.cid}>",
            disposition="inline",
            filename=f"{image.cid.split('@')[0]}.{image.subtype}",
        )
    if attach_full:
        _attach_full_report(msg, report)
    # MIME boundaries are random by default; derive them from the content so the build stays pure.
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_storewatch_{digest}_{i}")
    return msg


def _attach_full_report(msg: EmailMessage, report: Report) -> None:
    """The full report as HTML, or zipped when as HTML it would push the message past MESSAGE_BUDGET."""
    html = report.html_archive.encode("utf-8")
    # base64 grows the attachment by 4/3 plus line breaks; the rest of the message is already built.
    if len(msg.as_bytes()) + len(html) * 1.37 < MESSAGE_BUDGET:
        msg.add_attachment(report.html_archive, subtype="html", charset="utf-8", filename=report.filename)
        return
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        # A fixed timestamp keeps build_message pure.
        info = zipfile.ZipInfo(report.filename, date_time=report.generated_at.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, html)
    log.info("full report is %d bytes: attached zipped (%d bytes)", len(html), buf.tell())
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=f"{report.filename}.zip")


class Transport(Protocol):
    def send(self, msg: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None  # the NAME of the variable holding the password, never the password
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "ssl", "none"):
            raise ValueError(f"SMTP security must be starttls, ssl or none, not {self.security!r}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _password(self) -> str | None:
        if not self.username:
            return None
        if not self.password_env or self.password_env not in os.environ:
            raise MailError(
                f"SMTP {self.where} needs a password: set the environment variable "
                f"{self.password_env or '(smtp password_env is not configured)'}"
            )
        return os.environ[self.password_env]

    def send(self, msg: EmailMessage) -> None:
        password = self._password()
        context = ssl.create_default_context()
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.username and password is not None:
                    smtp.login(self.username, password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"SMTP {self.where} refused the login of {self.username}: {exc.smtp_code}"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"SMTP {self.where} refused the recipients {', '.join(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"SMTP {self.where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                f"could not send mail through SMTP {self.where}: {_reason(exc)}", unreachable=True
            ) from None
        log.info("mail %s sent through %s", msg.get("Message-ID"), self.where)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if text != exc.__class__.__name__ else text


class Outbox:
    """A folder of .eml files waiting to be sent. Claiming a file is an atomic rename, so two retries
    running at once never send the same message twice."""

    def __init__(self, directory: Path | str) -> None:
        self.dir = Path(directory)

    def pending(self) -> list[Path]:
        return sorted(self.dir.glob("*.eml")) if self.dir.is_dir() else []

    def put(self, msg: EmailMessage) -> Path:
        data = msg.as_bytes(policy=policy.SMTP)
        parsed = email.utils.parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
        stamp = f"{parsed:%Y%m%dT%H%M%S}" if parsed else "undated"
        path = self.dir / f"{stamp}-{hashlib.sha1(data).hexdigest()[:12]}.eml"
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".tmp-{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a half-written file never looks like a message
        return path

    def deliver(self, msg: EmailMessage, transport: Transport) -> None:
        """Queue, then send; on failure the message stays queued and `Queued` says where it waits."""
        path = self.put(msg)
        try:
            sent = self._send(path, transport)
        except MailError as exc:
            raise Queued(
                f"{exc}; the message waits in {path} (send it with `storewatch outbox retry`)", path
            ) from None
        if not sent:
            log.info("%s was already being sent by another process", path.name)

    def retry(self, transport: Transport) -> tuple[int, int]:
        """Send every waiting message once: (sent, failed). Stops early when the server is unreachable,
        counting the messages not tried as failed."""
        self._recover_abandoned()
        sent = failed = 0
        waiting = self.pending()
        for i, path in enumerate(waiting):
            try:
                if self._send(path, transport):
                    sent += 1
            except MailError as exc:
                log.warning("outbox %s: %s", path.name, exc)
                failed += 1
                if exc.unreachable:
                    failed += len(waiting) - i - 1
                    break
        return sent, failed

    def _send(self, path: Path, transport: Transport) -> bool:
        claimed = path.with_name(f"{path.name}.sending-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return False  # another retry claimed it first
        try:
            msg = message_from_bytes(claimed.read_bytes(), policy=policy.default)
            transport.send(msg)  # type: ignore[arg-type]
        except BaseException:
            os.rename(claimed, path)
            raise
        claimed.unlink()
        return True

    def _recover_abandoned(self) -> None:
        """Claims left by a process that died mid-send go back in the queue. (If it died after the
        server accepted the message, that one message is sent twice: better than never.)"""
        for claimed in self.dir.glob("*.eml.sending-*") if self.dir.is_dir() else ():
            pid = claimed.name.rsplit(".sending-", 1)[1].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                original = claimed.with_name(claimed.name.rsplit(".sending-", 1)[0])
                try:
                    os.rename(claimed, original)
                except FileNotFoundError:
                    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
