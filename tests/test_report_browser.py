"""The report opened in real Chromium: images load, scraped markup stays text, the languages stay apart."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.build import build_report
from reports.samples import sample_alerts, sample_series, sample_titles

pytestmark = pytest.mark.requires_browser

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
HOSTILE = 'Earbuds <script>alert(1)</script><img src=x onerror="window.__pwned=1">'
RUNS = [{"run_id": "20261123-0600", "marketplace": "us", "pages": 50}]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
ASIN = re.compile(r"^[0-9A-Z]{10}$")
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
# Screenshots go here when set, for a person to look at; otherwise to pytest's tmp_path.
SHOTS = os.environ.get("STOREWATCH_SCREENSHOTS")


@pytest.fixture(scope="module")
def evidence(browser, tmp_path_factory) -> Path:
    """A real screenshot to use as an alert's evidence."""
    path = tmp_path_factory.mktemp("evidence") / "B0OWN00001.png"
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.set_content("<h1 style='font:40px sans-serif'>Currently unavailable</h1>")
    page.screenshot(path=str(path))
    page.close()
    return path


def open_report(browser, html: str, shot: Path, width: int = 800):
    page = browser.new_page(viewport={"width": width, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(html, wait_until="load")
    page.screenshot(path=str(shot), full_page=True)
    return page, dialogs


def shot_path(tmp_path: Path, name: str) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def test_en_report_renders_cleanly(browser, evidence, tmp_path):
    r = build_report(
        sample_alerts(T),
        language="en",
        generated_at=T,
        runs=RUNS,
        series=sample_series(T),
        titles=sample_titles("en", HOSTILE),
        screenshots={"B0OWN00001": evidence},
    )
    page, dialogs = open_report(browser, r.html_archive, shot_path(tmp_path, "report-en.png"))
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.className, e.naturalWidth])")
    assert {cls for cls, _ in images} == {"chart", "thumb"} and len(images) >= 5
    assert all(width > 0 for _, width in images), images
    text = page.inner_text("body")
    assert HOSTILE in text  # the hostile title shows as text...
    assert dialogs == [] and page.evaluate("window.__pwned") is None  # ...and nothing in it ran
    assert page.eval_on_selector_all("script", "els => els.length") == 0
    rest = text.replace(HOSTILE, "")
    for raw in ("<", ">", "&lt;", "&amp;", "{{", "{%", "%(", "None"):
        assert raw not in rest, raw
    assert not CJK.search(text)
    page.close()
    # under 600 px the report is one column, with nothing wider than the screen
    page, _ = open_report(browser, r.html_archive, shot_path(tmp_path, "report-en-narrow.png"), width=400)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.close()


def test_zh_report_is_chinese_and_its_charts_load(browser, tmp_path):
    titles = sample_titles("zh")
    r = build_report(
        sample_alerts(T, scraped="zh"),
        language="zh-CN",
        generated_at=T,
        runs=RUNS,
        series=sample_series(T),
        titles=titles,
    )
    page, dialogs = open_report(browser, r.html_archive, shot_path(tmp_path, "report-zh-CN.png"), width=420)
    assert dialogs == []
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert widths and all(w > 0 for w in widths)
    text = page.inner_text("body")
    allowed = {"storewatch", "US"} | {w for t in titles.values() for w in LATIN_WORD.findall(t)}
    allowed |= set(LATIN_WORD.findall(RUNS[0]["run_id"]))  # type: ignore[arg-type]
    words = {w for w in LATIN_WORD.findall(text) if not ASIN.match(w)}
    assert words <= allowed, sorted(words - allowed)
    assert "丢失购物车" in text and "抓取状态" in text
    # the e-mail copy, with its CSS inlined, says the same things
    email_page, _ = open_report(browser, r.html_email, shot_path(tmp_path, "email-zh-CN.png"), width=420)
    assert "丢失购物车" in email_page.inner_text("body")
    assert email_page.evaluate("document.documentElement.scrollWidth") <= 420
    email_page.close()
    page.close()
