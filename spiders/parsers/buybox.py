"""The buy box of a product page: price, list price, owner, ships-from, state, coupon, other sellers.

Only the featured offer counts. A page carries many prices and sellers (the used and Subscribe & Save
accordion rows, unit prices, "New (3) from", similar items), so every lookup is scoped to the buy-box
containers and skips anything inside another offer's accordion row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.marketplaces import Marketplace
from crawler.records import BuyboxState, Coupon, Money, Offer
from spiders.parsers.cards import is_amazon_name
from spiders.parsers.common import attr, caseless, clean, parse_count, seller_id_from_url
from spiders.parsers.money import parse_money, parse_split_price

# Ids of containers that hold some other offer than the featured one.
_OTHER_OFFER_ID_RE = re.compile(
    r"used|sns|subscri|mbc|moreBuyingChoices|olp|aod|sims|similar|compar|renewed|secondary|kindleunlimited|tradein",
    re.IGNORECASE,
)
_has_list_label = caseless(
    r"list\s*price|^list\s*:|m\.?\s?r\.?\s?p|\brrp\b|prix conseill|precio recomendado|unverb|\buvp\b|prezzo consigliato"
    r"|参考価格|pre[çc]o sugerido|adviesprijs|rekommenderat pris|cena katalogowa|liste fiyat|السعر")
_HIDDEN_CLASSES = ("aok-hidden", "a-hidden", "hidden")


@dataclass
class Buybox:
    price: Money | None = None
    list_price: Money | None = None
    price_range: bool = False
    seller: str | None = None
    seller_id: str | None = None
    ships_from: str | None = None
    fba: bool | None = None
    state: BuyboxState | None = None
    coupon: Coupon | None = None
    deal_badge: str | None = None
    other_sellers_count: int | None = None
    offers: list[Offer] = field(default_factory=list)


def text_of(node: LexborNode | None) -> str | None:
    return clean(node.text(separator=" ")) if node is not None else None


def is_hidden(node: LexborNode) -> bool:
    cls = attr(node, "class") or ""
    if any(c in cls.split() for c in _HIDDEN_CLASSES):
        return True
    style = (attr(node, "style") or "").replace(" ", "").lower()
    return "display:none" in style


@lru_cache(maxsize=4096)
def _other_offer_id(ident: str) -> bool:
    """An id of some other offer's container (the same few dozen ids recur on every page: cached)."""
    return _OTHER_OFFER_ID_RE.search(ident) is not None and not ident.startswith(("newAccordion", "buybox"))


def in_other_offer(node: LexborNode, depth: int = 30) -> bool:
    """True when `node` sits in a used / subscribe / other-sellers row rather than the featured offer."""
    cur = node.parent
    while cur is not None and depth:
        ident = cur.id or ""  # not .attributes: building the whole dict per ancestor costs more than the walk
        if ident and _other_offer_id(ident):
            return True
        if ident in ("buybox", "rightCol", "centerCol", "ppd", "dp-container"):
            return False
        cur = cur.parent
        depth -= 1
    return False


def _first(tree: LexborHTMLParser | LexborNode, selector: str, *, visible: bool = False) -> LexborNode | None:
    for n in tree.css(selector):
        if in_other_offer(n) or (visible and is_hidden(n)):
            continue
        return n
    return None


def _money_in(node: LexborNode, mk: Marketplace) -> Money | None:
    """The amount of an `.a-price` (its .a-offscreen copy, else the split whole/fraction spans)."""
    off = node.css_first(".a-offscreen")
    money = parse_money(text_of(off), mk) if off is not None else None
    if money is None:
        whole = node.css_first(".a-price-whole")
        frac = node.css_first(".a-price-fraction")
        # a decimal sign with no fraction after it is a cut-off price, not a whole number
        if whole is not None and (frac is not None or node.css_first(".a-price-decimal") is None):
            money = parse_split_price(whole.text(), frac.text() if frac is not None else None, mk)
    if money is None and node.css_first(".a-price-whole") is None and off is None:
        money = parse_money(text_of(node), mk)
    return money


