"""The suite: crash isolation, lifecycle across runs, ordering; and the monitor/message contract."""
from __future__ import annotations

import pytest

from monitors import suite
from monitors.base import Alert, Lifecycle, Monitor, Severity, SubjectKind
from monitors.buybox import BuyboxLost, BuyboxOwnerChanged
from monitors.messages import ENGLISH, MESSAGE_KEYS, english, template_fields
from monitors.prices import CompetitorPriceChanged
from monitors.suite import open_alerts, run_monitors
from tests.monitor_factories import (
    BLOCKED,
    COMP,
    OWN,
    history,
    lost,
    own_series,
    product,
    search_page,
    searches,
    settings,
    usd,
)


class Boom(Monitor):
    """Always crashes."""

    name = "boom"
    severity = Severity.WARNING

    def check(self, history, settings):
        raise RuntimeError("selector exploded")


def runs(snaps, monitors, previous=()):
    """Monitor each run of `snaps` in turn, feeding the open alerts forward; the alerts of every run."""
    out = []
    for i in range(len(snaps)):
        alerts = run_monitors(own_series(*snaps[: i + 1]), settings(), monitors, previous)
        previous = open_alerts(alerts)
        out.append(alerts)
    return out


def test_crash_is_isolated_and_reported_first():
    alerts = run_monitors(own_series(lost()), settings(), [Boom(), BuyboxLost()])
    assert [a.message_key for a in alerts] == ["health.monitor_crashed", "buybox.lost"]
    crash = alerts[0]
    assert crash.subject_kind is SubjectKind.CRAWL and crash.severity is Severity.CRITICAL
    assert crash.params == {"monitor": "boom", "error": "RuntimeError", "detail": "selector exploded"}


def test_lifecycle_opened_still_resolved():
    first, second, third = runs([lost(), lost(), product()], [BuyboxLost()])
    assert [(a.lifecycle, a.checked) for a in first] == [(Lifecycle.OPENED, True)]
    assert [(a.lifecycle, a.checked) for a in second] == [(Lifecycle.STILL, True)]
    assert [(a.lifecycle, a.checked) for a in third] == [(Lifecycle.RESOLVED, True)]
    opened_at = first[0].since
    assert second[0].since == opened_at == third[0].since
    assert open_alerts(third) == []


def test_unread_subject_is_not_resolved():
    _, blocked, back = runs([lost(), product(outcome=BLOCKED), lost()], [BuyboxLost()])
    assert [(a.lifecycle, a.checked) for a in blocked] == [(Lifecycle.STILL, False)]
    assert [(a.lifecycle, a.checked) for a in back] == [(Lifecycle.STILL, True)]


def test_crashed_monitor_does_not_resolve_its_alerts():
    (opened,) = run_monitors(own_series(lost()), settings(), [BuyboxLost()])

    class CrashingLost(Boom):
        name = "buybox_lost"

    alerts = run_monitors(own_series(lost(), product()), settings(), [CrashingLost()], [opened])
    assert {(a.message_key, a.lifecycle, a.checked) for a in alerts} == {
        ("health.monitor_crashed", Lifecycle.OPENED, True), ("buybox.lost", Lifecycle.STILL, False)}


def test_events_are_never_still_nor_resolved():
    prices = [usd("20"), usd("25"), usd("30"), usd("30")]
    out, previous = [], []
    for i in range(4):
        h = history({COMP: [product(COMP, price=p) for p in prices[: i + 1]]})
        alerts = run_monitors(h, settings(), [CompetitorPriceChanged()], previous)
        previous = open_alerts(alerts)
        out.append([(a.message_key, a.lifecycle) for a in alerts])
    assert out == [[], [("prices.changed", Lifecycle.OPENED)], [("prices.changed", Lifecycle.OPENED)], []]


def test_flapping_reported_once_then_compact():
    owners = ["A1", "A2", "A1", "A2", "A1"]
    previous, seen = [], []
    for i in range(len(owners)):
        h = history({COMP: [lost(COMP, o) for o in owners[: i + 1]]})
        alerts = run_monitors(h, settings(), [BuyboxOwnerChanged()], previous)
        previous = open_alerts(alerts)
        seen.append([(a.message_key, a.lifecycle) for a in alerts])
    assert seen[1] == seen[2] == [("buybox.owner_changed", Lifecycle.OPENED)]
    assert seen[3] == [("value.flapping", Lifecycle.OPENED)]
    assert seen[4] == [("value.flapping", Lifecycle.STILL)]
    assert [v for _, v in previous[0].params["values"]] == owners


def test_order_health_first_then_severity_subject_monitor():
    def alert(monitor, severity, kind, subject):
        return Alert(monitor, severity, kind, subject, "us", "buybox.suppressed")

    found = [alert("b", Severity.INFO, SubjectKind.PRODUCT, "B2"), alert("a", Severity.INFO, SubjectKind.PRODUCT, "B2"),
             alert("z", Severity.CRITICAL, SubjectKind.PRODUCT, "B9"), alert("c", Severity.INFO, SubjectKind.PRODUCT, "B1"),
             alert("h", Severity.WARNING, SubjectKind.CRAWL, "product"), alert("i", Severity.INFO, SubjectKind.CRAWL, "x")]
    ordered = suite.sort_alerts(found)
    assert [a.monitor for a in ordered] == ["h", "z", "i", "c", "a", "b"]


def test_one_alert_per_key():
    class Twice(Monitor):
        """Raises the same finding twice."""

        name = "twice"
        severity = Severity.INFO

        def check(self, history, settings):
            return [self.alert(SubjectKind.PRODUCT, OWN, "us", "buybox.suppressed")] * 2

    assert len(run_monitors(own_series(product()), settings(), [Twice()])) == 1


def test_all_monitors_run_clean_on_a_mixed_history():
    h = history({OWN: [product(), lost(), product(outcome=BLOCKED), lost(coupon=None, rating=None)],
                 COMP: [product(COMP), None, product(COMP, price=usd("9")), product(COMP, outcome=BLOCKED)]})
    searches([[search_page([OWN])], None, None, [search_page(["*B0X", OWN])]], h)
    alerts = run_monitors(h, settings())
    assert not [a for a in alerts if a.message_key == "health.monitor_crashed"]
    assert "buybox.lost" in {a.message_key for a in alerts}


def test_monitors_are_named_and_described():
    names = [cls.name for cls in suite.ALL]
    assert len(names) == len(set(names))
    for cls in suite.ALL:
        assert cls.name and isinstance(cls.severity, Severity) and len(cls.description()) > 20, cls


@pytest.mark.parametrize("key", sorted(MESSAGE_KEYS))
def test_every_message_has_an_english_template_using_its_params(key):
    assert template_fields(ENGLISH[key]) <= set(MESSAGE_KEYS[key])
    assert ENGLISH[key].format(**dict.fromkeys(MESSAGE_KEYS[key], "x"))


def test_no_template_without_key():
    assert set(ENGLISH) == set(MESSAGE_KEYS)


def test_english_rendering():
    (alert,) = run_monitors(own_series(lost()), settings(), [BuyboxLost()])
    assert english(alert).startswith("Buy box lost to Cheap Co (seller id AHIJACKER1) at 19.99 USD")
