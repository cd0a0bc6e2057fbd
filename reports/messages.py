"""Alert texts: each `message_key` maps to a gettext msgid (the English text) and a short headline.

Monitors only name a key and give params (see monitors/base.py). Besides its own params every message
can use `subject`, `field`, `before`, `after`, `marketplace` and `monitor`, filled from the alert.
A key we do not know, or a message whose params are missing, still renders as "field: before → after".
Scraped values are returned as plain text; the templates escape them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitors.base import Alert, SubjectKind
from reports import i18n
from reports.i18n import N_
from reports.values import MONEY_FIELDS, field_label, format_value, subject_label

log = logging.getLogger(__name__)

# In these families `percent` is a change ("+12.5%"); elsewhere it is a share ("12.5%").
CHANGE_FAMILIES = frozenset({"prices", "bestsellers"})


@dataclass(frozen=True, slots=True)
class Message:
    text: str  # the full line in the report
    headline: str  # a few words for the e-mail subject and chat


# Keys and param names follow monitors/messages.py (MESSAGE_KEYS); money params come as a Decimal with
# the currency in the `currency` param, percents in percent units.
MESSAGES: dict[str, Message] = {
    "buybox.lost": Message(N_("Buy box lost to %(seller)s at %(price)s"), N_("buy box lost on %(subject)s")),
    "buybox.suppressed": Message(
        N_("Buy box suppressed: no featured offer"), N_("buy box suppressed on %(subject)s")
    ),
    "buybox.owner_changed": Message(
        N_("Buy box moved from %(before)s to %(seller)s at %(price)s"),
        N_("buy box changed hands on %(subject)s"),
    ),
    "buybox.share_low": Message(
        N_("Buy box held in %(share)s of readings over %(days)s days (threshold %(threshold)s)"),
        N_("low buy box share on %(subject)s"),
    ),
    "sellers.new": Message(
        N_("New seller %(seller)s offers it at %(price)s"), N_("new seller on %(subject)s")
    ),
    "sellers.lookalike": Message(
        N_("Seller %(seller)s imitates your shop name %(imitates)s, at %(price)s"),
        N_("look-alike seller on %(subject)s"),
    ),
    "sellers.count_rose": Message(
        N_("Number of sellers rose from %(before)s to %(after)s"), N_("more sellers on %(subject)s")
    ),
    "sellers.undercut": Message(
        N_("%(seller)s undercuts you: %(landed)s delivered against your %(own_price)s"),
        N_("undercut on %(subject)s"),
    ),
    "ratings.fell": Message(N_("Rating fell from %(before)s to %(after)s"), N_("rating fell on %(subject)s")),
    "ratings.below_floor": Message(
        N_("Rating %(rating)s is below your floor of %(floor)s"), N_("rating below floor on %(subject)s")
    ),
    "ratings.reviews_deleted": Message(
        N_("%(count)s ratings disappeared (%(before)s → %(after)s)"), N_("ratings removed on %(subject)s")
    ),
    "ratings.low_star_added": Message(
        N_("About %(estimate)s new %(stars)s-star ratings"), N_("new low-star ratings on %(subject)s")
    ),
    "ratings.new_low_star_review": Message(
        N_("New %(stars)s-star review: %(title)s"), N_("new low-star review on %(subject)s")
    ),
    "promotions.coupon_appeared": Message(
        N_("Coupon appeared: %(after)s"), N_("coupon appeared on %(subject)s")
    ),
    "promotions.coupon_changed": Message(
        N_("Coupon changed from %(before)s to %(after)s"), N_("coupon changed on %(subject)s")
    ),
    "promotions.coupon_disappeared": Message(
        N_("Coupon ended: %(before)s"), N_("coupon ended on %(subject)s")
    ),
    "promotions.deal_appeared": Message(N_("Deal started: %(after)s"), N_("deal started on %(subject)s")),
    "promotions.deal_changed": Message(
        N_("Deal changed from %(before)s to %(after)s"), N_("deal changed on %(subject)s")
    ),
    "promotions.deal_disappeared": Message(N_("Deal ended: %(before)s"), N_("deal ended on %(subject)s")),
    "promotions.below_floor": Message(
        N_("Sells at %(effective)s after the coupon, below your floor of %(floor)s"),
        N_("below price floor on %(subject)s"),
    ),
    "promotions.stacked_below_floor": Message(
        N_("Coupon and deal together bring %(price)s down to %(effective)s, below your floor of %(floor)s"),
        N_("stacked discounts below floor on %(subject)s"),
    ),
    "listing.not_as_expected": Message(
        N_("%(field)s is %(actual)s, expected %(expected)s"), N_("%(field)s not as expected on %(subject)s")
    ),
    "listing.changed": Message(
        N_("%(field)s changed: %(before)s → %(after)s"), N_("%(field)s changed on %(subject)s")
    ),
    "listing.unavailable": Message(
        N_("Listing unavailable: %(availability)s"), N_("%(subject)s unavailable")
    ),
    "listing.gone": Message(N_("Listing page not found on two runs in a row"), N_("%(subject)s gone")),
    "listing.redirected": Message(N_("Listing redirects to %(to)s"), N_("%(subject)s redirected")),
    "prices.changed": Message(
        N_("Price changed from %(before)s to %(after)s (%(percent)s)"), N_("price changed on %(subject)s")
    ),
    "prices.crossed_below": Message(
        N_("Price fell to %(after)s, below your %(own_asin)s at %(own_price)s"),
        N_("competitor below your price on %(subject)s"),
    ),
    "prices.crossed_above": Message(
        N_("Price rose to %(after)s, above your %(own_asin)s at %(own_price)s"),
        N_("competitor above your price on %(subject)s"),
    ),
    "prices.week_trend": Message(
        N_("Price moved %(percent)s over %(days)s days: %(before)s → %(after)s"),
        N_("price trend on %(subject)s"),
    ),
    "keywords.out_of_top_n": Message(
        N_("%(asin)s ranks #%(position)s, outside the top %(top_n)s"),
        N_("%(asin)s out of the top %(top_n)s for %(subject)s"),
    ),
    "keywords.falling": Message(
        N_("%(asin)s fell %(runs)s runs in a row: %(positions)s"), N_("%(asin)s falling for %(subject)s")
    ),
    "keywords.not_indexed": Message(
        N_("%(asin)s not found on the %(pages)s result pages read"), N_("%(asin)s not found for %(subject)s")
    ),
    "keywords.sponsored_above": Message(
        N_("Sponsored %(asin)s (%(brand)s) shows above your %(own_asin)s"),
        N_("sponsored result above you for %(subject)s"),
    ),
    "keywords.sponsored_banner": Message(
        N_("%(brand)s holds the sponsored banner"), N_("sponsored banner for %(subject)s")
    ),
    "bestsellers.new_entrant": Message(
        N_("New in the top %(top_n)s at #%(rank)s: %(asin)s %(title)s"), N_("new entrant in %(subject)s")
    ),
    "bestsellers.newcomer_stays": Message(
        N_("Newcomer %(asin)s %(title)s stayed in the top %(top_n)s for %(runs)s runs (now #%(rank)s)"),
        N_("newcomer holds on in %(subject)s"),
    ),
    "bestsellers.own_entered": Message(
        N_("Your %(asin)s entered the top %(top_n)s at #%(rank)s"), N_("you entered %(subject)s")
    ),
    "bestsellers.own_left": Message(
        N_("Your %(asin)s left the top %(top_n)s (was #%(before)s)"), N_("you left %(subject)s")
    ),
    "bestsellers.rank_moved": Message(
        N_("%(asin)s %(title)s moved from #%(before)s to #%(rank)s"), N_("rank moved in %(subject)s")
    ),
    "bestsellers.bsr_moved": Message(
        N_("Sales rank in %(category)s moved from #%(before)s to #%(after)s"),
        N_("sales rank moved on %(subject)s"),
    ),
    "newlistings.new_asin": Message(
        N_("%(brand)s listed %(asin)s: %(title)s at %(price)s"), N_("new listing by %(subject)s")
    ),
    "health.blocked": Message(
        N_("%(count)s of %(total)s %(kind)s were blocked (%(percent)s)"), N_("crawl blocked on %(subject)s")
    ),
    "health.failed": Message(
        N_("%(count)s of %(total)s %(kind)s failed to load (%(percent)s)"),
        N_("crawl failures on %(subject)s"),
    ),
    "health.missing_field": Message(
        N_("%(field_name)s missing on %(count)s of %(total)s %(kind)s (%(percent)s)"),
        N_("%(field_name)s missing on %(subject)s"),
    ),
    "health.not_fetched": Message(
        N_("%(count)s of %(total)s %(kind)s were not fetched"), N_("%(subject)s not fetched")
    ),
    "health.monitor_crashed": Message(
        N_("Monitor %(monitor)s crashed (%(error)s): its findings are missing"),
        N_("monitor %(monitor)s crashed"),
    ),
    "value.flapping": Message(
        N_("%(field)s keeps changing (%(changes)s changes): %(values)s"),
        N_("%(field)s keeps changing on %(subject)s"),
    ),
}

GENERIC = Message(N_("%(field)s: %(before)s → %(after)s"), N_("%(field)s changed on %(subject)s"))
GENERIC_NO_FIELD = Message(N_("%(subject)s: %(before)s → %(after)s"), N_("change on %(subject)s"))


class _Params(dict):
    """Params for `%` formatting that notes a missing name instead of raising."""

    missing: bool = False

    def __missing__(self, key: str) -> str:
        self.missing = True
        return ""


def currency_of(alert: Alert) -> str | None:
    currency = (alert.params or {}).get("currency")
    return currency if isinstance(currency, str) else None


def before_after(alert: Alert) -> tuple[str, str, str] | None:
    """(field label, before, after) for the report's before → after row, or None when there is none."""
    if alert.field is None or alert.subject_kind is SubjectKind.CRAWL:
        return None
    if alert.before is None:  # something new: the message says what appeared
        return None
    cur = currency_of(alert)
    return (
        field_label(alert.field),
        format_value(alert.before, alert.field, cur),
        format_value(alert.after, alert.field, cur),
    )


