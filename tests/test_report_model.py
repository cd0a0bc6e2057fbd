"""The report's view model and alert texts: grouping, ordering, trimming, translation coverage."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from crawler.records import Money
from monitors.base import Alert, Lifecycle, Severity, SubjectKind
from reports import i18n, messages
from reports.model import EmailCaps, build_model, for_email, section_of
from reports.samples import many_alerts, sample_alerts, sample_series
from reports.values import format_value

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
IMPLICIT = {"subject", "field", "before", "after", "marketplace", "monitor"}  # filled from the Alert
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def alert(key: str, **kw) -> Alert:
    defaults = {
        "monitor": "m",
        "severity": Severity.WARNING,
        "subject_kind": SubjectKind.PRODUCT,
        "subject": "B0TEST0001",
        "marketplace": "us",
        "message_key": key,
    }
    return Alert(**{**defaults, **kw})


def test_sections_order_and_health_first_when_crawl_is_broken():
    model = build_model(sample_alerts(T), language="en", generated_at=T, series=sample_series(T))
    ids = [s.id for s in model.sections]
    assert ids == ["health", "own", "competitors", "keywords", "lists", "new_listings"]
    assert model.health_first
    assert model.top is not None and model.top.message_key == "buybox.lost"
    assert model.counts == {Severity.CRITICAL: 2, Severity.WARNING: 5, Severity.INFO: 6}
    assert model.new_counts[Severity.WARNING] == 4  # one warning is "still"
    own = next(s for s in model.sections if s.id == "own")
    assert [v.alert.message_key for v in own.still] == ["promotions.coupon_changed"]
    assert [v.alert.message_key for v in model.resolved] == ["promotions.deal_disappeared"]
    # one chart per subject and metric, on the first row of that subject
    charts = [(v.alert.subject, v.chart.metric) for v in model.views() if v.chart]
    assert ("B0OWN00001", "price") in charts and ("B0COMP0001", "price") in charts
    assert len(charts) == len(set(charts))


def test_health_goes_last_when_only_informational():
    alerts = [
        alert("listing.changed"),
        alert(
            "health.not_fetched", severity=Severity.INFO, subject_kind=SubjectKind.CRAWL, subject="product"
        ),
    ]
    model = build_model(alerts, language="en", generated_at=T)
    assert not model.health_first
    assert [s.id for s in model.sections] == ["own", "health"]


def test_section_of_uses_role_then_own_asins():
    assert section_of(alert("listing.changed", params={"role": "competitor"})) == "competitors"
    assert section_of(alert("promotions.coupon_changed", params={"own": False})) == "competitors"
    assert section_of(alert("prices.changed")) == "competitors"  # that monitor watches competitors only
    assert section_of(alert("listing.changed")) == "own"
    assert section_of(alert("listing.changed"), own_asins={"B0OTHER001"}) == "competitors"
    assert section_of(alert("keywords.falling", subject_kind=SubjectKind.KEYWORD)) == "keywords"


def test_email_copy_keeps_criticals_caps_warnings_and_counts_info():
    model = build_model(many_alerts(T, 1000), language="en", generated_at=T)
    email = for_email(model, EmailCaps(critical=80, warning=10, still=5, resolved=3))
    listed = list(email.views())
    by_sev = {s: sum(1 for v in listed if v.severity is s) for s in Severity}
    assert by_sev[Severity.CRITICAL] == model.counts[Severity.CRITICAL] == 20
    assert by_sev[Severity.WARNING] <= 10 + 5
    assert all(v.alert.lifecycle is Lifecycle.STILL for v in listed if v.severity is Severity.INFO) is True
    assert by_sev[Severity.INFO] == 0
    hidden = sum(sum(s.hidden.values()) for s in email.sections)
    assert hidden + len(listed) == sum(model.counts.values())
    assert email.counts == model.counts  # the counts at the top stay true


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_key_renders_with_its_params(language):
    with i18n.use_language(language):
        for key, entry in messages.MESSAGES.items():
            params = {name: f"<{name}>" for name in PLACEHOLDER.findall(entry.text + entry.headline)}
            a = alert(key, params=params)
            line = messages.message(a)
            for name, value in params.items():
                if name not in IMPLICIT | {"kind", "field_name"} and name in PLACEHOLDER.findall(entry.text):
                    assert value in line, (key, line)
            assert messages.headline(a)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_unknown_key_and_missing_params_fall_back_to_field_before_after(language):
    with i18n.use_language(language):
        unknown = alert(
            "brand.new.thing",
            field="price",
            before=Money(Decimal("9.5"), "USD"),
            after={"amount": "11", "currency": "USD"},
        )
        line = messages.message(unknown)
        assert "9.50" in line and "11.00" in line and "→" in line
        # buybox.lost without its params must not print "None" or raise
        line = messages.message(alert("buybox.lost", field="buybox_seller", before="Me", after="Them"))
        assert "None" not in line
        assert "Me" in line and "Them" in line
        assert messages.message(alert("x.y")).startswith("B0TEST0001")


def test_values_are_formatted_per_language():
    a = alert(
        "prices.changed",
        field="price",
        before=Decimal("1299.5"),
        after=Decimal(1199),
        params={
            "before": Decimal("1299.5"),
            "after": Decimal(1199),
            "currency": "EUR",
            "percent": Decimal("-7.7"),
        },
    )
    rank = alert(
        "bestsellers.rank_moved",
        subject_kind=SubjectKind.LIST,
        field="rank",
        before=12,
        after=3,
        params={
            "asin": "B0TEST0002",
            "title": "T",
            "price": Decimal(5),
            "currency": "USD",
            "before": 12,
            "rank": 3,
        },
    )
    with i18n.use_language("en"):
        assert messages.message(a) == "Price changed from €1,299.50 to €1,199.00 (-7.7%)"
        assert messages.message(rank) == "B0TEST0002 T moved from #12 to #3"  # a rank is not money
        assert format_value(Decimal(42), "share") == "42%"
        assert format_value(Decimal("12.5"), "percent_change") == "+12.5%"
        assert format_value(Decimal("12.5"), "percent") == "12.5%"
        assert format_value(8, "rating_histogram") == "8%"  # a star count's share of all ratings
        assert format_value(Money(Decimal(3), "JPY")) == "¥3"
        assert format_value(None) == "not shown"
        assert messages.before_after(a) == ("price", "€1,299.50", "€1,199.00")
    with i18n.use_language("zh-CN"):
        assert messages.message(a) == "价格从 €1,299.50 变为 €1,199.00（-7.7%）"
        assert format_value(True) == "是"


def _catalog(folder: str):
    with (i18n.LOCALES_DIR / folder / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=folder)


def test_chinese_catalog_translates_everything_with_the_same_placeholders():
    from reports.locales.extract import extract

    wanted = {m.id for m in extract() if m.id}
    zh = {m.id: m for m in _catalog("zh_CN") if m.id}
    assert wanted <= set(zh), f"run `python -m reports.locales.extract`: {sorted(map(str, wanted - set(zh)))}"
    for msgid, m in zh.items():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        assert all(strings) and not m.fuzzy, f"untranslated: {msgid!r}"
        assert set(PLACEHOLDER.findall(strings[0])) == set(PLACEHOLDER.findall(ids[0])), msgid


def test_monitors_message_keys_are_all_known_and_params_match():
    if importlib.util.find_spec("monitors.messages") is None:
        pytest.skip("monitors/messages.py is not written yet")
    from monitors.messages import MESSAGE_KEYS

    assert sorted(set(MESSAGE_KEYS) - set(messages.MESSAGES)) == [], "keys the report cannot word"
    for key, entry in messages.MESSAGES.items():
        if key in MESSAGE_KEYS:
            used = set(PLACEHOLDER.findall(entry.text + entry.headline))
            assert used <= set(MESSAGE_KEYS[key]) | IMPLICIT, (key, used - set(MESSAGE_KEYS[key]))
