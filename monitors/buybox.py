"""Who holds the buy box: lost on an own listing, suppressed, changing hands, share over days."""
from __future__ import annotations

from datetime import timedelta

from crawler.records import BuyboxState, ProductSnapshot
from monitors.base import Alert, Monitor, Severity
from monitors.common import OK, amount, check_flapping, own_pairs, percent, shown, streak_since
from monitors.history import History
from monitors.settings import MonitorSettings


def holder(snap: ProductSnapshot) -> str | None:
    """The buy-box winner's id (else name); None when nobody holds it or it was not shown."""
    if snap.buybox_state not in (BuyboxState.OWNED, None):
        return None
    return snap.buybox_seller_id or snap.buybox_seller


def own_holds(snap: ProductSnapshot, settings: MonitorSettings) -> bool | None:
    """True/False when the page says who holds the buy box; None when it does not tell."""
    if snap.buybox_state in (BuyboxState.SUPPRESSED, BuyboxState.UNAVAILABLE):
        return False
    if snap.buybox_state is not BuyboxState.OWNED:
        return None
    if snap.buybox_seller_id:
        return settings.is_own_seller(snap.buybox_seller_id, snap.marketplace)
    if snap.buybox_seller:  # no id printed: fall back on the exact own seller name
        names = {n.casefold() for n in settings.own_seller_names}
        return snap.buybox_seller.casefold() in names
    return None


class BuyboxLost(Monitor):
    """An own listing's buy box is held by another seller: who took it, at what price, FBA or not."""

    name = "buybox_lost"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or own_holds(cur, settings) is not False or cur.buybox_state is not BuyboxState.OWNED:
                continue
            since = streak_since(entries, lambda s: own_holds(s, settings) is False)
            alerts.append(self.product_alert(
                cur, "buybox.lost", field="buybox_seller", before=prev and holder(prev), after=holder(cur),
                since=since, params={
                    "seller": cur.buybox_seller, "seller_id": cur.buybox_seller_id,
                    "price": amount(cur.price), "currency": cur.price and cur.price.currency,
                    "fba": cur.fulfilled_by_amazon, "ships_from": cur.ships_from}))
        return alerts


class BuyboxSuppressed(Monitor):
    """An own listing shows no featured offer ("See all buying options"): nobody wins the buy box."""

    name = "buybox_suppressed"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or cur.buybox_state is not BuyboxState.SUPPRESSED:
                continue
            since = streak_since(entries, lambda s: s.buybox_state is BuyboxState.SUPPRESSED)
            alerts.append(self.product_alert(cur, "buybox.suppressed", field="buybox_state",
                                             after=cur.buybox_state.value, since=since, params={}))
        return alerts


class BuyboxOwnerChanged(Monitor):
    """The buy box of a competitor's listing changed hands since the last run."""

    name = "buybox_owner_changed"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries in history.products.items():
            if key[0] not in settings.competitors:
                continue
            cur, prev, _ = history.product_pair(key)
            if cur is None or prev is None:
                continue
            before, after = holder(prev), holder(cur)
            if before is None or after is None or before == after:
                continue
            flap = check_flapping(self, cur, entries, "buybox_seller", holder,
                                  settings.flap_window, settings.flap_changes)
            if flap is not None:
                alerts.append(flap)
                continue
            alerts.append(self.product_alert(
                cur, "buybox.owner_changed", field="buybox_seller", before=before, after=after, event=True,
                params={"before": prev.buybox_seller or before, "seller": cur.buybox_seller or after,
                        "price": amount(cur.price), "currency": cur.price and cur.price.currency,
                        "fba": cur.fulfilled_by_amazon}))
        return alerts


class BuyboxShare(Monitor):
    """The share of ok readings in which the own seller held the buy box, over the last 7 and 30 days,
    is below the threshold (85 % by default)."""

    name = "buybox_share"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        now = history.run.at
        longest = max(settings.buybox_share_days, default=0)
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None:
                continue
            start = now - timedelta(days=longest)
            window = []  # (age in days, held) newest first
            for run, snap in reversed(entries):
                if run.at <= start:
                    break
                if snap.outcome is OK:
                    held = own_holds(snap, settings)
                    if held is not None:
                        window.append((now - run.at, held))
            for days in settings.buybox_share_days:
                limit = timedelta(days=days)
                readings = [held for age, held in window if age < limit]
                if len(readings) < settings.buybox_share_min_samples:
                    continue
                share = percent(sum(readings), len(readings))
                if share < settings.buybox_share_min:
                    share = shown(share)
                    alerts.append(self.product_alert(
                        cur, "buybox.share_low", field="buybox_share", discriminator=f"{days}d", after=share,
                        params={"days": days, "share": share, "threshold": settings.buybox_share_min,
                                "readings": len(readings)}))
        return alerts


MONITORS = (BuyboxLost, BuyboxSuppressed, BuyboxOwnerChanged, BuyboxShare)
