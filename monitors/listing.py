"""Own listings: content that differs from what the seller expects or changed since the last run,
and listings that went unavailable, disappeared or redirect elsewhere."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.records import BuyboxState, Outcome, ProductSnapshot
from monitors.base import Alert, Monitor, Severity
from monitors.common import check_flapping, image_id, norm_text, own_pairs, plain, streak_since
from monitors.history import History
from monitors.settings import MonitorSettings, OwnProduct


def _breadcrumb_matches(expected: str, crumbs: tuple[str, ...]) -> bool:
    want = " > ".join(p.strip() for p in expected.split(">")).casefold()
    path = " > ".join(c.strip() for c in crumbs).casefold()
    return want == path or want == crumbs[-1].strip().casefold()


def differences(exp: OwnProduct, snap: ProductSnapshot) -> list[tuple[str, Any, Any]]:
    """(field, expected, actual) for each expectation the page contradicts; unshown values are skipped."""
    out: list[tuple[str, Any, Any]] = []
    if exp.title is not None and snap.title is not None and norm_text(exp.title) != norm_text(snap.title):
        out.append(("title", exp.title, snap.title))
    if exp.brand is not None and snap.brand is not None and exp.brand.casefold() != snap.brand.casefold():
        out.append(("brand", exp.brand, snap.brand))
    if exp.main_image is not None and snap.images and image_id(exp.main_image) != image_id(snap.images[0]):
        out.append(("main_image", exp.main_image, snap.images[0]))
    if exp.bullets_count is not None and snap.bullets and len(snap.bullets) != exp.bullets_count:
        out.append(("bullets_count", exp.bullets_count, len(snap.bullets)))
    if exp.category is not None and snap.breadcrumbs and not _breadcrumb_matches(exp.category, snap.breadcrumbs):
        out.append(("category", exp.category, " > ".join(snap.breadcrumbs)))
    return out


class ListingNotAsExpected(Monitor):
    """An own listing's title, brand, main image, number of bullets or category differs from the values
    in the configuration."""

    name = "listing_not_as_expected"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key in history.products:
            exp = settings.own(*key)
            if exp is None:
                continue
            cur, _, _ = history.product_pair(key)
            if cur is None:
                continue
            for name, expected, actual in differences(exp, cur):
                alerts.append(self.product_alert(cur, "listing.not_as_expected", field=name, before=expected,
                                                 after=actual, params={"field": name, "expected": expected,
                                                                       "actual": actual}))
        return alerts


# Compared field -> how to read it; None values (not shown) are never compared.
WATCHED: dict[str, Callable[[ProductSnapshot], Any]] = {
    "title": lambda s: norm_text(s.title),
    "brand": lambda s: s.brand,
    "bullets": lambda s: s.bullets or None,
    "main_image": lambda s: image_id(s.images[0]) if s.images else None,
    "image_count": lambda s: len(s.images) or None,
    "breadcrumbs": lambda s: s.breadcrumbs or None,
    "has_aplus": lambda s: s.has_aplus,
    "parent_asin": lambda s: s.parent_asin,
}


class ListingChanged(Monitor):
    """Content of an own listing changed since the last run: title, bullets, main image, image count,
    brand, breadcrumb, A+ content or parent ASIN."""

    name = "listing_changed"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None:
                continue
            for name, get in WATCHED.items():
                before, after = get(prev), get(cur)
                if before is None or after is None or before == after:
                    continue
                flap = check_flapping(self, cur, entries, name, get, settings.flap_window, settings.flap_changes)
                alerts.append(flap or self.product_alert(
                    cur, "listing.changed", field=name, before=plain(before), after=plain(after), event=True,
                    params={"field": name, "before": plain(before), "after": plain(after)}))
        return alerts


def _unavailable(s: ProductSnapshot) -> bool:
    return s.buybox_state is BuyboxState.UNAVAILABLE or s.in_stock is False


class ListingUnavailable(Monitor):
    """An own listing is currently unavailable or out of stock."""

    name = "listing_unavailable"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or not _unavailable(cur):
                continue
            alerts.append(self.product_alert(
                cur, "listing.unavailable", field="availability", after=cur.availability,
                since=streak_since(entries, _unavailable), params={"availability": cur.availability}))
        return alerts


class ListingGone(Monitor):
    """A watched listing answered "not found" on two runs in a row (one miss can be a glitch)."""

    name = "listing_gone"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries in history.products.items():
            cur = history.current_product(key)
            if cur is None or cur.outcome is not Outcome.NOT_FOUND or len(entries) < 2:
                continue
            if entries[-2][1].outcome is not Outcome.NOT_FOUND:
                continue
            own = settings.own(*key) is not None
            if not own and key[0] not in settings.competitors:
                continue
            since = None
            for run, snap in reversed(entries):
                if snap.outcome is not Outcome.NOT_FOUND:
                    break
                since = run.at
            alerts.append(self.product_alert(cur, "listing.gone", None if own else Severity.INFO,
                                             field="outcome", after=cur.outcome.value, since=since,
                                             params={"own": own}))
        return alerts


class ListingRedirected(Monitor):
    """A watched listing's URL now lands on another product (merged, replaced or hijacked detail page)."""

    name = "listing_redirected"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key in history.products:
            cur = history.current_product(key)
            if cur is None or (cur.outcome is not Outcome.REDIRECTED and not cur.redirected_to):
                continue
            own = settings.own(*key) is not None
            if not own and key[0] not in settings.competitors:
                continue
            alerts.append(self.product_alert(cur, "listing.redirected", field="url", before=cur.url,
                                             after=cur.redirected_to, params={"to": cur.redirected_to}))
        return alerts


MONITORS = (ListingNotAsExpected, ListingChanged, ListingUnavailable, ListingGone, ListingRedirected)
