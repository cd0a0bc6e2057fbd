"""Amazon product detail pages (/dp/ASIN) to a `ProductSnapshot`.

Pure: html and url in, record out; no network, database or clock. Order of work:
1. `detect_block` on the raw text (robot check, WAF, error and sign-in pages never yield data);
2. a few regexes over the inline scripts for data that only lives there (parent ASIN, variations,
   image gallery) before the scripts are dropped. (The `salesRanks` JSON in attributes is not used:
   on real pages it belongs to comparison widgets, not to this product);
3. one lexbor parse, scripts dropped from the tree, for everything else: the buy box (buybox.py), the
   sections below it (details.py) and the title block here.

The page's own ASIN comes from `input#ASIN` (never the canonical link, which names the parent on a
variation child). A page whose ASIN is neither the one asked for nor one of its variations is a
redirect. A page missing its anchors (title, ASIN field, centre column) or cut short is
`parse_incomplete`.
"""
from __future__ import annotations

import html as htmllib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler import marketplaces
from crawler.marketplaces import Marketplace
from crawler.records import BuyboxState, Outcome, ProductSnapshot
from spiders.parsers.blocks import detect_block
from spiders.parsers.buybox import is_hidden, read_buybox, text_of
from spiders.parsers.common import asin_from_url, attr, caseless, clean, parse_count, parse_rating
from spiders.parsers.details import read_details
from spiders.parsers.dom import IdScope, html_tree
from spiders.parsers.scan import find

log = logging.getLogger(__name__)

_ASIN_RE = re.compile(r"^[0-9A-Z]{10}$")
Tree = LexborHTMLParser | LexborNode
# Script-data patterns, each in a str and a bytes flavour (bytes from the wire are scanned undecoded).
_SCRIPT_PATTERNS = {
    "parent": r"""parentAsin["']?\s*[:=]\s*(?:\\?&quot;|\\?["'])?([0-9A-Z]{10})\b""",
    "dim_map": r'"dimensionToAsinMap"\s*:\s*\{([^}]*)\}',
    "avv": r'"asinVariationValues"\s*:\s*\{',
    "asin_key": r'"([0-9A-Z]{10})"\s*:\s*\{',
    "quoted_asin": r'"([0-9A-Z]{10})"',
    "color_images": r"""colorImages['"]\s*:\s*\{\s*['"]initial['"]\s*:\s*\[""",
    "img_url": r'"(hiRes|large)"\s*:\s*"(https?://[^"]+)"',
    "entry_split": r"\}\s*,\s*\{",
}
_SRE: dict[type, dict[str, re.Pattern]] = {
    str: {k: re.compile(v) for k, v in _SCRIPT_PATTERNS.items()},
    bytes: {k: re.compile(v.encode()) for k, v in _SCRIPT_PATTERNS.items()},
}
_TRUNC_TAIL = 8192
_DROPPED = "script, style, noscript, template"
# A whole document ends with </html> (or </body>), then at most whitespace and comments; a "</body>" inside
# a script string near a cut does not count.
# A standards-mode document (lexbor matches ids case-insensitively in quirks mode, an id index would not).
_DOCTYPE_RE = re.compile(r"\A\ufeff?\s*(?:<!--.*?-->\s*)*<!doctype\s+html\s*>", re.IGNORECASE | re.DOTALL)
_TAIL_RE = re.compile(r"</(?:html|body)\s*>?\s*(?:<!--.*?-->\s*)*\Z", re.IGNORECASE | re.DOTALL)

_BYLINE_RES = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"^visit the (.+?) store$",
    r"^visite a loja (?:oficial )?(?:da |de |do )?(.+)$",
    r"^visita la tienda de (.+)$",
    r"^besuche den (.+?)-store$",
    r"^visiter la boutique (.+)$",
    r"^visita lo store di (.+)$",
    r"^(.+?)\s?のストアを表示$",
    r"^bezoek de (.+?)-(?:winkel|store)$",
    r"^besök (.+?)-butiken$",
    r"^odwiedź sklep (.+)$",
    r"^(.+?) mağazasını ziyaret edin$",
    r"^(?:قم ب)?زيارة متجر (.+)$",  # Arabic interface of amazon.sa / .ae / .eg
    r"^(?:brand|marca|marke|marque|merk|märke|marka|ブランド|العلامة التجارية)\s*[:：]\s*(.+)$",
))
# A byline with one of these words in a shape not above is no brand name: no guess.
_has_store_word = caseless(r"\bstore\b|tienda|loja|boutique|ストア|winkel|butik|sklep|mağaza|visit|besuche|\bby\b"
                           r"|متجر")


