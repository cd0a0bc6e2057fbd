"""Chat notifications through Apprise (DingTalk, Feishu/Lark, WeCom, Slack, Teams, …): a few lines with
the top alerts and where the full report is.

Scraped text (titles, seller names) is untrusted: it is flattened to one line, mentions and chat markup
(`@all`, `<!channel>`, `<at …>`) are defused and links defanged. The body goes out as plain text, so
Apprise escapes Markdown itself for channels that render it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitors.base import Lifecycle
from reports import i18n, messages, values
from reports.build import Report
from reports.render import severity_label

log = logging.getLogger(__name__)

MAX_LINE = 200
_URL_SCHEME = re.compile(r"(?i)\b(https?|ftp|file)://")


class NotifyError(RuntimeError):
    pass


def neutralize(text: str) -> str:
    """One harmless line: no control or direction-override characters, no mentions, no live links."""
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    text = " ".join(text.split())
    text = text.replace("@", "＠").replace("<", "‹").replace(">", "›")
    text = _URL_SCHEME.sub(r"\1[:]//", text)
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


def chat_summary(report: Report, *, link: str | None = None, limit: int = 5) -> str:
    """The subject line, the top `limit` new alerts, and where the full report is."""
    with i18n.use_language(report.language):
        lines = [report.subject]
        views = [v for v in report.model.views() if v.alert.lifecycle is Lifecycle.OPENED]
        views.sort(key=lambda v: v.alert.severity.order)
        for view in views[:limit]:
            a = view.alert
            lines.append(
                f"• {severity_label(a.severity)} · {neutralize(values.subject_label(a))}: "
                f"{neutralize(messages.message(a))}"
            )
        if len(views) > limit:
            lines.append(
                i18n.ngettext("…and %(num)d more", "…and %(num)d more", len(views) - limit)
                % {"num": len(views) - limit}
            )
        where = link or (str(report.archive_path) if report.archive_path else None)
        if where:
            lines.append(i18n.gettext("Full report: %(where)s") % {"where": where})
    return "\n".join(lines)


def redact(url: str) -> str:
    """An Apprise URL carries tokens: only its scheme and host are fit for logs and errors."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '…'}/…"


def notify(urls: Sequence[str], summary: str | Report, *, title: str = "storewatch") -> bool:
    """Send to every URL; True when all accepted it. Bad URLs raise NotifyError (redacted)."""
    body = chat_summary(summary) if isinstance(summary, Report) else summary
    with warnings.catch_warnings():
        # Apprise loads its plugins on the first add(); one of them imports the deprecated imghdr.
        warnings.filterwarnings("ignore", message=".*imghdr.*", category=DeprecationWarning)
        import apprise  # a heavy import, only needed when chat is configured

        app = apprise.Apprise()
        for url in urls:
            if not app.add(url):
                raise NotifyError(f"not a notification URL Apprise understands: {redact(url)}")
    if not urls:
        return True
    ok = bool(app.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
    if not ok:
        log.warning("chat notification failed for at least one of %d channels", len(urls))
    return ok
