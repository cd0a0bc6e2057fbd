"""Other sellers on own listings: unauthorised sellers, lookalikes of the own shop, undercutting."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from crawler.records import Offer, ProductSnapshot
from monitors.base import Alert, Monitor, Severity
from monitors.common import amount, own_pairs
from monitors.history import History, Key
from monitors.settings import MonitorSettings

# Characters sellers swap in to look like another shop (digit for letter, Cyrillic for Latin).
_CONFUSABLES = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "5": "s", "$": "s", "@": "a",
                              "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y"})
_NON_ALNUM = re.compile(r"[\W_]+")
_NEW_CONDITIONS = ("new", "neu", "nuevo", "neuf", "nuovo", "novo", "nieuw", "nowy", "新品", "全新")


def skeleton(name: str) -> str:
    """A seller name reduced to what a shopper sees at a glance: no case, accents, spaces or lookalikes."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_ALNUM.sub("", text.translate(_CONFUSABLES)).replace("rn", "m")


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:] or (len(a) == len(b) and a[i + 1:] == b[i + 1:])


def looks_like(name: str | None, own_names: tuple[str, ...]) -> str | None:
    """The own seller name that `name` imitates (same skeleton, or one edit away for longer names)."""
    if not name:
        return None
    s = skeleton(name)
    for own in own_names:
        o = skeleton(own)
        if s == o or (len(o) >= 6 and _within_one_edit(s, o)):
            return own
    return None


# The other sellers are known only when the all-offers panel was read (or the page needs none).
OFFERS = frozenset({"offers"})


def current_offers(history: History, key: Key, cur: ProductSnapshot | None) -> tuple[Offer, ...] | None:
    """This run's offers: the full offers panel when it was read ok, else the product page's; None when
    the page counts other sellers whose panel could not be read (unknown is not "gone")."""
    pages = history.offers.get(key)
    if pages and history.is_current(pages[-1][0]) and pages[-1][1].outcome.value == "ok":
        return pages[-1][1].offers
    if cur is None or OFFERS.intersection(cur.missing):
        return None
    offers = list(cur.offers)
    if cur.buybox_seller_id and all(o.seller_id != cur.buybox_seller_id for o in offers):
        offers.append(Offer(cur.buybox_seller, cur.buybox_seller_id, cur.price, condition=None,
                            fulfilled_by_amazon=cur.fulfilled_by_amazon, is_buybox=True))
    return tuple(offers)


def _offer_params(o: Offer) -> dict:
    return {"seller": o.seller, "seller_id": o.seller_id, "price": amount(o.price),
            "currency": o.price and o.price.currency, "condition": o.condition, "fba": o.fulfilled_by_amazon,
            "seller_rating": o.seller_rating, "seller_rating_count": o.seller_rating_count}


def _is_new(condition: str | None) -> bool:
    return condition is None or condition.strip().casefold().startswith(_NEW_CONDITIONS)


class UnauthorisedSeller(Monitor):
    """A seller that is neither the own shop nor an authorised reseller offers an own listing.
    Opened on the run it appears, carried while it stays, resolved when it leaves."""

    name = "unauthorised_seller"
    severity = Severity.WARNING
    needs = OFFERS

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            offers = current_offers(history, key, cur)
            if cur is None or not offers:
                continue
            seen = set()
            for o in offers:
                ident = o.seller_id or o.seller
                if not ident or ident in seen or settings.is_authorised(o.seller_id, key[1]):
                    continue
                seen.add(ident)
                if looks_like(o.seller, settings.own_seller_names):
                    continue  # the lookalike monitor reports it, as critical
                alerts.append(self.product_alert(cur, "sellers.new", field="seller", discriminator=ident,
                                                 after=o.seller, params=_offer_params(o)))
        return alerts


class LookalikeSeller(Monitor):
    """A seller whose name imitates the own shop's name but whose seller id is not own: a hijacker
    posing as the brand."""

    name = "lookalike_seller"
    severity = Severity.CRITICAL
    needs = OFFERS

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts: list[Alert] = []
        if not settings.own_seller_names:
            return alerts
        for key, entries, cur, prev in own_pairs(history, settings):
            offers = current_offers(history, key, cur)
            if cur is None or not offers:
                continue
            seen = set()
            for o in offers:
                imitated = looks_like(o.seller, settings.own_seller_names)
                ident = o.seller_id or o.seller or ""
                if imitated is None or ident in seen or settings.is_own_seller(o.seller_id, key[1]):
                    continue
                if o.seller_id is None:
                    continue  # without an id an own offer cannot be told from an impostor
                seen.add(ident)
                alerts.append(self.product_alert(cur, "sellers.lookalike", field="seller", discriminator=ident,
                                                 after=o.seller, params={**_offer_params(o), "imitates": imitated}))
        return alerts


class SellerCountRose(Monitor):
    """More sellers offer an own listing than at the last run."""

    name = "seller_count_rose"
    severity = Severity.INFO

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None or cur.other_sellers_count is None or prev.other_sellers_count is None:
                continue
            if cur.other_sellers_count > prev.other_sellers_count:
                alerts.append(self.product_alert(
                    cur, "sellers.count_rose", field="other_sellers_count", event=True,
                    before=prev.other_sellers_count, after=cur.other_sellers_count,
                    params={"before": prev.other_sellers_count, "after": cur.other_sellers_count}))
        return alerts


def own_price(offers: tuple[Offer, ...], cur: ProductSnapshot, settings: MonitorSettings) -> Offer | None:
    """The own new-condition offer (the cheapest if several)."""
    own = [o for o in offers if o.price is not None and settings.is_own_seller(o.seller_id, cur.marketplace)
           and _is_new(o.condition)]
    return min(own, key=lambda o: o.price.amount) if own else None  # type: ignore[union-attr]


def landed(o: Offer) -> Decimal | None:
    """Price plus shipping where the shipping is printed in the same currency."""
    if o.price is None:
        return None
    if o.shipping is not None and o.shipping.currency == o.price.currency:
        return o.price.amount + o.shipping.amount
    return o.price.amount


class Undercut(Monitor):
    """Another seller offers an own listing, new, for less than the own offer (price plus shipping)."""

    name = "undercut"
    severity = Severity.WARNING
    needs = OFFERS

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            offers = current_offers(history, key, cur)
            if cur is None or not offers:
                continue
            mine = own_price(offers, cur, settings)
            if mine is None or mine.price is None:
                continue
            my_price = landed(mine)
            seen = set()
            for o in sorted(offers, key=lambda o: landed(o) or 0):  # a seller's cheapest offer
                ident = o.seller_id or o.seller
                price = landed(o)
                if (not ident or ident in seen or price is None or settings.is_own_seller(o.seller_id, key[1])
                        or o.price is None or o.price.currency != mine.price.currency or not _is_new(o.condition)):
                    continue
                if my_price is not None and price < my_price:
                    seen.add(ident)
                    alerts.append(self.product_alert(
                        cur, "sellers.undercut", field="price", discriminator=ident, before=my_price, after=price,
                        params={**_offer_params(o), "landed": price, "own_price": my_price,
                                "difference": my_price - price}))
        return alerts


MONITORS = (UnauthorisedSeller, LookalikeSeller, SellerCountRose, Undercut)
