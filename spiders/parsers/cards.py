"""Small readers shared by the offers, search and list parsers: text, stars, counts, ids, prices.

Amazon prints the same facts in every interface language ("4.5 out of 5 stars", "5つ星のうち4.5",
"4,5 de 5 estrellas"; "1,234 ratings", "7.319 calificaciones", "(1,234)"). These helpers read them from
the shape of the text, not its words, and answer None whenever the reading is not certain
("(7,3 mil)" and "(1.5K)" are rounded, so they are no count).
"""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

from price_parser import Price

from crawler.marketplaces import Marketplace
from crawler.marketplaces import from_url as market_from_url
from crawler.marketplaces import get as get_marketplace
from crawler.records import Money, Outcome, is_asin
from spiders.parsers.common import (  # noqa: F401  (re-exported for the card parsers)
    attr,
    clean,
    decode,
    parse_count,
    parse_rating,
    seller_id_from_url,
)
from spiders.parsers.money import currency_in, parse_money, parse_split_price

_WS_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff]+")
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_ASIN_PATH_RE = re.compile(r"/(?:dp|gp/product|gp/aw/d|gp/offer-listing|product-reviews)/([0-9A-Z]{10})(?=[/?#&%]|$)")
# Amazon itself as a seller or shipper: "Amazon", "Amazon.com", "Amazon.co.uk", "Amazon.com Services LLC"...
_AMAZON_NAME_RE = re.compile(
    r"amazon(?:\.[a-z]{2,3}(?:\.[a-z]{2})?)?"
    r"(?:\s+(?:services(?:\s+llc)?|export\s+sales(?:\s+llc)?|eu(?:\s+s\.?\s?[aà]\.?\s?r\.?\s?l\.?)?|us|warehouse|resale"
    r"|fulfil+ment|retail(?:\s+[a-z]+)*))?",
    re.IGNORECASE,
)
# "FREE delivery" / "FREE Shipping" in the marketplaces' languages.
FREE_RE = re.compile(
    r"\b(?:free|gratis|gratuit[aeo]?s?|kostenlos\w*|grátis|ücretsiz|ÜCRETSİZ|darmow[aey])\b|無料|免费|免运费|免運費|مجان",
    re.IGNORECASE,
)


def node_text(node, separator: str = "") -> str | None:
    """The node's text, whitespace collapsed; None for a missing or empty node."""
    if node is None:
        return None
    return clean(node.text(separator=separator) if separator else node.text())


def market_for(url: str, marketplace: str | None) -> Marketplace:
    """The marketplace given, else the one serving `url`, else the US (a local storefront's host)."""
    if marketplace:
        return get_marketplace(marketplace)
    return market_from_url(url or "") or get_marketplace("us")


def check_block(html: str | bytes, status: int | None, url: str | None) -> tuple[Outcome, str] | None:
    """The block verdict of `spiders.parsers.blocks`, imported late so this module loads without it."""
    try:
        from spiders.parsers.blocks import detect_block
    except ImportError:  # the detector is another module's job; without it every page counts as content
        return None
    return detect_block(html, status=status, url=url)


def looks_truncated(page: str | bytes) -> bool:
    """A full document without its closing tags, or a fragment with many unclosed <div>s.

    `page` is the text, or bytes known to be valid UTF-8 (`common.page_source`): of a full document only the first
    4,096 and the last 8,192 characters are read, decoded from the bytes that must hold them (a character is at
    most 4 bytes; a piece of a valid whole decodes with "ignore" to whole characters, dropping only the halves
    of characters cut at its ends)."""
    if isinstance(page, str):
        head, tail = page[:4096], page[-8192:]
    else:
        head = bytes(page[:4 * 4096]).decode("utf-8", "ignore")[:4096]
        tail = bytes(page[-4 * 8192:]).decode("utf-8", "ignore")[-8192:]
    head = head.lower()
    if "<html" in head or "<body" in head:
        tail = tail.lower()
        return "</html" not in tail and "</body" not in tail
    text = page if isinstance(page, str) else bytes(page).decode("utf-8")
    body = _SCRIPT_RE.sub("", text)  # templates inside scripts hold unbalanced "<div" strings
    return body.count("<div") - body.count("</div") > 3


def query_value(url: str | None, *keys: str) -> str | None:
    """The first non-empty value of any of `keys` in the URL's query string."""
    if not url:
        return None
    try:
        qs = parse_qs(urlsplit(url).query)
    except ValueError:
        return None
    for key in keys:
        vals = qs.get(key)
        if vals and vals[0].strip():
            return vals[0].strip()
    return None


def asin_from_href(href: str | None) -> str | None:
    """The ASIN a product link points at, also inside an encoded ad-click URL (/sspa/click?...url=%2Fdp%2F...)."""
    if not href:
        return None
    for candidate in (href, unquote(href)):
        m = _ASIN_PATH_RE.search(candidate)
        if m:
            return m.group(1)
    return None


def is_amazon_name(name: str | None) -> bool:
    """True for Amazon itself as seller or shipper ("Amazon", "Amazon.com", "Amazon.co.uk", "Amazon Warehouse",
    "Amazon Resale")."""
    t = clean(name)
    return bool(t and _AMAZON_NAME_RE.fullmatch(t))


def amazon_name(market: Marketplace) -> str:
    """How a marketplace names Amazon the retailer: "Amazon.com", "Amazon.co.uk", "Amazon.de"."""
    return "Amazon." + market.host.split("amazon.", 1)[-1]


