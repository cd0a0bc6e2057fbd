"""All offers of one ASIN: the all-offers panel (`/gp/aod/ajax?asin=`) and the old `/gp/offer-listing/` page.

The panel (AOD) holds the buy-box offer in `#aod-pinned-offer` and the others as `#aod-offer` blocks in
`#aod-offer-list`; each block names its condition (`#aod-offer-heading`), price (`#aod-offer-price`),
shipper (`#aod-offer-shipsFrom`) and seller (`#aod-offer-soldBy`, a link with `seller=` unless Amazon sells).
The old page (to ~2020) has one `div.olpOffer` row per offer; Amazon's own row shows only a logo image,
recognised by its hidden `merchantID` being the marketplace's retail merchant id.

Fulfilled by Amazon: the seller link's `isAmazonFulfilled=1|0` when present (both layouts print it), else
an FBA badge, Amazon as shipper or as seller; a third-party row shipped by someone else is merchant-fulfilled.
"""
from __future__ import annotations

import logging
import re
from decimal import Decimal

from crawler.marketplaces import Marketplace
from crawler.records import Money, Offer, OffersPage, Outcome
from spiders.parsers.cards import (
    FREE_RE,
    a_price,
    amazon_name,
    asin_from_href,
    buy_price,
    check_block,
    classes,
    clean,
    has_ancestor,
    is_amazon_name,
    looks_truncated,
    market_for,
    money_in,
    node_text,
    parse_count,
    query_value,
    read_money,
    seller_id_from_url,
    valid_asin,
    zero,
)
from spiders.parsers.common import attr, page_source
from spiders.parsers.dom import html_tree

log = logging.getLogger(__name__)

_AOD_ANCHORS = '#aod-container, #aod-offer-list, #aod-pinned-offer, [id="aod-offer"]'
_FULFILLED_RE = re.compile(r"isAmazonFulfilled=([01])")
_FBA_TEXT_RE = re.compile(r"fulfil+ment by amazon|fulfil+ed by amazon|expédié par amazon|versand durch amazon"
                          r"|gestionado por amazon|logistica di amazon|amazon 配送センター", re.IGNORECASE)
_PERCENT_RE = re.compile(r"(\d{1,3})\s?[%٪]|[%٪]\s?(\d{1,3})")  # Turkish writes "%97"
_OWN_SELLER_RE = re.compile(r"warehouse|resale", re.IGNORECASE)
_PAREN_COUNT_RE = re.compile(r"\(([^)]*\d[^)]*)\)")


def parse_offers(
    html: str | bytes, url: str, marketplace: str | None = None, status: int | None = None
) -> OffersPage:
    """Every offer row in page order, with `total_count` where the panel prints it."""
    source = page_source(html)
    market = market_for(url, marketplace)
    asin = valid_asin(query_value(url, "asin", "ASIN")) or asin_from_href(url) or ""
    blocked = check_block(source, status, url)  # UTF-8 bytes as they came: scanned by memmem (parsers.scan)
    if blocked is not None:
        return OffersPage(asin, market.code, url, blocked[0], blocked[1])

    tree = html_tree(source)
    if tree.css_first(_AOD_ANCHORS) is not None:
        offers, total = _aod(tree, market), _aod_total(tree)
    elif tree.css_first(".olpOffer") is not None:
        offers, total = _olp(tree, market), None
    else:
        return OffersPage(asin, market.code, url, Outcome.PARSE_INCOMPLETE, "no offer panel or offer rows",
                          missing=("offers",))
    asin = asin or _asin_on_page(tree)
    missing = sorted({name for o in offers for name in ("seller", "price", "condition") if getattr(o, name) is None})
    outcome = Outcome.OK
    reason: str | None = None
    if looks_truncated(source):
        outcome, reason = Outcome.PARSE_INCOMPLETE, "page cut short"
    if missing:
        log.debug("offers %s missing %s", asin, missing)
    return OffersPage(asin, market.code, url, outcome, reason, offers=tuple(offers), total_count=total,
                      missing=tuple(missing))