def _market(marketplace: str | Marketplace | None, url: str) -> Marketplace:
    if isinstance(marketplace, Marketplace):
        return marketplace
    if marketplace:
        return marketplaces.get(marketplace)
    return marketplaces.from_url(url) or marketplaces.get("us")


def parse_product(html: str | bytes, url: str, marketplace: str | None = None,
                  status: int | None = None) -> ProductSnapshot:
    """Read one product page. Never raises on odd markup: a missing field is None and listed in `missing`."""
    mk = _market(marketplace, url)
    # bytes stay bytes: lexbor and the literal scans read them directly (decoding 2 MB costs more than a parse)
    doc: Any = html if isinstance(html, (bytes, bytearray)) else (html or "")
    asked = asin_from_url(url)
    block = detect_block(doc, status, url)
    if block is not None:
        return ProductSnapshot(asin=asked or "", marketplace=mk.code, url=url, outcome=block[0], reason=block[1])

    truncated = _TAIL_RE.search(_s(doc[-_TRUNC_TAIL:])) is None
    if truncated:
        # cut back to the last closing tag so no half-written text node (a title, a price) is read
        cut = doc.rfind(b"</" if isinstance(doc, (bytes, bytearray)) else "</")
        end = doc.find(b">" if isinstance(doc, (bytes, bytearray)) else ">", cut)
        doc = doc[:end + 1] if cut != -1 and end != -1 else doc[:0]

    scripts = _script_data(doc)
    tree = html_tree(doc)
    # inline scripts are most of the page; dropping them keeps text() free of JSON blobs. One walk finds all
    # four tags (strip_tags walks the whole tree once per tag): ~2% off a real page's parse.
    for node in tree.css(_DROPPED):
        node.decompose(False)  # what strip_tags does to each: detached with its children
    # Id lookups answer most queries: one `[id]` walk of the tree, whose index also serves the centre and
    # right columns (#ppd) where the buy box, title block and twister are; queries scoped there are cheaper.
    indexed = _DOCTYPE_RE.match(_s(doc[:2048])) is not None
    page = IdScope(tree, indexed)
    root_node = page.css_first("#ppd") or page.css_first("#dp-container") or tree.body
    root: Any = page.within(root_node) if root_node is not None else page
    page_asins = _page_asins(root, asked) or _page_asins(tree)
    asin = asked or (page_asins[0] if page_asins else "")
    title = _title(page)
    variations = tuple(dict.fromkeys(scripts.variations + _swatch_asins(root)))
    parent = scripts.parent

    # Which product is this page about?
    own = asin if asin in page_asins else (page_asins[0] if page_asins else None)
    if own and asked and own != asked and asked not in variations and own not in variations:
        return ProductSnapshot(asin=asked, marketplace=mk.code, url=url, outcome=Outcome.REDIRECTED,
                               reason=f"page shows {own}, not {asked}", redirected_to=own, title=title)

    anchors_missing = [name for name, ok in (
        ("title", title is not None),
        ("asin_field", bool(page_asins)),
        ("center_column", page.css_first("#centerCol, #ppd, #dp-container, #dp") is not None),
    ) if not ok]

    box = read_buybox(root, mk)
    details = read_details(tree, page)
    rating, review_count = _ratings(root)
    fields = dict(
        title=title,
        brand=_brand(page),
        price=box.price,
        list_price=box.list_price,
        currency=mk.currency,
        buybox_state=box.state,
        buybox_seller=box.seller,
        buybox_seller_id=box.seller_id,
        ships_from=box.ships_from,
        fulfilled_by_amazon=box.fba,
        availability=_availability(root),
        rating=rating,
        review_count=review_count,
        coupon=box.coupon,
        deal_badge=box.deal_badge,
        other_sellers_count=box.other_sellers_count,
        offers=tuple(box.offers),
        images=tuple(dict.fromkeys(_main_images(page) + scripts.images)),
        variation_asins=variations,
        **details,
    )
    fields["in_stock"] = _in_stock(box.state, _in_stock_shown(root))
    if own and asked and own != asked:
        # a variation sibling answered for the one asked: its data is the sibling's
        fields["redirected_to"] = own
    if truncated:
        # lists and tables may stop part-way through a cut document: none of them is trusted
        fields.update(rating_histogram=None, top_reviews=(), offers=(), bsr=(), breadcrumbs=(), bullets=(),
                      images=(), variation_asins=(), has_aplus=None)
        if fields["price"] is None:  # the state comes from what is absent, and a cut page lacks everything
            fields.update(buybox_state=None, in_stock=None)
    if fields["buybox_state"] is None and not truncated:
        # neither a price nor a notice saying why there is none: the buy box moved, it did not vanish
        anchors_missing.append("buy_box")
    outcome = Outcome.OK
    reason: str | None = None
    if anchors_missing or truncated:
        outcome = Outcome.PARSE_INCOMPLETE
        reason = "; ".join(filter(None, (
            f"missing {', '.join(anchors_missing)}" if anchors_missing else None,
            "document truncated (no </html>)" if truncated else None,
        )))
        log.debug("product page %s incomplete: %s", asin, reason, extra={"url": url})
    return ProductSnapshot(
        asin=asin, marketplace=mk.code, url=url, outcome=outcome, reason=reason,
        parent_asin=parent if parent and parent != asin else None,
        missing=_missing(fields, box.state, book=any(n.css_first(".author") is not None for n in page.by_id("bylineInfo"))), **fields,
    )