def _core_price(tree: LexborHTMLParser | LexborNode, mk: Marketplace, box: Buybox) -> LexborNode | None:
    """The core price block of the featured offer (2021+ markup), with price and list price read."""
    blocks = [b for b in tree.css("#corePriceDisplay_desktop_feature_div, #corePrice_desktop, #corePrice_feature_div")
              if not in_other_offer(b) and b.css_first(".a-price") is not None]
    # the marked price-to-pay first; only a page with none falls back to the large unstruck price
    for find in (lambda b: b.css_first(".priceToPay, .apexPriceToPay, .reinventPricePriceToPayMargin"), _big_price):
        for block in blocks:
            if block.css_first(".a-price-range") is not None:
                box.price_range = True
                return block
            pay = find(block)
            if pay is None:
                continue
            box.price = _money_in(pay, mk)
            box.list_price = _list_price_in(block, mk)
            return block
    return None


def _big_price(block: LexborNode) -> LexborNode | None:
    """2021-2022 core price blocks without a priceToPay class: the large, unstruck `.a-price`."""
    for price in block.css(".a-price[data-a-size]"):
        cls = attr(price, "class") or ""
        if attr(price, "data-a-size") in ("xl", "xxl", "l", "b", "m") and "a-text-price" not in cls \
                and attr(price, "data-a-strike") is None:
            return price
    return None


def _list_price_in(block: LexborNode, mk: Marketplace) -> Money | None:
    for strike in block.css(".basisPrice .a-text-price, .a-text-price[data-a-strike=true]"):
        # the label is beside the price ("List Price: $X") or, in the 2022 table, in the row's other cell
        label_node = strike.parent
        own = text_of(strike)
        if label_node is not None and text_of(label_node) == own and label_node.parent is not None:
            label_node = label_node.parent
        label = text_of(label_node) or ""
        if not _has_list_label(label):
            # "New Condition Price", "One-Time Price", "Typical price", "Was": not a list price
            continue
        money = _money_in(strike, mk)
        if money is not None:
            return money
    return None


_LEGACY_IDS = ("priceblock_dealprice", "priceblock_saleprice", "priceblock_ourprice", "kindle-price",
               "price_inside_buybox", "newBuyBoxPrice")


def _legacy_price(tree: LexborHTMLParser | LexborNode, mk: Marketplace, box: Buybox) -> None:
    """Pre-2021 price blocks: #priceblock_*, Kindle price, the header price of a digital buy box."""
    # one walk for all of them, then the deal price before the sale price before the regular one
    found = {attr(n, "id"): n for n in reversed(tree.css(", ".join("#" + i for i in _LEGACY_IDS)))
             if not in_other_offer(n)}
    for ident in _LEGACY_IDS:
        if ident in found:
            box.price = parse_money(text_of(found[ident]), mk)
            if box.price is not None:
                break
    if box.price is None:
        node = _first(tree, "#buybox .header-price, #mediaTab_content_landing .header-price, #mediaNoAccordion"
                            " .header-price, #buyNewSection .offer-price, #buybox .kindle-price")
        if node is not None:
            box.price = parse_money(text_of(node), mk)
    if box.price is None:
        return
    # list price of the same era: the struck row of the #price table, Kindle's digital list price
    for sel in ("#price .a-text-strike", "#digital-list-price .a-text-strike", "#listPrice", "#priceblock_listprice"):
        node = _first(tree, sel)
        if node is None:
            continue
        row = node.parent.parent if node.parent is not None and node.parent.parent is not None else node
        if _has_list_label(text_of(row) or "") or sel in ("#listPrice", "#priceblock_listprice"):
            box.list_price = parse_money(text_of(node), mk)
            break


_says_combined = caseless(r"/|ships from and sold|dispatched from and sold|verkauf und versand|vendido y enviado|expédié et vendu|"
                          r"spedito e venduto|enviado y vendido|発送・販売|出荷元・販売元")


def _feature_value(node: LexborNode) -> str | None:
    msg = node.css_first(".offer-display-feature-text-message")
    if msg is None:
        msg = node.css_first(".offer-display-feature-text")
    return text_of(msg)