def _asin_on_page(tree) -> str:
    for node in tree.css('input[name="ASIN"], input[name="asin"]'):
        asin = valid_asin(attr(node, "value"))
        if asin:
            return asin
    return ""


# --- the all-offers panel -------------------------------------------------------------------------


def _aod(tree, market: Marketplace) -> list[Offer]:
    offers = []
    pinned = tree.css_first("#aod-pinned-offer")
    if pinned is not None and pinned.css_first("#aod-offer-price, #aod-offer-soldBy, #aod-offer-heading") is not None:
        offers.append(_aod_offer(pinned, market, buybox=True))
    taken: set[int] = set()
    for block in tree.css('[id="aod-offer"], #aod-offer-list .aod-information-block'):
        if block.mem_id in taken:
            continue  # an `#aod-offer` that is also an `.aod-information-block` matches twice
        if attr(block, "id") != "aod-offer" and block.css_first('[id="aod-offer"]') is not None:
            continue  # a wrapper around offer blocks
        if has_ancestor(block, None, lambda n: n.mem_id in taken or attr(n, "id") == "aod-pinned-offer"):
            continue  # a section inside an offer already read, or inside the pinned offer
        taken.add(block.mem_id)
        offers.append(_aod_offer(block, market, buybox=False))
    return offers


def _aod_total(tree) -> int | None:
    node = tree.css_first("#aod-total-offer-count")
    if node is not None:
        value = (attr(node, "value") or "").strip()
        if value.isdigit():
            return int(value)
    return parse_count(node_text(tree.css_first("#aod-filter-offer-count-string")))


def _value_span(box):
    """The value half of a "Ships from | Amazon.com" row: its link, else the last text span that is not
    the label (labels come first and are `.a-color-tertiary`); spans of the seller rating don't count."""
    if box is None:
        return None, None
    for link in box.css("a[href]"):
        if not _in_rating(link, box) and node_text(link):
            return node_text(link, separator=" "), attr(link, "href")
    value = None
    for span in box.css("span"):
        if "a-color-tertiary" in classes(span) or _in_rating(span, box):
            continue
        if any(child.tag == "span" for child in span.iter()):
            continue  # a wrapper: its inner spans are read on their own
        value = node_text(span, separator=" ") or value
    return value, None


def _in_rating(node, box) -> bool:
    cur = node.parent
    while cur is not None and cur.mem_id != box.mem_id:
        if (attr(cur, "id") or "").startswith(("aod-offer-seller-rating", "seller-rating")):
            return True
        cur = cur.parent
    return False


def _aod_offer(block, market: Marketplace, buybox: bool) -> Offer:
    heading = block.css_first("#aod-offer-heading")
    condition = node_text(heading.css_first("h5") or heading, separator=" ") if heading is not None else None
    price_box = block.css_first("#aod-offer-price") or block
    price = buy_price(price_box, market)
    ships_from, _ = _value_span(block.css_first("#aod-offer-shipsFrom"))
    seller, href = _value_span(block.css_first("#aod-offer-soldBy"))
    seller_id = seller_id_from_url(href)
    if seller_id is None and is_amazon_name(seller) and href is None and not _OWN_SELLER_RE.search(seller or ""):
        seller_id = market.retail_merchant_id  # Amazon the retailer; Warehouse/Resale have ids of their own
    rating_box = block.css_first("#aod-offer-seller-rating")
    return Offer(
        seller=seller,
        seller_id=seller_id,
        price=price,
        shipping=_aod_shipping(block, market),
        condition=condition,
        fulfilled_by_amazon=_fba(href, block, ships_from, seller),
        is_buybox=buybox,
        seller_rating=_percent(rating_box),
        seller_rating_count=_rating_count(rating_box),
    )


def _aod_shipping(block, market: Marketplace) -> Money | None:
    for node in block.css("[data-csa-c-delivery-price]"):
        value = clean(attr(node, "data-csa-c-delivery-price"))
        money = _shipping_from_text(value, market) if value else None
        if money is not None:
            return money
    promise = block.css_first(".aod-delivery-promise, #aod-offer-price .a-color-secondary")
    return _shipping_from_text(node_text(promise, separator=" "), market)


