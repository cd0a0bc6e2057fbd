"""Text and number helpers shared by the page parsers: whitespace, ratings, counts, ids.

Amazon prints the same facts in every interface language ("4.6 out of 5 stars", "4,6 von 5 Sternen",
"5つ星のうち4.6"; "1,234 ratings", "1.234 Sternebewertungen", "(467)"). These helpers read them
without knowing the language, from the shape of the text.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_WS_RE = re.compile(r"[\s\u00a0\u202f\u2009\u200b\u200e\u200f\ufeff]+")

_ASIN_PATH_RE = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|product-reviews|gp/offer-listing|d|exec/obidos/ASIN)/([0-9A-Z]{10})(?=[/?#&]|$)",
    re.IGNORECASE,
)
_SELLER_RE = re.compile(r"[?&;](?:amp;)?(?:seller|merchantID|me|smid)=([A-Z0-9]{8,20})(?=[&#;\"']|$)")
_DECIMAL_RE = re.compile(r"\d+(?:[.,]\d+)?")


def clean(text: str | None) -> str | None:
    """Whitespace collapsed (no-break and zero-width spaces too), or None when nothing is left."""
    if text is None:
        return None
    out = _WS_RE.sub(" ", text).strip()
    return out or None


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
    elif re.match(r"^\s*5\D", t) and not re.match(r"^\s*5[.,]", t):
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
    m = re.search(r"\d[\d.,\u00a0\u202f ]*", t)
    if not m:
        return None
    raw = m.group(0).strip()
    tail = t[m.end():m.end() + 2]
    if re.match(r"\s?[kK]\b", tail) and re.fullmatch(r"\d+(?:[.,]\d)?", raw):
        return int(Decimal(raw.replace(",", ".")) * 1000)
    # "1,234" / "1.234" / "1 234": separators between 3-digit groups; a lone "4.6" is no count
    groups = re.split(r"[.,\u00a0\u202f ]", raw)
    lakh = re.fullmatch(r"\d{1,2}(?:,\d{2})*,\d{3}", raw)  # Indian grouping 1,00,000
    if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]) and not lakh:
        return int(groups[0]) if groups[0] else None
    digits = re.sub(r"\D", "", raw)
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


# A selector part that can only match at or below an element with a known id: its leftmost compound names
# the id ("#buybox .price", "input#ASIN") or an id prefix ("[id^=couponBadge] a").
_PART_ID_RE = re.compile(r"^[\w-]*#([A-Za-z][\w-]*)(?:[.\[:][^()]*)?$")
_PART_PREFIX_RE = re.compile(r"""^\[id\^=["']?([\w-]+)["']?\]$""")
_PURE_ID_RE = re.compile(r"#[A-Za-z][\w-]*")


class IdScope:
    """A subtree whose elements with an id are listed once, so a selector made of "#id" and "#id compound"
    parts ("#a, #b .price") is a dict lookup plus walks of those small containers, not a walk of the subtree.

    Lexbor's cost per walk grows with the number of selectors in the list (a 38-id list costs as much as
    15 single walks), while one `[id]` walk costs about one single walk. Results are what `node.css` gives
    (page order, each node once); any other selector, or a case where containers nest or sit above the
    subtree, runs on the subtree as usual. The subtree must not change while the scope is in use.
    `indexed=False` (a quirks-mode document, where lexbor matches ids case-insensitively) runs every query
    on the subtree.
    """

    __slots__ = ("_above", "_ids", "_memo", "node")

    def __init__(self, node, indexed: bool = True) -> None:
        self.node = node
        ids: dict[str | None, list] = {}
        for pos, n in enumerate(node.css("[id]") if indexed else ()):
            ids.setdefault(n.id, []).append((pos, n))
        self._ids: dict[str | None, list] | None = ids if indexed else None
        # ids of the subtree's ancestors: "#X y" also matches below an #X that encloses the whole subtree
        self._above: set[str | None] = set()
        cur = getattr(node, "parent", None)
        while cur is not None:
            self._above.add(cur.id)
            cur = cur.parent
        self._memo: dict[str, list] = {}

    def by_id(self, ident: str) -> list:
        """The elements with this id, in page order."""
        if self._ids is None:
            return self.node.css("#" + ident)
        return [n for _, n in self._ids.get(ident, ())]

    def css(self, query: str) -> list:
        got = self._memo.get(query)
        if got is None:
            got = self._lookup(query) if self._ids is not None else None
            if got is None:
                got = self.node.css(query)
            self._memo[query] = got
        return list(got)

    def css_first(self, query: str):
        got = self.css(query)
        return got[0] if got else None

    def _lookup(self, query: str) -> list | None:
        assert self._ids is not None  # only called on an indexed scope
        parts = [part.strip() for part in query.split(",")]
        if all(_PURE_ID_RE.fullmatch(part) for part in parts):
            # ids alone: positions come from one walk, so sorting them gives page order whatever the nesting
            found = {n.mem_id: (pos, n) for part in parts for pos, n in self._ids.get(part[1:], ())}
            return [n for _, n in sorted(found.values(), key=lambda hit: hit[0])]
        # Otherwise every match is at or below an element with one of the named ids: run the real query
        # on the outermost of those (disjoint, so their results follow each other in page order).
        containers: dict[int, tuple[int, Any]] = {}
        for part in parts:
            lead = part.split(None, 1)[0] if part else ""
            m = _PART_ID_RE.match(lead)
            if m is not None:
                if m.group(1) in self._above:
                    return None
                hits = self._ids.get(m.group(1), ())
            else:
                m = _PART_PREFIX_RE.match(lead)
                if m is None:
                    return None
                prefix = m.group(1)
                if any(i and i.startswith(prefix) for i in self._above):
                    return None
                hits = [hit for ident, group in self._ids.items() if ident and ident.startswith(prefix)
                        for hit in group]
            for pos, n in hits:
                containers[n.mem_id] = (pos, n)
        out = []
        for _, n in sorted(containers.values(), key=lambda c: c[0]):
            cur = n.parent
            while cur is not None and cur.mem_id not in containers:
                cur = cur.parent
            if cur is None:  # outermost
                out += n.css(query)
        return out