def _missing(fields: dict, state: BuyboxState | None, *, book: bool = False) -> tuple[str, ...]:
    """Expected fields the page did not yield (parser health); a book has authors, not a brand."""
    expected = ["title", "rating", "review_count", "buybox_state", "availability", "images", "breadcrumbs",
                "bullets", "bsr"] + ([] if book else ["brand"])
    if state is BuyboxState.OWNED:
        expected += ["price", "buybox_seller"]
    return tuple(name for name in expected if fields.get(name) in (None, (), [], {}))


def _in_stock(state: BuyboxState | None, in_stock_shown: bool) -> bool | None:
    if state is BuyboxState.UNAVAILABLE:
        return False
    if state is BuyboxState.OWNED or in_stock_shown:
        return True
    return None


def _in_stock_shown(tree: Tree) -> bool:
    """Amazon prints "In Stock" (any language) in green: `.a-color-success` inside #availability."""
    return any(not is_hidden(n) for n in tree.css("#availability .a-color-success"))


# ---------------------------------------------------------------- script data (regex over raw text)

def _near(doc: Any, marker: Any, rx: re.Pattern, span: int = 120) -> re.Match | None:
    """`rx` matched right at the next literal `marker` (a plain find is ~20x faster than a regex scan)."""
    i = find(doc, marker)
    while i != -1:
        m = rx.match(doc, i, i + span)
        if m:
            return m
        i = find(doc, marker, i + len(marker))
    return None


def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class _Scripts:
    parent: str | None
    variations: list[str]
    images: list[str]


def _script_data(doc: Any) -> _Scripts:
    kind = bytes if isinstance(doc, (bytes, bytearray)) else str
    rx = _SRE[kind]
    lit = (lambda t: t.encode()) if kind is bytes else (lambda t: t)
    m = _near(doc, lit("parentAsin"), rx["parent"])
    parent = _s(m.group(1)) if m else None
    variations: list[str] = []
    marker = lit('"dimensionToAsinMap"')
    i = find(doc, marker)
    twister = -1
    while i != -1:
        dm = rx["dim_map"].match(doc, i, i + 100_000)
        if dm:  # the twister's own map comes first; later copies repeat it
            variations += [_s(a) for a in rx["quoted_asin"].findall(dm.group(1))]
            twister = i
            break
        i = find(doc, marker, i + len(marker))
    # asinVariationValues sits in the same twister script, a few KB on: no need to scan the whole page
    am = _near(doc[max(0, twister - 50_000):twister + 200_000], lit('"asinVariationValues"'), rx["avv"], 60) \
        if twister != -1 else None
    if am:
        window = am.string
        variations += [_s(a) for a in rx["asin_key"].findall(_balanced(window, am.end() - 1, 300_000, lit("{")))]
    images: list[str] = []
    cm = _near(doc, lit("colorImages"), rx["color_images"], 80)
    if cm:
        chunk = _balanced(doc, cm.end() - 1, 200_000, lit("["))
        for entry in rx["entry_split"].split(chunk):
            urls = {_s(k): _s(v) for k, v in rx["img_url"].findall(entry)}
            url = urls.get("hiRes") or urls.get("large")
            if url:
                images.append(url)
    return _Scripts(parent, list(dict.fromkeys(variations)), images)