def _shipping_from_text(text: str | None, market: Marketplace) -> Money | None:
    """`+ $3.99 shipping` -> 3.99; "FREE delivery" / "FREE Shipping" alone -> 0; a conditional
    "FREE delivery on orders over $35" -> None (whether this order ships free is not on the page)."""
    if not text:
        return None
    amounts = money_in(text, market)
    if FREE_RE.search(text):
        return zero(market) if not any(m.amount for m in amounts) else None
    return amounts[0] if len(amounts) == 1 else None


def _fba(href: str | None, block, ships_from: str | None, seller: str | None) -> bool | None:
    if href:
        m = _FULFILLED_RE.search(href)
        if m:
            return m.group(1) == "1"
    if block.css_first(".olpFbaPopoverTrigger, #aod-fba-badge, [id^=\"aod-fba\"]") is not None:
        return True
    if _FBA_TEXT_RE.search(block.text() or ""):
        return True
    if is_amazon_name(seller) or is_amazon_name(ships_from):
        return True
    if ships_from:
        return False
    return None


def _percent(box) -> Decimal | None:
    m = _PERCENT_RE.search(node_text(box, separator=" ") or "")
    value = (m.group(1) or m.group(2)) if m else None
    return Decimal(value) if value is not None and int(value) <= 100 else None


def _rating_count(box) -> int | None:
    m = _PAREN_COUNT_RE.search(node_text(box, separator=" ") or "")
    return parse_count(m.group(1)) if m else None


# --- the old offer-listing page -------------------------------------------------------------------


def _olp(tree, market: Marketplace) -> list[Offer]:
    return [_olp_offer(row, market) for row in tree.css(".olpOffer")]


def _olp_offer(row, market: Marketplace) -> Offer:
    name_box = row.css_first(".olpSellerName")
    link = name_box.css_first("a[href]") if name_box is not None else None
    href = attr(link, "href") if link is not None else None
    seller = node_text(link, separator=" ") or node_text(name_box, separator=" ")
    merchant = row.css_first('input[name="merchantID"]')
    merchant_id = clean(attr(merchant, "value")) if merchant is not None else None
    if seller is None and name_box is not None:
        img = name_box.css_first("img[alt]")
        seller = clean(attr(img, "alt")) if img is not None else None
        if seller is None and merchant_id and merchant_id == market.retail_merchant_id:
            seller = amazon_name(market)  # the Amazon logo without alt text: its merchant id says who it is
    seller_id = seller_id_from_url(href) or merchant_id
    if seller_id is None:
        for a in row.css('a[href*="seller="]'):
            seller_id = seller_id_from_url(attr(a, "href"))
            if seller_id:
                break
    price_node = row.css_first(".olpOfferPrice")
    price = read_money(price_node.text(), market) if price_node is not None else None
    if price is None:
        for node in row.css(".a-price"):
            price = a_price(node, market)
            if price is not None:
                break
    seller_box = row.css_first(".olpSellerColumn") or name_box
    fba = _fba(href, row, None, seller)
    if fba is None:
        # the old page badges FBA rows ("Fulfillment by Amazon", Prime); an unbadged row ships from its seller
        fba = row.css_first(".supersaver, .a-icon-prime") is not None
    return Offer(
        seller=seller,
        seller_id=seller_id,
        price=price,
        shipping=_olp_shipping(row, market),
        condition=node_text(row.css_first(".olpCondition"), separator=" "),
        fulfilled_by_amazon=fba,
        is_buybox=False,
        seller_rating=_percent(seller_box) if seller_box is not None else None,
        seller_rating_count=_rating_count(seller_box) if seller_box is not None else None,
    )


def _olp_shipping(row, market: Marketplace) -> Money | None:
    fee = row.css_first(".olpShippingPrice")
    if fee is not None:
        return read_money(fee.text(), market)
    return _shipping_from_text(node_text(row.css_first(".olpShippingInfo"), separator=" "), market)