def _params(alert: Alert) -> _Params:
    cur = currency_of(alert)
    # before/after are money only when the alert's field is (a rank moving next to a price is not)
    money_field = alert.field in MONEY_FIELDS
    params = _Params(
        subject=subject_label(alert),
        marketplace=alert.marketplace,
        monitor=alert.monitor,
        field=field_label(alert.field),
        before=format_value(alert.before, alert.field, cur),
        after=format_value(alert.after, alert.field, cur),
    )
    for name, value in (alert.params or {}).items():
        name = str(name)
        if name in ("field", "field_name") and isinstance(value, str):
            params[name] = field_label(value)
        elif name == "kind" and isinstance(value, str):
            params[name] = subject_label(alert, value)
        elif name == "percent" and alert.message_key.split(".", 1)[0] in CHANGE_FAMILIES:
            params[name] = format_value(value, "percent_change", cur)
        elif name in ("before", "after"):
            params[name] = format_value(value, alert.field if money_field else name, cur)
        else:
            params[name] = format_value(value, name, cur)
    return params


def _fill(msgid: str, alert: Alert, fallback: Message, headline: bool) -> str:
    params = _params(alert)
    try:
        text = i18n.gettext(msgid) % params
    except (ValueError, TypeError, KeyError) as exc:  # a broken translation must not sink the report
        log.warning("message %r for %s does not format: %s", msgid, alert.message_key, exc)
        params.missing = True
    if not params.missing:
        return text
    if not alert.field and fallback is GENERIC:
        fallback = GENERIC_NO_FIELD
    generic = fallback.headline if headline else fallback.text
    return i18n.gettext(generic) % _params(alert)


def _entry(alert: Alert) -> Message:
    return MESSAGES.get(alert.message_key) or (GENERIC if alert.field else GENERIC_NO_FIELD)


def message(alert: Alert) -> str:
    """The alert's line in the report, translated; never raises for unknown keys or missing params."""
    return _fill(_entry(alert).text, alert, GENERIC, headline=False)


def headline(alert: Alert) -> str:
    return _fill(_entry(alert).headline, alert, GENERIC, headline=True)