def read_money(text: str | None, market: Marketplace) -> Money | None:
    """A price as shown, in the currency it is shown in; None for ranges, empty or unsure text."""
    t = clean(text)
    if not t:
        return None
    currency = currency_in(t, market)
    if currency is None or currency == market.currency:
        return parse_money(t, market)
    if re.search(r"\d\s*[-–—~]\s*\D{0,6}\d", t):
        return None
    price = Price.fromstring(t, decimal_separator=market.decimal)
    if price.amount is None:
        return None
    exponent = price.amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        return None
    return Money(price.amount.quantize(Decimal(1) if currency == "JPY" else Decimal("0.01")), currency)


def money_in(text: str | None, market: Marketplace) -> list[Money]:
    """Every amount in `text` that carries a currency sign or code ("+ $3.99 shipping", "4,99 € Lieferung");
    bare numbers (dates, counts) are not money."""
    out: list[Money] = []
    t = clean(text) or ""
    for m in re.finditer(r"\d(?:[\d.,\u00a0\u202f]*\d)?", t):
        before, after = t[max(0, m.start() - 5):m.start()], t[m.end():m.end() + 5]
        if currency_in(before, market) is None and currency_in(after, market) is None:
            continue
        money = read_money(before[-4:] + m.group(0) + after[:4], market)
        if money is not None:
            out.append(money)
    return out


def zero(market: Marketplace) -> Money:
    """Money(0) in the marketplace's currency, with its usual decimals."""
    return Money(Decimal(0) if market.currency == "JPY" else Decimal("0.00"), market.currency)


def a_price(node, market: Marketplace) -> Money | None:
    """The amount of one `.a-price` block: its `.a-offscreen` copy, else the split whole/fraction spans."""
    off = node.css_first(".a-offscreen")
    money = read_money(off.text() if off is not None else None, market)
    if money is not None:
        return money
    whole = node.css_first(".a-price-whole")
    if whole is None:
        return None
    frac = node.css_first(".a-price-fraction")
    symbol = node_text(node.css_first(".a-price-symbol"))
    if symbol and currency_in(symbol, market) not in (None, market.currency):
        return None  # another currency, split into spans: not worth a guess
    return parse_split_price(whole.text(), frac.text() if frac is not None else None, market)


def buy_price(container, market: Marketplace, skip=None) -> Money | None:
    """The first `.a-price` in `container` that is a price to pay: struck list prices and unit prices
    (`.a-text-price`, `data-a-strike`, `data-a-color="secondary"`) are skipped, as are nodes under `skip`."""
    for node in container.css(".a-price"):
        classes = (attr(node, "class") or "").split()
        if "a-text-price" in classes or attr(node, "data-a-strike") == "true":
            continue
        if attr(node, "data-a-color") == "secondary":
            continue
        if skip is not None and has_ancestor(node, container, skip):
            continue
        money = a_price(node, market)
        if money is not None:
            return money
    return None


def has_ancestor(node, stop, predicate) -> bool:
    """True when an ancestor of `node` below `stop` satisfies `predicate(ancestor)`."""
    stop_id = stop.mem_id if stop is not None else None
    cur = node.parent
    while cur is not None and cur.mem_id != stop_id:
        if predicate(cur):
            return True
        cur = cur.parent
    return False


def classes(node) -> list[str]:
    return (attr(node, "class") or "").split()


def valid_asin(value: str | None) -> str | None:
    """`value` upper-cased when it is an ASIN (ten of 0-9A-Z; books use their ISBN-10), else None."""
    v = (value or "").strip().upper()
    return v if is_asin(v) else None


class Around:
    """Whether an element above a node passes `test`, for the many cards of one page, which share their ancestors:
    each element above them is tested once. A descendant selector asked of a card ("i.x .y") also matches below
    such an element above the card; a Python stand-in for one asks this."""

    __slots__ = ("_memo", "_test")

    def __init__(self, test) -> None:
        self._test = test
        self._memo: dict[int, bool] = {}  # mem_id -> it or an element above it passes

    def __call__(self, node) -> bool:
        chain = []
        cur = node.parent
        hit = False
        while cur is not None:
            known = self._memo.get(cur.mem_id)
            if known is not None:
                hit = known
                break
            chain.append(cur)
            cur = cur.parent
        for cur in reversed(chain):
            hit = hit or bool(self._test(cur))
            self._memo[cur.mem_id] = hit
        return hit


class StarRatings:
    """The first readable `i[class*="a-star"] .a-icon-alt, i[class*="a-icon-star"] .a-icon-alt` of a card, for the
    cards of one page: alt texts listed by their class alone and the star icon looked for above each (one or two
    a card, the icon their parent), a cheaper lexbor walk than the descendant selectors' class substring tests."""

    __slots__ = ("_above",)

    def __init__(self) -> None:
        self._above = Around(is_star_icon)  # descendant selectors also look above the card

    def __call__(self, card) -> Decimal | None:
        card_id = card.mem_id
        for node in card.css(".a-icon-alt"):
            cur = node.parent
            while cur is not None and not is_star_icon(cur):
                if cur.mem_id == card_id:
                    cur = cur if self._above(cur) else None
                    break
                cur = cur.parent
            if cur is None:
                continue
            value = parse_rating(node.text())
            if value is not None:
                return value
        return None


def is_star_icon(node) -> bool:
    """i[class*="a-star"], i[class*="a-icon-star"]."""
    if node.tag != "i":
        return False
    value = attr(node, "class") or ""
    return "a-star" in value or "a-icon-star" in value