def _seller(tree: LexborHTMLParser | LexborNode, mk: Marketplace, box: Buybox) -> None:
    merchant = _first(tree, "#merchantInfoFeature_feature_div")
    if merchant is not None and merchant.css_first(".offer-display-feature-text") is not None:
        box.seller = _feature_value(merchant)
        link = merchant.css_first("#sellerProfileTriggerId")
        box.seller_id = seller_id_from_url(attr(link, "href")) if link is not None else None
        label = text_of(merchant.css_first(".offer-display-feature-label")) or ""
        if _says_combined(label):
            box.ships_from = box.seller
        ful = _first(tree, "#fulfillerInfoFeature_feature_div")
        if ful is not None and box.ships_from is None:
            box.ships_from = _feature_value(ful)
    if box.seller is None:
        _tabular(tree, box)
    if box.seller is None:
        _merchant_info(tree, box)
    if box.seller is None:
        _labelled_seller(tree, box)
    if box.seller is not None and box.seller_id is None:
        link = _first(tree, "#sellerProfileTriggerId")
        if link is not None and clean(link.text()) == box.seller:
            box.seller_id = seller_id_from_url(attr(link, "href"))
    if box.seller is not None and box.seller_id is None and _is_amazon(box.seller, mk):
        box.seller_id = mk.retail_merchant_id
    if box.ships_from is not None:
        # who ships may be any of Amazon's own names ("Amazon.com Services LLC", "Amazon EU S.à r.l."); the
        # seller id above takes only the retail names, since Warehouse/Resale are sellers of their own
        box.fba = is_amazon_name(box.ships_from.rstrip("."))


def _is_amazon(name: str, mk: Marketplace) -> bool:
    n = name.lower().rstrip(".")
    return n in ("amazon", "amazon.com", mk.host.removeprefix("www."))


