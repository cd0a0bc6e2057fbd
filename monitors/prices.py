"""Competitor prices: a move of at least N %, crossing the own price, and the trend over a week."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from crawler.records import Money
from monitors.base import Alert, Monitor, Severity
from monitors.common import OK, check_flapping, comparable, pct_change, shown
from monitors.history import History
from monitors.settings import MonitorSettings


def own_prices(history: History, asins: tuple[str, ...], marketplace: str) -> list[tuple[str, Money]]:
    out = []
    for asin in asins:
        cur, _, _ = history.product_pair((asin, marketplace))
        if cur is not None and cur.price is not None:
            out.append((asin, cur.price))
    return out


class CompetitorPriceChanged(Monitor):
    """A competitor's price moved by at least N % (5 % by default) since the last run, or crossed the
    price of the own product it competes with."""

    name = "competitor_price"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries in history.products.items():
            against = settings.competitors.get(key[0])
            if against is None:
                continue
            cur, prev, _ = history.product_pair(key)
            if cur is None or prev is None or not comparable(prev.price, cur.price):
                continue
            old, new = prev.price.amount, cur.price.amount  # type: ignore[union-attr]
            if old == new:
                continue
            change = pct_change(old, new)
            crossed = [(asin, p) for asin, p in own_prices(history, against, key[1])
                       if p.currency == cur.price.currency  # type: ignore[union-attr]
                       and (old >= p.amount) != (new >= p.amount)]
            if not crossed and (change is None or abs(change) < settings.price_change_percent):
                continue
            flap = check_flapping(self, cur, entries, "price", lambda s: s.price,
                                  settings.flap_window, settings.flap_changes)
            if flap is not None:
                alerts.append(flap)
                continue
            params = {"before": old, "after": new, "currency": cur.price.currency,  # type: ignore[union-attr]
                      "percent": change if change is None else shown(change)}
            if crossed:
                asin, own = crossed[0]
                direction = "below" if new < own.amount else "above"
                alerts.append(self.product_alert(
                    cur, f"prices.crossed_{direction}", Severity.WARNING if direction == "below" else None,
                    field="price", before=old, after=new, event=True,
                    params={**params, "own_asin": asin, "own_price": own.amount}))
            else:
                alerts.append(self.product_alert(cur, "prices.changed", field="price", before=old, after=new,
                                                 event=True, params=params))
        return alerts


class CompetitorPriceTrend(Monitor):
    """A competitor's price moved by at least N % over the last week (compared with the last reading
    at least 7 days old), with the week's low and high."""

    name = "competitor_price_trend"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        days = settings.price_trend_days
        horizon = history.run.at - timedelta(days=days)
        for key, entries in history.products.items():
            if key[0] not in settings.competitors:
                continue
            cur, _, _ = history.product_pair(key)
            if cur is None or cur.price is None:
                continue
            base = None
            seen: list[Decimal] = []
            for run, snap in reversed(entries):
                if snap.outcome is not OK or not comparable(snap.price, cur.price):
                    continue
                if run.at <= horizon:
                    base = snap.price
                    break
                seen.append(snap.price.amount)  # type: ignore[union-attr]
            if base is None:
                continue
            change = pct_change(base.amount, cur.price.amount)
            if change is None or abs(change) < settings.price_change_percent:
                continue
            alerts.append(self.product_alert(
                cur, "prices.week_trend", field="price", discriminator=f"{days}d", before=base.amount,
                after=cur.price.amount,
                params={"days": days, "before": base.amount, "after": cur.price.amount, "percent": shown(change),
                        "currency": cur.price.currency, "low": min(seen), "high": max(seen)}))
        return alerts


MONITORS = (CompetitorPriceChanged, CompetitorPriceTrend)
