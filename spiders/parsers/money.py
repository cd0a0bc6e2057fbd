"""Money strings in every marketplace's format, read through price-parser with the marketplace's decimal sign.

`$1,299.99`, `1.299,99 €`, `1 299,99 €` (narrow no-break space), `R$ 1.499,99`, `￥12,980`, `CDN$ 1,879.99`,
`₹1,49,999.00`, `SAR 1,279.00`. A range (`$12.99 - $18.99`) or a string with no digits is not one price: None.
"""
from __future__ import annotations

import re
from decimal import Decimal

from price_parser import Price

from crawler.marketplaces import Marketplace
from crawler.marketplaces import get as get_marketplace
from crawler.records import Money
from spiders.parsers.common import ascii_digits

# Two amounts joined by a dash: a price range, which is not one price. The currency may sit on either side of
# the dash ("$12.99 - $18.99", "12,99 € – 18,99 €").
_RANGE_RE = re.compile(r"\d[^\d\-–—~]{0,6}[-–—~]\s*\D{0,6}\d")
_SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f]+")
# One amount with at most a short currency mark on either side, thousands grouped by the other sign.
_MARK = r"[^\d\s.,%\-–—~]{0,5}"  # not a percent: price-parser reads "1.5%" its own way
_SIMPLE = {
    ".": re.compile(rf"{_MARK} ?([0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+)(?:\.([0-9]{{1,2}}))? ?{_MARK}"),
    ",": re.compile(rf"{_MARK} ?([0-9]{{1,3}}(?:\.[0-9]{{3}})+|[0-9]+)(?:,([0-9]{{1,2}}))? ?{_MARK}"),
}
# A discount printed with the price ("-15 % 12,99 €", "%20"): a percentage is never the amount.
_PERCENT_RE = re.compile(r"[-−+]?\s?\d+(?:[.,]\d+)?\s?[%٪]|[%٪]\s?\d+(?:[.,]\d+)?")
_NUMBER_RE = re.compile(r"\d[\d.,]*")
# What marks a number as money: a currency sign, an ISO code, or a currency word of a marketplace.
_CURRENCY_MARK = r"(?:[$€£¥￥₹₺₽₩¢]|\b[A-Z]{3}\b|\bkr\b|zł|\bTL\b|円|元|ر\.س|د\.إ|ج\.م)"
_MARK_BEFORE_RE = re.compile(_CURRENCY_MARK + r"\.?\s?$")
_MARK_AFTER_RE = re.compile(r"\s?" + _CURRENCY_MARK)
# Currency-free marketplaces print zero-decimal amounts: their fraction never exists.
_ZERO_DECIMAL = {"JPY"}
# Currency codes and symbols a price may print; a code or symbol that is not the marketplace's means the
# shopper chose another display currency (a .co.jp page in TWD): the amount is then read in that currency.
_CODES = frozenset(
    ["USD", "EUR", "GBP", "JPY", "INR", "CAD", "MXN", "BRL", "AUD", "SGD", "AED", "SAR", "EGP", "TRY", "SEK", "PLN", "CNY", "TWD", "HKD", "KRW", "CHF", "NZD", "ZAR", "DKK", "NOK"]
)
_SYMBOLS = (
    ("US$", "USD"), ("CDN$", "CAD"), ("CA$", "CAD"), ("C$", "CAD"), ("AU$", "AUD"), ("A$", "AUD"),
    ("S$", "SGD"), ("R$", "BRL"), ("MX$", "MXN"), ("NT$", "TWD"), ("HK$", "HKD"), ("€", "EUR"),
    ("£", "GBP"), ("₹", "INR"), ("zł", "PLN"), ("₺", "TRY"), ("₩", "KRW"),
)
_DOLLARS = frozenset({"USD", "CAD", "MXN", "AUD", "SGD"})


