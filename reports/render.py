"""The one Jinja environment of storewatch, and the helpers its templates call.

Autoescape is on for HTML (scraped titles and seller names are untrusted), undefined names raise
(`StrictUndefined`), and the i18n extension takes its gettext from the language set by
`i18n.use_language`, so the same templates render English and Chinese. Templates never read the clock:
the report's time comes from the model.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote_plus, urlsplit

import css_inline
from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from crawler import marketplaces
from crawler.records import is_asin
from monitors.base import Alert, Severity, SubjectKind
from reports import charts, i18n, messages, values
from reports.i18n import N_
from reports.model import AlertView, ChartSpec, ReportModel

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
THUMB_WIDTH = 280
MAX_THUMBS = 8

SEVERITY_LABELS = {
    Severity.CRITICAL: N_("Critical"),
    Severity.WARNING: N_("Warning"),
    Severity.INFO: N_("Info"),
}
SECTION_TITLES = {
    "health": N_("Crawl health"),
    "own": N_("Your listings"),
    "competitors": N_("Competitors"),
    "keywords": N_("Keywords"),
    "lists": N_("Best-seller lists"),
    "new_listings": N_("Competitors' new listings"),
}
METRIC_LABELS = {
    "price": N_("Price"),
    "rank": N_("Sales rank"),
    "rating": N_("Rating"),
    "buybox_share": N_("Buy box share"),
    "position": N_("Search position"),
}


@dataclass(frozen=True, slots=True)
class InlineImage:
    key: str
    data: bytes
    subtype: str  # "png" | "jpeg"

    @property
    def cid(self) -> str:
        return f"{hashlib.sha1(self.key.encode()).hexdigest()[:16]}@storewatch"

    @property
    def data_uri(self) -> str:
        return f"data:image/{self.subtype};base64,{base64.b64encode(self.data).decode('ascii')}"


def chart_key(spec: ChartSpec) -> str:
    return f"chart:{spec.subject}:{spec.metric}"


def evidence_key(path: Path) -> str:
    return f"shot:{path}"


def severity_label(severity: Severity | str) -> str:
    return i18n.gettext(SEVERITY_LABELS[Severity(severity)])


def section_title(section_id: str) -> str:
    return i18n.gettext(SECTION_TITLES[section_id])


def marketplace_name(code: str) -> str:
    """The marketplace's country in the report language ("United States", "德国"); the code if unknown."""
    try:
        territory = Locale.parse(marketplaces.get(code).locale, sep="-").territory
    except (ValueError, LookupError):
        return code
    return i18n.current().locale.territories.get(territory or "", code)


def link(alert: Alert) -> str | None:
    """Where the subject can be seen: the alert's own http(s) URL, else one built from the marketplace."""
    if alert.url and urlsplit(alert.url).scheme in ("http", "https"):
        return alert.url
    try:
        base = marketplaces.get(alert.marketplace).base_url
    except ValueError:
        return None
    asin = (alert.params or {}).get("asin")
    if alert.subject_kind is SubjectKind.PRODUCT and is_asin(alert.subject):
        return f"{base}/dp/{alert.subject}"
    if alert.subject_kind is SubjectKind.KEYWORD:
        return f"{base}/s?k={quote_plus(alert.subject)}"
    if isinstance(asin, str) and is_asin(asin):
        return f"{base}/dp/{asin}"
    return None


def product_title(view: AlertView) -> str | None:
    return values.cut(view.title) if view.title and view.title.strip() else None


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            disabled_extensions=("txt", "txt.j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        message=messages.message,
        headline=messages.headline,
        when=i18n.when,
        number=i18n.number,
        severity=severity_label,
        market=marketplace_name,
    )
    env.globals.update(
        section_title=section_title,
        field_label=values.field_label,
        subject_label=values.subject_label,
        link=link,
        product_title=product_title,
        before_after=messages.before_after,
        Severity=Severity,
    )
    return env


ENV = _make_env()


