"""Text and number helpers shared by the page parsers: whitespace, ratings, counts, ids.

Amazon prints the same facts in every interface language ("4.6 out of 5 stars", "4,6 von 5 Sternen",
"5つ星のうち4.6"; "1,234 ratings", "1.234 Sternebewertungen", "(467)"). These helpers read them
without knowing the language, from the shape of the text.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, unquote, urlsplit

_WS_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff]+")

_ASIN_PATH_RE = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|product-reviews|gp/offer-listing|d|exec/obidos/ASIN)/([0-9A-Z]{10})(?=[/?#&]|$)",
    re.IGNORECASE,
)
_SELLER_RE = re.compile(r"[?&;](?:amp;)?(?:seller|merchantID|me|smid)=([A-Z0-9]{8,20})(?=[&#;\"']|$)")
_DECIMAL_RE = re.compile(r"\d+(?:[.,]\d+)?")
_SCALE_FIRST_RE = re.compile(r"^\s*5\D")
_SCALE_FIRST_DECIMAL_RE = re.compile(r"^\s*5[.,]")
_COUNT_RE = re.compile(r"\d[\d.,\u00a0\u202f ]*")
_THOUSANDS_RE = re.compile(r"\s?[kK]\b")
_SHORT_RE = re.compile(r"\d+(?:[.,]\d)?")
_GROUP_SEP_RE = re.compile(r"[.,\u00a0\u202f ]")
_LAKH_RE = re.compile(r"\d{1,2}(?:,\d{2})*,\d{3}")
_NON_DIGIT_RE = re.compile(r"\D")


def clean(text: str | None) -> str | None:
    """Whitespace collapsed (no-break and zero-width spaces too), or None when nothing is left."""
    if text is None:
        return None
    out = _WS_RE.sub(" ", text).strip()
    return out or None


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


def decode_page(html: str | bytes) -> tuple[str, str | bytes]:
    """`decode(html)`, and what to hand lexbor for it: UTF-8 bytes as they came (lexbor reads bytes as UTF-8, so
    the tree is the same, without encoding a decoded megabyte page back to UTF-8), else the text."""
    if isinstance(html, (bytes, bytearray)):
        try:
            return html.decode("utf-8"), html
        except UnicodeDecodeError:
            pass
    text = decode(html)
    return text, text


def parse_rating(text: str | None) -> Decimal | None:
    """Stars out of five from "4.6 out of 5 stars", "4,6 von 5 Sternen", "5つ星のうち4.6", "4.6".

    The "5" that is the scale is told apart from the rating by position: the rating is the number
    that is not the lone scale "5" (JP puts the scale first). Anything outside 0-5 is None.
    """
    t = clean(text)
    if not t:
        return None
    nums = _DECIMAL_RE.findall(t)
    if not nums:
        return None
    if len(nums) == 1:
        cand = nums[0]
    elif _SCALE_FIRST_RE.match(t) and not _SCALE_FIRST_DECIMAL_RE.match(t):
        # "5つ星のうち4.6", "5 सितारों में से 4.6": scale first
        cand = nums[1]
    else:
        cand = nums[0]
    try:
        value = Decimal(cand.replace(",", "."))
    except InvalidOperation:
        return None
    if not Decimal(0) <= value <= Decimal(5):
        return None
    return value


def parse_count(text: str | None) -> int | None:
    """A count such as "1,234 ratings", "1.234 Sternebewertungen", "20,042 global ratings", "(467)".

    Thousands separators (",", ".", spaces) are dropped: counts are whole numbers. The first run of
    digits is the count; "1.2K" style abbreviations are read as thousands.
    """
    t = clean(text)
    if not t:
        return None
    m = _COUNT_RE.search(t)
    if not m:
        return None
    raw = m.group(0).strip()
    tail = t[m.end():m.end() + 2]
    if _THOUSANDS_RE.match(tail) and _SHORT_RE.fullmatch(raw):
        return int(Decimal(raw.replace(",", ".")) * 1000)
    # "1,234" / "1.234" / "1 234": separators between 3-digit groups; a lone "4.6" is no count
    groups = _GROUP_SEP_RE.split(raw)
    lakh = _LAKH_RE.fullmatch(raw)  # Indian grouping 1,00,000
    if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]) and not lakh:
        return int(groups[0]) if groups[0] else None
    digits = _NON_DIGIT_RE.sub("", raw)
    return int(digits) if digits else None


def parse_int(text: str | None) -> int | None:
    """The first whole number in `text`, separators dropped ("#1,619,704" -> 1619704)."""
    return parse_count(text)


def seller_id_from_url(href: str | None) -> str | None:
    """The merchant id in a seller link: `seller=A1B2C3...`, `merchantID=`, `me=`, `smid=`."""
    if not href:
        return None
    m = _SELLER_RE.search(href)
    if m:
        return m.group(1)
    try:
        qs = parse_qs(urlsplit(href).query)
    except ValueError:
        return None
    for key in ("seller", "merchantID", "me", "smid"):
        vals = qs.get(key)
        if vals and re.fullmatch(r"[A-Z0-9]{8,20}", vals[0]):
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
    m = re.search(r"(\d{1,3})(?:[.,]\d+)?\s*(?:%|percent|$)", text.strip())
    if not m:
        return None
    v = int(m.group(1))
    return v if 0 <= v <= 100 else None