def currency_in(text: str, market: Marketplace) -> str | None:
    """The currency a price text names, when it names one."""
    for code in re.findall(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", text):
        if code in _CODES:
            return code
    for symbol, code in _SYMBOLS:
        if symbol in text:
            return code
    if "￥" in text or "¥" in text:
        return "CNY" if market.currency == "CNY" else "JPY"
    if "$" in text:
        return market.currency if market.currency in _DOLLARS else "USD"
    return None


def _market(marketplace: str | Marketplace) -> Marketplace:
    return marketplace if isinstance(marketplace, Marketplace) else get_marketplace(marketplace)


def parse_amount(text: str | None, marketplace: str | Marketplace) -> Decimal | None:
    """The one amount in `text`, read with the marketplace's decimal sign, or None when unsure."""
    if not text:
        return None
    m = _market(marketplace)
    cleaned = _SPACES_RE.sub(" ", ascii_digits(text)).strip()
    named = currency_in(cleaned, m)
    if named is not None and named != m.currency:
        return None  # shown in another currency: not an amount in this marketplace's (cards.read_money reads it)
    if not cleaned or not any(ch.isdigit() for ch in cleaned) or _RANGE_RE.search(cleaned):
        return None
    # Thousands written with spaces ("1 299,99"): join the groups before price-parser sees them.
    cleaned = re.sub(r"(?<=\d) (?=\d{3}(?:\D|$))", "", cleaned)
    if "%" in cleaned or "٪" in cleaned:
        cleaned = _PERCENT_RE.sub(" ", cleaned).strip()
        if not any(ch.isdigit() for ch in cleaned):
            return None
    if _first_number_is_bare(cleaned):
        return None  # "2 for $20": the first number is no amount, and which one is the price is a guess
    decimal = m.decimal
    if m.currency in _ZERO_DECIMAL:
        # "￥12,980" and "12.980" (rare) both mean twelve thousand: no fraction exists in yen.
        digits = re.sub(r"[^\d]", "", cleaned.split(".")[0] if re.search(r"\.\d{1,2}(?!\d)", cleaned) else cleaned)
        return Decimal(digits) if digits else None
    simple = _SIMPLE[decimal].fullmatch(cleaned)
    if simple:
        # "$23.96", "1.299,99 €", "SAR 1,279.00": what price-parser reads from these, at a tenth of its cost
        whole, frac = simple.groups()
        return Decimal(whole.replace("," if decimal == "." else ".", "") + "." + (frac or "0")).quantize(Decimal("0.01"))
    price = Price.fromstring(cleaned, decimal_separator=decimal)
    if price.amount is None:
        return None
    exponent = price.amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:  # three decimals is no price format we know
        return None
    return price.amount.quantize(Decimal("0.01"))


def _first_number_is_bare(text: str) -> bool:
    """Of two or more numbers, the first has no currency mark on either side."""
    numbers = list(_NUMBER_RE.finditer(text))
    if len(numbers) < 2:
        return False
    first = numbers[0]
    return not (_MARK_BEFORE_RE.search(text, 0, first.start()) or _MARK_AFTER_RE.match(text, first.end()))


def parse_money(text: str | None, marketplace: str | Marketplace) -> Money | None:
    """`Money` in the marketplace's currency, or None when `text` holds no single certain amount."""
    m = _market(marketplace)
    amount = parse_amount(text, m)
    return Money(amount, m.currency) if amount is not None else None


def parse_split_price(whole: str | None, fraction: str | None, marketplace: str | Marketplace) -> Money | None:
    """A price printed as `.a-price-whole` + `.a-price-fraction` spans (the `.a-offscreen` copy empty)."""
    m = _market(marketplace)
    digits = re.sub(r"\D", "", whole or "")
    if not digits:
        return None
    frac = re.sub(r"\D", "", fraction or "")
    if frac and len(frac) != 2:
        return None
    amount = Decimal(f"{digits}.{frac}") if frac else Decimal(digits)
    if m.currency not in _ZERO_DECIMAL:
        amount = amount.quantize(Decimal("0.01"))
    return Money(amount, m.currency)