def render_images(model: ReportModel) -> dict[str, InlineImage]:
    """Charts and evidence thumbnails for the model's rows (call inside `use_language`)."""
    images: dict[str, InlineImage] = {}
    thumbs = 0
    for view in model.views():
        if view.chart is not None:
            spec = view.chart
            title = f"{i18n.gettext(METRIC_LABELS.get(spec.metric, spec.metric))} — {spec.subject}"
            ylabel = spec.currency or ("%" if spec.metric == "buybox_share" else "")
            images[chart_key(spec)] = InlineImage(
                chart_key(spec), charts.render_chart(spec, title=title, ylabel=ylabel), "png"
            )
        if view.evidence is not None and thumbs < MAX_THUMBS and evidence_key(view.evidence) not in images:
            data = thumbnail(view.evidence)
            if data is not None:
                thumbs += 1
                images[evidence_key(view.evidence)] = InlineImage(evidence_key(view.evidence), data, "jpeg")
    return images


def thumbnail(path: Path) -> bytes | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as source:
            # The top of a page screenshot holds what matters (title, price, buy box); a full page
            # shrunk to 280 px would be a smear, and heavy in every copy of the report.
            img = source.convert("RGB").crop((0, 0, source.width, min(source.height, source.width * 5 // 4)))
            img.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 5 // 4))
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=70, optimize=True)
            return out.getvalue()
    except (OSError, UnidentifiedImageError) as exc:
        log.warning("evidence screenshot %s left out: %s", path, exc)
        return None


def render_html(
    model: ReportModel, images: dict[str, InlineImage], *, subject: str, mode: Literal["email", "archive"]
) -> str:
    """The e-mail copy refers to images by Content-ID (they travel as MIME parts); the archive copy
    carries them inline as data: URIs, so the one file is the whole report."""

    def src(view: AlertView, kind: Literal["chart", "evidence"]) -> str | None:
        if kind == "chart" and view.chart is not None:
            image = images.get(chart_key(view.chart))
        elif kind == "evidence" and view.evidence is not None:
            image = images.get(evidence_key(view.evidence))
        else:
            return None
        if image is None:
            return None
        return f"cid:{image.cid}" if mode == "email" else image.data_uri

    html = ENV.get_template("report.html.j2").render(
        model=model, subject=subject, src=src, lang_tag=model.language
    )
    if mode == "email":
        # Gmail and Outlook drop <style>: inline it; @media rules cannot be inlined and stay in <head>.
        html = css_inline.inline(html, keep_at_rules=True, load_remote_stylesheets=False)
    return html


def render_text(model: ReportModel, *, subject: str, archive_hint: str | None = None) -> str:
    return ENV.get_template("report.txt.j2").render(model=model, subject=subject, archive_hint=archive_hint)


def render_subject(model: ReportModel) -> str:
    """ "[storewatch] 2 critical: buy box lost on B0… · 5 warnings", in the current language."""
    c = model.counts
    order = [s for s in Severity if c[s]]
    if not order:
        text = i18n.gettext("no open alerts")
        if model.resolved:
            text += " · " + i18n.ngettext("%(num)d resolved", "%(num)d resolved", len(model.resolved)) % {
                "num": len(model.resolved)
            }
        return f"[storewatch] {text}"
    parts = [_count_phrase(s, c[s]) for s in order]
    first = parts[0]
    if model.top is not None:
        first = i18n.gettext("%(count)s: %(headline)s") % {
            "count": first,
            "headline": messages.headline(model.top),
        }
    text = " · ".join([first, *parts[1:]])
    return f"[storewatch] {text[:180]}"


def _count_phrase(severity: Severity, n: int) -> str:
    # Literal ngettext calls, so the extractor sees each plural pair.
    if severity is Severity.CRITICAL:
        text = i18n.ngettext("%(num)d critical", "%(num)d critical", n)
    elif severity is Severity.WARNING:
        text = i18n.ngettext("%(num)d warning", "%(num)d warnings", n)
    else:
        text = i18n.ngettext("%(num)d info", "%(num)d info", n)
    return text % {"num": n}