def _balanced(doc: Any, start: int, limit: int, opener: Any) -> Any:
    """The bracketed span opening at `start` (strings not tracked: enough for Amazon's data blobs).

    Closing bracket to closing bracket, counting the openers between: a data blob has many brackets."""
    closer = {"{": "}", "[": "]", b"{": b"}", b"[": b"]"}[opener]
    end = min(len(doc), start + limit)
    depth, pos = 1, start + 1
    while True:
        close = doc.find(closer, pos, end)
        if close == -1:
            return doc[start:end]
        depth += doc.count(opener, pos, close) - 1
        if depth == 0:
            return doc[start:close + 1]
        pos = close + 1


# ---------------------------------------------------------------- identity

_ASIN_FIELDS = "input#ASIN, input[name='ASIN'], input[name='ASIN.0'], #centerCol[data-asin], #ppd[data-asin]"


def _page_asins(tree: Tree, asked: str | None = None) -> list[str]:
    """The ASINs the page's own fields carry, in page order, or in any order when `asked` is one of them (the
    order only picks the page's own ASIN when the one asked for is not there)."""
    if isinstance(tree, IdScope):
        # the id-led fields come from the index, the named inputs from a walk for just them; when all agree
        # (the usual case) or include the one asked for, their page order does not matter
        found = tree.css("input#ASIN, #centerCol[data-asin], #ppd[data-asin]") + \
            tree.node.css("input[name='ASIN'], input[name='ASIN.0']")
        values = [v for v in dict.fromkeys(_asin_value(node) for node in found) if v]
        if len(values) <= 1 or asked in values:
            return values
    return list(dict.fromkeys(v for node in tree.css(_ASIN_FIELDS) if (v := _asin_value(node))))


def _asin_value(node) -> str:
    v = (attr(node, "value") or attr(node, "data-asin") or "").strip().upper()
    return v if _ASIN_RE.match(v) else ""


def _title(page: IdScope) -> str | None:
    for sel in ("productTitle", "ebooksProductTitle"):  # not #title: it also holds the binding ("Kindle Edition")
        for node in page.by_id(sel):
            t = text_of(node)
            if t:
                return t
    return None


def _swatch_asins(tree: Tree) -> list[str]:
    out = []
    for node in tree.css("#twister [data-defaultasin], #twister [data-asin], [id^=inline-twister] [data-asin],"
                         " #twister_feature_div [data-asin], #twister_feature_div [data-defaultasin]"):
        v = attr(node, "data-defaultasin") or attr(node, "data-asin") or ""
        if _ASIN_RE.match(v):
            out.append(v)
    return out


def _brand(page: IdScope) -> str | None:
    node = page.css_first("#bylineInfo")
    if node is not None:
        if node.css_first(".author, .contribution") is not None:
            return None  # a book: the byline names authors
        t = text_of(node)
        if not t:
            return None
        for rx in _BYLINE_RES:
            m = rx.match(t)
            if m:
                return clean(m.group(1))
        if _has_store_word(t) or len(t) > 60:
            return None  # a byline in a shape we do not know: no guess
        return t
    node = page.css_first("#brand")  # was "a#brand, #brand": the same first #brand, an <a> or not
    return text_of(node)


# ---------------------------------------------------------------- title block

def _ratings(tree: Tree):
    rating = None
    for node in tree.css("#acrPopover, #averageCustomerReviews .a-icon-alt"):
        rating = parse_rating(attr(node, "title") or text_of(node))
        if rating is not None:
            break
    count = None
    for node in tree.css("#acrCustomerReviewText, #acrCustomerReviewLink"):
        count = parse_count(text_of(node))
        if count is not None:
            break
    return rating, count


def _availability(tree: Tree) -> str | None:
    for node in tree.css("#availability"):
        if is_hidden(node):
            continue
        t = text_of(node)
        if t:
            return t
    return None


def _main_images(page: IdScope) -> list[str]:
    node = page.css_first("#landingImage, #imgBlkFront, #ebooksImgBlkFront, #main-image")
    if node is None:
        return []
    hires = attr(node, "data-old-hires")
    if hires and hires.startswith("http"):
        return [hires]
    dyn = attr(node, "data-a-dynamic-image")
    if dyn:
        try:
            urls = json.loads(htmllib.unescape(dyn))
            if isinstance(urls, dict) and urls:
                # the largest rendition first
                best = max(urls.items(), key=lambda kv: (kv[1][0] * kv[1][1]) if isinstance(kv[1], list) else 0)
                return [best[0]]
        except (ValueError, TypeError, IndexError):
            pass
    src = attr(node, "src")
    return [src] if src and src.startswith("http") else []
