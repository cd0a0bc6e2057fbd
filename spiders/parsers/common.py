"""Text and number helpers shared by the page parsers: whitespace, ratings, counts, ids.

Amazon prints the same facts in every interface language ("4.6 out of 5 stars", "4,6 von 5 Sternen",
"5つ星のうち4.6"; "1,234 ratings", "1.234 Sternebewertungen", "(467)"). These helpers read them
without knowing the language, from the shape of the text.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, unquote, urlsplit

_WS_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff]+")
# The characters `clean` treats as spaces that str.split() does not (the others are all str.isspace()).
_ZERO_WIDTH = ("\u200b", "\u200e", "\u200f", "\ufeff")

_ASIN_PATH_RE = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|product-reviews|gp/offer-listing|d|exec/obidos/ASIN)/([0-9A-Z]{10})(?=[/?#&]|$)",
    re.IGNORECASE,
)
_SELLER_KEYS = ("seller", "merchantID", "merchantId", "me", "smid")
_SELLER_RE = re.compile(r"(?:^|[?&;])(?:amp;)?(?:seller|merchantID|merchantId|me|smid)=([A-Z0-9]{8,20})(?=[&#;\"']|$)")
_MERCHANT_ID_RE = re.compile(r"[A-Z0-9]{8,20}")
_DECIMAL_RE = re.compile(r"\d+(?:[.,]\d+)?")
_COUNT_RE = re.compile(r"\d[\d.,\u00a0\u202f\u2009 ]*")
# What follows a rounded count: "1.5K", "2M", "7,3 mil", "1,2 Mio", "3 Tsd", "1.2万", "1.5千", "1.5천", "2 lakh"
_ROUNDED_RE = re.compile(r"^\s?(?:[kKmM](?![a-z])|mil\b|mio\b|tsd\b|万|千|천|만|lakh|cr\b)", re.IGNORECASE)
_GROUP_SEP_RE = re.compile(r"[.,\u00a0\u202f\u2009 ]")
_PERCENT_RE = re.compile(r"(\d{1,3})(?:[.,]\d+)?\s*(?:%|percent|$)")
_LAKH_RE = re.compile(r"\d{1,2}(?:,\d{2})+,\d{3}")  # Indian grouping 1,00,000


# Arabic-Indic and Eastern Arabic-Indic digits with the Arabic decimal and thousands signs, and full-width
# digits: Python reads these digits as numbers but not the signs, so "٤٫٥" gave 4 and "١٬٢٧٩٫٠٠" 1.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
           **{0xFF10 + i: str(i) for i in range(10)}, 0x066B: ".", 0x066C: ","}


def ascii_digits(text: str) -> str:
    """`text` with its digits (and the Arabic decimal and thousands signs) in ASCII, for the number readers."""
    return text if text.isascii() else text.translate(_DIGITS)


def clean(text: str | None) -> str | None:
    """Whitespace collapsed (no-break and zero-width spaces too), or None when nothing is left."""
    if text is None:
        return None
    if text.isascii() or not any(z in text for z in _ZERO_WIDTH):
        # the same result at a fifth of the cost: split() breaks on exactly the characters \s matches
        return " ".join(text.split()) or None
    out = _WS_RE.sub(" ", text).strip()
    return out or None


def caseless(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive `search` test for a lower-case pattern (alternatives of label words).

    ASCII text is lower-cased and searched case-sensitively, with the same answer: CPython's IGNORECASE
    alternation tries every alternative at every position, ~10x slower (20 us for a 100-character row)."""
    if pattern != pattern.lower():
        raise ValueError(f"caseless pattern must be lower-case: {pattern!r}")
    folded, plain = re.compile(pattern, re.IGNORECASE), re.compile(pattern)

    def test(text: str) -> bool:
        if text.isascii():
            return plain.search(text.lower()) is not None
        return folded.search(text) is not None
    return test


def attr(node, name: str) -> str | None:
    """`node.attributes.get(name)` without building the node's whole attribute dict (several times cheaper);
    None on a text, comment or document node, as there."""
    try:
        return node.attrs.get(name)
    except TypeError:  # not an element
        return None


def decode(html: str | bytes) -> str:
    """Bytes to text: UTF-8 (what Amazon serves), else the <meta charset> the page names, else Latin-1."""
    if isinstance(html, str):
        return html
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", html[:4096])
    if m:
        try:
            return html.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return html.decode("utf-8", errors="replace")


