"""The rendered report: golden files, escaping, language purity, the e-mail size budget, the archive."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from monitors.base import Lifecycle, Severity
from reports import archive, render
from reports.build import EMAIL_HTML_BUDGET, build_report
from reports.i18n import UnknownLanguage
from reports.samples import many_alerts, sample_alerts, sample_series, sample_titles

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "expected" / "reports"
RUNS = [{"run_id": "20261123-0600", "marketplace": "us", "pages": 50}]
HOSTILE = 'Earbuds <script>alert(1)</script> <img src=x onerror="alert(2)">'
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
ASIN = re.compile(r"^[0-9A-Z]{10}$")


def report(language: str, scraped: str | None = None, **kw):
    scraped = scraped or ("zh" if language == "zh-CN" else "en")
    kw.setdefault("titles", sample_titles(scraped))  # type: ignore[arg-type]
    return build_report(
        sample_alerts(T, scraped=scraped),
        language=language,
        generated_at=T,  # type: ignore[arg-type]
        runs=RUNS,
        series=sample_series(T),
        **kw,
    )


def visible_text(html: str) -> str:
    doc = lxml_html.fromstring(html)
    for node in doc.xpath("//style|//script|//head"):
        node.drop_tree()
    return " ".join(doc.text_content().split())


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_report_matches_golden(language, update_goldens):
    r = report(language)
    for suffix, produced in (
        (".email.html", r.html_email),
        (".txt", r.text),
        (".subject.txt", r.subject + "\n"),
    ):
        path = GOLDEN / f"{language}{suffix}"
        if update_goldens or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(produced, encoding="utf-8")
        assert produced == path.read_text(encoding="utf-8"), f"{path} differs (pytest --update-goldens)"


def test_rendering_is_deterministic_and_never_reads_the_clock():
    a, b = report("en"), report("en")
    assert a.html_email == b.html_email and a.html_archive == b.html_archive and a.text == b.text
    later = build_report(sample_alerts(T), language="en", generated_at=T.replace(year=2030))
    assert "2030" in later.html_archive and "2026" not in visible_text(later.html_archive)


def test_subject_names_the_top_alert_and_counts():
    assert report("en").subject == "[storewatch] 2 critical: buy box lost on B0OWN00001 · 5 warnings · 6 info"
    assert report("zh-CN").subject == "[storewatch] 2 个严重：B0OWN00001 丢失购物车 · 5 个警告 · 6 个提示"
    empty = build_report([], language="en", generated_at=T)
    assert empty.subject == "[storewatch] no open alerts"
    assert "No open alerts." in visible_text(empty.html_archive)


def test_scraped_markup_is_escaped_everywhere():
    r = report("en", titles=sample_titles("en", HOSTILE))
    for html in (r.html_email, r.html_archive):
        assert "<script" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in visible_text(r.html_archive)  # shown as text, whole
    assert HOSTILE not in r.text or "<script>" in r.text  # text part is plain text, not HTML-escaped


def test_zh_report_has_no_english_beyond_names_and_codes():
    r = report("zh-CN")
    titles = sample_titles("zh")
    allowed = {"storewatch", "ASIN", "US"} | {w for t in titles.values() for w in LATIN_WORD.findall(t)}
    allowed |= {w for run in RUNS for w in LATIN_WORD.findall(str(run["run_id"]))}
    for html in (r.html_archive, r.html_email):
        words = {w for w in LATIN_WORD.findall(visible_text(html)) if not ASIN.match(w)}
        assert words <= allowed, sorted(words - allowed)
    words = {w for w in LATIN_WORD.findall(r.subject) if not ASIN.match(w)}
    assert words <= allowed


def test_en_report_has_no_chinese():
    r = report("en")
    for text in (visible_text(r.html_archive), visible_text(r.html_email), r.text, r.subject):
        assert not CJK.search(text), CJK.findall(text)[:10]


def test_email_copy_stays_under_gmail_clipping_with_1000_alerts():
    alerts = many_alerts(T, 1000)
    r = build_report(alerts, language="en", generated_at=T, series=sample_series(T))
    assert len(r.html_email.encode()) < EMAIL_HTML_BUDGET
    criticals = sum(1 for a in alerts if a.severity is Severity.CRITICAL and a.lifecycle is Lifecycle.OPENED)
    assert r.html_email.count('class="alert s-critical"') == criticals  # every critical listed
    assert 'class="alert s-info"' not in r.html_email  # info only counted
    assert r.html_archive.count('class="alert s-info"') > 500  # the archive keeps everything
    # even a morning of 1,000 criticals fits: the rest are counted and point to the attachment
    storm = [dataclasses.replace(a, severity=Severity.CRITICAL) for a in alerts]
    r = build_report(storm, language="zh-CN", generated_at=T)
    assert len(r.html_email.encode()) < EMAIL_HTML_BUDGET
    assert "见附件中的完整报告" in r.html_email


def test_archive_keeps_a_self_contained_copy(tmp_path):
    r = report("en", data_dir=tmp_path)
    assert r.archive_path is not None and r.archive_path.parent == tmp_path / "reports"
    saved = r.archive_path.read_text(encoding="utf-8")
    assert saved == r.html_archive and "data:image/png;base64," in saved and "cid:" not in saved
    assert str(r.archive_path) in r.text
    assert archive.list_reports(tmp_path) == [r.archive_path]
    # the email copy refers to its images by Content-ID, each one carried by the report
    cids = set(re.findall(r'src="cid:([^"]+)"', r.html_email))
    assert cids and cids == {img.cid for img in r.images}


def test_one_environment_strict_and_autoescaping():
    env = render.ENV
    assert env.autoescape("report.html.j2") and not env.autoescape("report.txt.j2")
    from jinja2 import StrictUndefined, UndefinedError

    assert env.undefined is StrictUndefined
    with pytest.raises(UndefinedError):
        env.from_string("{{ nope }}").render()
    with pytest.raises(UnknownLanguage, match="en, zh-CN"):
        build_report([], language="fr", generated_at=T)


def test_unconfirmed_still_alerts_say_so():
    alerts = [
        dataclasses.replace(a, checked=False) if a.lifecycle is Lifecycle.STILL else a
        for a in sample_alerts(T)
    ]
    r = build_report(alerts, language="en", generated_at=T)
    assert "not re-checked: the page could not be read this run" in visible_text(r.html_archive)
    assert "not re-checked: the page could not be read this run" in r.text
    assert "not re-checked" not in report("en").text