def _tabular(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    """2021-2023 `#tabular-buybox`: rows named by a `tabular-attribute-name` attribute."""
    for node in tree.css("#tabular-buybox .tabular-buybox-text[tabular-attribute-name]"):
        if in_other_offer(node):
            continue
        # the attribute name is Amazon's internal English label, whatever the interface language
        name = (attr(node, "tabular-attribute-name") or "").lower()
        value = text_of(node.css_first(".tabular-buybox-text-message") or node)
        if not value:
            continue
        if "sold by" in name or "seller" in name:
            if box.seller is None:
                box.seller = value
                link = node.css_first("a[href*='seller=']")
                if link is not None:
                    box.seller_id = seller_id_from_url(attr(link, "href"))
            if "/" in name and box.ships_from is None:
                box.ships_from = value
        elif ("ships from" in name or "shipper" in name or "dispatch" in name) and box.ships_from is None:
            box.ships_from = value


_MI_PATTERNS = (
    re.compile(r"^(?:ships from and sold by|dispatched from and sold by|verkauf und versand durch|vendido y enviado por|expédié et vendu par"
               r"|venduto e spedito da|enviado y vendido por|vendido e enviado por)\s+(?P<both>.+?)\.?(?:\s+(?:gift|für|para|pour|per)\b.*)?$", re.IGNORECASE),
    re.compile(r"^(?:sold by|verkauf durch|vendido por|vendu par|venduto da)\s+(?P<seller>.+?)\s+"
               r"(?:and|und|y|e|et)\s+(?:fulfilled|versand durch|gestionado|expédié|spedito|enviado)\b.*?(?:by|durch|por|par|da)?\s*(?P<ships>Amazon[\w.]*)?\s*\.?$", re.IGNORECASE),
)


# Japanese: "この商品は、Xが販売、発送します。" / "この商品は、Xが販売し、Amazon.co.jp が発送します。"
_MI_JP_BOTH = re.compile(r"この商品は、\s*(?P<both>.+?)\s*が販売、発送します")
_MI_JP_SELLER = re.compile(r"この商品は、\s*(?P<seller>.+?)\s*が販売し")
_says_fba = caseless(r"fulfilled by amazon|dispatched by amazon|versand durch amazon|gestionado por amazon"
                     r"|expédié par amazon|spedito da amazon|enviado pela amazon|amazon\.co\.jp\s*が発送")


def _merchant_info(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    """Pre-2021 `#merchant-info`: one sentence naming the seller and who ships."""
    node = _first(tree, "#merchant-info")
    if node is None:
        return
    text = text_of(node)
    if not text:
        return
    text = re.sub(r"\s+\.", ".", text)
    link = node.css_first("a[href*='seller=']")
    m = _MI_PATTERNS[0].match(text) or _MI_JP_BOTH.search(text)
    if m:
        box.seller = box.ships_from = clean(m.group("both").rstrip("."))
    else:
        m = _MI_PATTERNS[1].match(text) or _MI_JP_SELLER.search(text)
        if m:
            box.seller = clean(m.group("seller"))
            box.ships_from = "Amazon" if _says_fba(text) else None
        elif link is not None:
            # a sentence we cannot parse: its seller link still names the seller, who ships stays unknown
            box.seller = text_of(link)
    if box.seller is not None and link is not None:
        box.seller_id = seller_id_from_url(attr(link, "href"))
        # the link text is the exact seller name when the sentence grammar was unusual
        lt = text_of(link)
        if lt and lt in text and len(lt) < len(box.seller or ""):
            box.seller = lt


_SOLD_BY_RE = re.compile(r"^(?:sold by|vendido por|verkauf durch|verkauft von|vendu par|venduto da|販売元?|verkocht door"
                         r"|säljs av|sprzedawca)\s*[:：]?$", re.IGNORECASE)


def _labelled_seller(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    """Digital buy boxes: a "Sold by:" label cell or bold span followed by the seller's name."""
    for row in tree.css("[id$=printSoldBy]"):
        cells = row.css("td")
        if len(cells) >= 2 and _SOLD_BY_RE.match(text_of(cells[0]) or ""):
            name = cells[-1].css_first(".a-color-base, a") or cells[-1]
            box.seller = text_of(name)
            if box.seller:
                return
    for label in tree.css("#mediaTab_content_landing .a-text-bold, #buybox .a-text-bold, #ebooksBuyBox .a-text-bold"):
        if not _SOLD_BY_RE.match(text_of(label) or "") or in_other_offer(label):  # the cheap test first
            continue
        sib = label.next
        while sib is not None and not (sib.tag != "-text" and text_of(sib)):
            sib = sib.next
        if sib is not None:
            box.seller = text_of(sib)
            return


# Notices shown instead of an offer, strongest first (a size to choose explains a hidden price, etc.).
_STATE_IDS = (
    (BuyboxState.CHOOSE_VARIATION, ("partialStateBuyBox_feature_div", "partialStateBuybox", "partialState_buybox")),
    (BuyboxState.PRICE_HIDDEN, ("priceNotAvailable_feature_div",)),
    (BuyboxState.SUPPRESSED, ("fod-cx-box", "buybox-see-all-buying-choices", "unqualifiedBuyBox",
                              "unqualified-buybox-olp")),
    (BuyboxState.UNAVAILABLE, ("outOfStock", "outOfStockBuyBox_feature_div", "availability")),
)
_STATE_SELECTOR = ", ".join("#" + i for _, ids in _STATE_IDS for i in ids if i != "availability") + (
    ", #availability .a-color-price")


def _state(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    if box.price is not None:
        box.state = BuyboxState.OWNED
        return
    if box.price_range:
        box.state = BuyboxState.CHOOSE_VARIATION
        return
    shown = set()
    for n in tree.css(_STATE_SELECTOR):
        if not is_hidden(n) and not in_other_offer(n) and text_of(n):
            shown.add(attr(n, "id") or "availability")
    for state, ids in _STATE_IDS:
        if shown.intersection(ids):
            box.state = state
            return


_COUPON_PCT_RE = re.compile(r"(\d{1,2}(?:[.,]\d+)?)\s*[%٪]|[%٪]\s*(\d{1,2}(?:[.,]\d+)?)")  # Turkish writes "%10"
_has_coupon_word = caseless(r"coupon|cupón|cupom|gutschein|buono|クーポン|kupon|kortingsbon|كوبون|قسيمة")


def _coupon(tree: LexborHTMLParser | LexborNode, mk: Marketplace, box: Buybox) -> None:
    """A clippable coupon of this product in the buy box; promotions and bank offers are not coupons."""
    nodes = tree.css("[id^=couponBadge], #promoPriceBlockMessage_feature_div, #vpcButton, #couponFeature")
    for node in nodes:
        if in_other_offer(node) or is_hidden(node):
            continue
        text = text_of(node)
        if not text or not _has_coupon_word(text):
            continue
        # a real coupon has a clip control or a coupon label element; a promo code says "code"
        has_clip = node.css_first("[id*=couponText], [id*=couponBadge], .couponLabelText, input[type=checkbox],"
                                  " [data-csa-c-content-id*=coupon], .a-checkbox, label[id*=coupon]") is not None
        if not has_clip and not (attr(node, "id") or "").startswith("couponBadge"):
            continue
        if re.search(r"\bcode\b|código|codice", text, re.IGNORECASE):
            continue
        pct = _COUPON_PCT_RE.search(text)
        amount = None
        if pct is None:
            m = re.search(r"(?:[^\d\s]{1,4}\s?\d[\d.,]*|\d[\d.,]*\s?[^\d\s%]{1,4})", text)
            amount = parse_money(m.group(0), mk) if m else None
        # The clip label ("Apply 10% coupon") reads best; the whole block repeats it and adds "Terms".
        label = text_of(node.css_first("label[id^=couponText], [id^=couponText], [id^=promoMessage]"))
        box.coupon = Coupon(text=(label or text)[:200], percent=Decimal((pct.group(1) or pct.group(2)).replace(",", ".")) if pct else None,
                            amount=amount)
        return


def _deal(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    for node in tree.css("#dealBadge_feature_div, #dealBadgeSupportingText, #dealsAccordionRow"):
        if in_other_offer(node) or is_hidden(node):
            continue
        badge = node.css_first(".dealBadge, [id^=dealBadge] .a-badge-text, .a-badge-label-inner, span.a-badge-text")
        text = text_of(badge) or text_of(node)
        if text:
            box.deal_badge = text[:80]
            return


# "New (3) from", "12 offers", and with one word between ("Compare 12 other offers", "Vergleiche 4 weitere Angebote")
_OLP_COUNT_RE = re.compile(r"\((\d[\d.,]*)\)|(\d[\d.,]*)\s+(?:\w+\s+)?(?:ofertas|offers|Angebote|offres|offerte"
                           r"|aanbiedingen|erbjudanden|oferty|teklif|عروض|出品)", re.IGNORECASE)


# Containers of the offer-listing link, by id (a cheap walk), then the link texts inside them.
_OLP_CONTAINERS = ("#aod-ingress-link, #olpLinkWidget_feature_div, #olp_feature_div, #olp-upd-new-used, #olp-upd-new,"
                   " #mbc-olp-link, #buybox-see-all-buying-choices, #mbc")


def _other_sellers(tree: LexborHTMLParser | LexborNode, box: Buybox) -> None:
    """The number the offer-listing link prints ("New (2) from", "Comparar outras 12 ofertas")."""
    for container in tree.css(_OLP_CONTAINERS):  # page order; the first link that prints a count wins
        if container.tag == "a" or (attr(container, "id") or "").startswith("olp-upd"):
            nodes = [container]
        else:
            nodes = container.css("a, .olp-text-box, .a-box-title")
        for node in nodes:
            if is_hidden(node):
                continue
            m = _OLP_COUNT_RE.search(text_of(node) or "")
            if m:
                box.other_sellers_count = parse_count(m.group(1) or m.group(2))
                return


def _mbc_offers(tree: LexborHTMLParser | LexborNode, mk: Marketplace) -> list[Offer]:
    """Rows of the older "Other Sellers on Amazon" box."""
    out: list[Offer] = []
    for row in tree.css("#mbc .mbc-offer-row, #mbc div[id^=mbc-offer]"):
        price_node = row.css_first(".a-color-price, .a-price")
        price = parse_money(text_of(price_node), mk) if price_node is not None else None
        seller_node = row.css_first(".mbcMerchantName, a[href*='seller='], .a-size-small.mbcMerchantName")
        seller = text_of(seller_node)
        link = row.css_first("a[href*='seller=']")
        sid = seller_id_from_url(attr(link, "href")) if link is not None else None
        if price is None and seller is None:
            continue
        out.append(Offer(seller=seller, seller_id=sid, price=price, condition="new"))
    return out


def read_buybox(tree: LexborHTMLParser | LexborNode, mk: Marketplace) -> Buybox:
    box = Buybox()
    _core_price(tree, mk, box)
    if box.price is None and not box.price_range:
        _legacy_price(tree, mk, box)
    _seller(tree, mk, box)
    _state(tree, box)
    if box.state not in (BuyboxState.OWNED, None):
        # no featured offer: whatever a stray seller/price widget says is not a buy-box owner
        if box.state is not BuyboxState.PRICE_HIDDEN:
            box.seller = box.seller_id = box.ships_from = None
            box.fba = None
        box.price = None
        box.list_price = None
    _coupon(tree, mk, box)
    _deal(tree, box)
    _other_sellers(tree, box)
    if box.state is BuyboxState.OWNED:
        box.offers.append(Offer(seller=box.seller, seller_id=box.seller_id, price=box.price, condition="new",
                                fulfilled_by_amazon=box.fba, is_buybox=True))
    box.offers.extend(_mbc_offers(tree, mk))
    return box