def page_source(html: str | bytes) -> str | bytes:
    """What to hand lexbor for a page: UTF-8 bytes as they came (lexbor reads bytes as UTF-8, so the tree is the
    same, without encoding a decoded megabyte page back to UTF-8), else `decode(html)`. The parsers read only the
    page's two ends as text (`cards.looks_truncated` decodes them from valid UTF-8 bytes itself).

    Bytes are checked for UTF-8 in 16 KB pieces: decoding a 1.6 MB search page to one str costs up to 1.7 ms
    when the str widens to two bytes a character midway, the pieces ~0.3 ms (they stay in the CPU cache)."""
    if isinstance(html, (bytes, bytearray)) and _is_utf8(html):
        return html
    return decode(html)


_UTF8_PIECE = 16384


def _is_utf8(data: bytes | bytearray) -> bool:
    """`data.decode("utf-8")` would succeed (the incremental decoder carries a character cut between pieces)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _UTF8_PIECE):
            decoder.decode(view[start:start + _UTF8_PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def parse_rating(text: str | None) -> Decimal | None:
    """Stars out of five from "4.6 out of 5 stars", "4,6 von 5 Sternen", "5つ星のうち4.6", "4.3 顆星，最高 5 顆星", "4.6".

    Numbers above 5 are no rating. Of two numbers, the scale is the bare "5" and the rating the other one
    (Amazon prints the rating with a decimal, "5.0", and JP puts the scale first); two bare numbers: the one
    that is not 5, or 5 when both are; two others: None (no guess).
    """
    t = clean(text)
    if not t:
        return None
    t = ascii_digits(t)
    nums = [n for n in _DECIMAL_RE.findall(t) if Decimal(n.replace(",", ".")) <= 5]
    if not nums:
        return None
    if len(nums) == 1:
        pick = nums[0]
    else:
        a, b = nums[0], nums[1]
        if a.isdigit() and b.isdigit():
            pick = b if a == "5" else a
        elif a == "5":
            pick = b
        elif b == "5":
            pick = a
        else:
            return None
    try:
        return Decimal(pick.replace(",", "."))
    except InvalidOperation:
        return None


def parse_count(text: str | None) -> int | None:
    """A whole count: "1,234 ratings", "1.234 Sternebewertungen", "(467)", "#1,619,704", "1,23,456" (Indian).

    Separators must sit between groups of three digits (or Indian two-digit groups), so "4.6" is no count;
    a rounded figure ("(1.5K)", "(7,3 mil)", "1.2万") is None: a count that moved by rounding is no change.
    """
    t = clean(text)
    if not t:
        return None
    t = ascii_digits(t)
    m = _COUNT_RE.search(t)
    if not m:
        return None
    raw = m.group(0).rstrip(".,\u00a0\u202f\u2009 ")
    if _ROUNDED_RE.match(t[m.start() + len(raw):]):
        return None
    groups = _GROUP_SEP_RE.split(raw)
    if len(groups) > 1:
        three = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
        if not (three or _LAKH_RE.fullmatch(raw)):
            return None
    return int("".join(groups))


def parse_int(text: str | None) -> int | None:
    """The first whole number in `text`, separators dropped ("#1,619,704" -> 1619704)."""
    return parse_count(text)


def seller_id_from_url(href: str | None) -> str | None:
    """The merchant id in a seller link: `seller=A1B2C3...`, `merchantID=` (or `merchantId=`), `me=`, `smid=`."""
    if not href:
        return None
    m = _SELLER_RE.search(href)
    if m:
        return m.group(1)
    try:
        qs = parse_qs(urlsplit(href).query)
    except ValueError:
        return None
    for key in _SELLER_KEYS:
        vals = qs.get(key)
        if vals and _MERCHANT_ID_RE.fullmatch(vals[0]):
            return vals[0]
    return None


def asin_from_url(url: str | None) -> str | None:
    """The ASIN a URL asks for: `/dp/ASIN`, `/gp/product/ASIN`, `?asin=ASIN`."""
    if not url:
        return None
    parts = urlsplit(url)
    m = _ASIN_PATH_RE.search(unquote(parts.path))
    if m:
        return m.group(1).upper()
    for key, vals in parse_qs(parts.query).items():
        if key.lower() in ("asin", "asins") and vals and re.fullmatch(r"[0-9A-Za-z]{10}", vals[0]):
            return vals[0].upper()
    return None


def percent(text: str | None) -> int | None:
    """The whole percent in "84%", "84 percent", "width:84%", "aria-valuenow=84"."""
    if not text:
        return None
    m = _PERCENT_RE.search(text.strip())
    if not m:
        return None
    v = int(m.group(1))
    return v if 0 <= v <= 100 else None
