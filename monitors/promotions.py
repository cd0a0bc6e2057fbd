"""Coupons and deals on own and competitor listings, and discounts that stack below the price floor."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crawler.records import Coupon, Money, ProductSnapshot
from monitors.base import Alert, Monitor, Severity
from monitors.common import check_flapping
from monitors.history import History
from monitors.settings import MonitorSettings


def _coupon_value(c: Coupon | None) -> tuple[Any, ...] | None:
    # The printed text varies with the interface language; percent and amount are the offer itself.
    if c is None:
        return None
    if c.percent is None and c.amount is None:
        return (c.text,)
    return (c.percent, c.amount)


def _coupon_params(c: Coupon | None) -> dict[str, Any]:
    return {"text": c.text if c else None, "percent": c.percent if c else None,
            "amount": c.amount.amount if c and c.amount else None}


class _PromotionChanged(Monitor):
    field: str
    kind: str  # message key prefix: promotions.<kind>_appeared / _changed / _disappeared

    def value(self, snap: ProductSnapshot) -> Any:
        raise NotImplementedError

    def show(self, snap: ProductSnapshot) -> Any:
        raise NotImplementedError

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries in history.products.items():
            own = settings.own(*key) is not None
            if not own and key[0] not in settings.competitors:
                continue
            cur, prev, _ = history.product_pair(key)
            if cur is None or prev is None:
                continue
            before, after = self.value(prev), self.value(cur)
            if before == after:
                continue
            get: Callable[[ProductSnapshot], Any] = self.value
            flap = check_flapping(self, cur, entries, self.field, get, settings.flap_window, settings.flap_changes)
            if flap is not None:
                alerts.append(flap)
                continue
            change = "appeared" if before is None else "disappeared" if after is None else "changed"
            # An own promotion that ended unexpectedly is what a seller must act on.
            severity = Severity.WARNING if own and change == "disappeared" else None
            alerts.append(self.product_alert(
                cur, f"promotions.{self.kind}_{change}", severity, field=self.field, event=True,
                before=self.show(prev), after=self.show(cur),
                params={"own": own, "before": self.show(prev), "after": self.show(cur),
                        **self.params(cur)}))
        return alerts

    def params(self, snap: ProductSnapshot) -> dict[str, Any]:
        return {}


class CouponChanged(_PromotionChanged):
    """A coupon appeared, changed or disappeared on an own or competitor listing."""

    name = "coupon_changed"
    severity = Severity.INFO
    field = "coupon"
    kind = "coupon"

    def value(self, snap: ProductSnapshot) -> Any:
        return _coupon_value(snap.coupon)

    def show(self, snap: ProductSnapshot) -> Any:
        return snap.coupon.text if snap.coupon else None

    def params(self, snap: ProductSnapshot) -> dict[str, Any]:
        return {**_coupon_params(snap.coupon), "currency": snap.coupon and snap.coupon.amount
                and snap.coupon.amount.currency}


class DealChanged(_PromotionChanged):
    """A deal badge (Lightning Deal, Limited time deal...) appeared, changed or disappeared on an own or
    competitor listing."""

    name = "deal_changed"
    severity = Severity.INFO
    field = "deal_badge"
    kind = "deal"

    def value(self, snap: ProductSnapshot) -> Any:
        return snap.deal_badge

    def show(self, snap: ProductSnapshot) -> Any:
        return snap.deal_badge


def effective_price(price: Money, coupon: Coupon | None) -> Decimal | None:
    """The price after the coupon; None when the coupon's value is not known in this currency."""
    if coupon is None:
        return price.amount
    if coupon.percent is not None:
        return (price.amount * (100 - coupon.percent) / 100).quantize(Decimal("0.01"))
    if coupon.amount is not None and coupon.amount.currency == price.currency:
        return price.amount - coupon.amount.amount
    return None


class BelowPriceFloor(Monitor):
    """An own listing sells below its price floor once the coupon is taken off the (deal) price,
    typically a coupon stacked on a deal."""

    name = "below_price_floor"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key in history.products:
            own = settings.own(*key)
            if own is None or own.price_floor is None:
                continue
            cur, _, _ = history.product_pair(key)
            if cur is None or cur.price is None:
                continue
            effective = effective_price(cur.price, cur.coupon)
            if effective is None or effective >= own.price_floor:
                continue
            stacked = cur.coupon is not None and cur.deal_badge is not None
            alerts.append(self.product_alert(
                cur, "promotions.stacked_below_floor" if stacked else "promotions.below_floor",
                field="price", after=effective,
                params={"price": cur.price.amount, "currency": cur.price.currency, "effective": effective,
                        "floor": own.price_floor, "coupon": cur.coupon.text if cur.coupon else None,
                        "deal": cur.deal_badge}))
        return alerts


MONITORS = (CouponChanged, DealChanged, BelowPriceFloor)
