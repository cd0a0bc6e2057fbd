"""Amazon product detail pages (/dp/ASIN) to a `ProductSnapshot`.

Pure: html and url in, record out; no network, database or clock. Order of work:
1. `detect_block` on the raw text (robot check, WAF, error and sign-in pages never yield data);
2. a few regexes over the inline scripts for data that only lives there (parent ASIN, variations,
   image gallery) before the scripts are dropped. (The `salesRanks` JSON in attributes is not used:
   on real pages it belongs to comparison widgets, not to this product);
3. one lexbor parse, scripts dropped from the tree, for everything else.

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
from crawler.records import BuyboxState, Outcome, ProductSnapshot, Rank, Review
from spiders.parsers.blocks import detect_block
from spiders.parsers.buybox import is_hidden, read_buybox, text_of
from spiders.parsers.common import asin_from_url, clean, parse_count, parse_rating, percent

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
    "{": r"[{}]",
    "[": r"[\[\]]",
}
_SRE: dict[type, dict[str, re.Pattern]] = {
    str: {k: re.compile(v) for k, v in _SCRIPT_PATTERNS.items()},
    bytes: {k: re.compile(v.encode()) for k, v in _SCRIPT_PATTERNS.items()},
}
_TRUNC_TAIL = 8192
# A whole document ends with </html> (or </body>), then at most whitespace and comments; a "</body>" inside
# a script string near a cut does not count.
_TAIL_RE = re.compile(r"</(?:html|body)\s*>?\s*(?:<!--.*?-->\s*)*\Z", re.IGNORECASE | re.DOTALL)

_BSR_LABEL_RE = re.compile(
    r"best\s*sellers?\s*rank|bestseller-rang|bestsellerrang|más vendidos|mais vendidos|meilleures ventes"
    r"|più venduti|売れ筋ランキング|sales rank|bästsäljar|bestsellerów|en çok satan|الأكثر مبيع", re.IGNORECASE)
_BSR_ITEM_RE = re.compile(
    r"(?:#|Nr\.?\s?|n\.?\s?[º°o]\s?|N[º°]\s?)\s?(\d[\d.,\u00a0\u202f]*)\s+(?:\w+\s+)?(?:in|en|em|dans|in der|i|w)\s+"
    r"(.+?)(?=\s*(?:#|Nr\.|n\.?\s?[º°o]|N[º°])\s?\d|$)")
_BSR_JP_RE = re.compile(r"(\d[\d,]*)\s*位\s*(.+?)(?=\s*-\s*\d|$)")
# "(See Top 100 in X)" / "(の売れ筋ランキングを見る)" links go; "(Kindle Store)" / "(Books)" qualifiers stay
_BSR_LINK_PAREN_RE = re.compile(r"\s*[(（][^()（）]*(?:100|ランキング)[^()（）]*[)）]")

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
    r"^(?:brand|marca|marke|marque|merk|märke|marka|ブランド)\s*[:：]\s*(.+)$",
))
_STORE_WORD_RE = re.compile(r"\bstore\b|tienda|loja|boutique|ストア|winkel|butik|sklep|mağaza|visit|besuche|\bby\b", re.IGNORECASE)


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
    tree = LexborHTMLParser(doc)
    # inline scripts are most of the page; dropping them keeps text() free of JSON blobs
    tree.strip_tags(["script", "style", "noscript", "template"])
    # centre and right columns: the buy box, title block and twister; queries scoped here are 3x cheaper
    root: Tree = tree.css_first("#ppd") or tree.css_first("#dp-container") or tree.body or tree
    page_asins = _page_asins(root) or _page_asins(tree)
    asin = asked or (page_asins[0] if page_asins else "")
    title = _title(tree)
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
        ("center_column", tree.css_first("#centerCol, #ppd, #dp-container, #dp") is not None),
    ) if not ok]

    box = read_buybox(root, mk)
    sec = _sections(tree)
    rating, review_count = _ratings(root)
    fields = dict(  # noqa: C408 - keyword form mirrors the ProductSnapshot fields it feeds
        title=title,
        brand=_brand(tree),
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
        rating_histogram=_histogram(sec.get("histogramTable", ())),
        top_reviews=_reviews(sec.get("review", ())),
        coupon=box.coupon,
        deal_badge=box.deal_badge,
        other_sellers_count=box.other_sellers_count,
        offers=tuple(box.offers),
        bsr=_bsr([n for key in _DETAIL_IDS for n in sec.get(key, ())]),
        breadcrumbs=_breadcrumbs(sec.get("wayfinding-breadcrumbs_feature_div", [None])[0]),
        bullets=_bullets(sec.get("feature-bullets", [None])[0]),
        images=tuple(dict.fromkeys(_main_images(tree) + scripts.images)),
        has_aplus=_has_aplus([n for key in _APLUS_IDS for n in sec.get(key, ())]),
        variation_asins=variations,
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
    return ProductSnapshot(
        asin=asin, marketplace=mk.code, url=url, outcome=outcome, reason=reason,
        parent_asin=parent if parent and parent != asin else None,
        missing=_missing(fields, box.state, book=tree.css_first("#bylineInfo .author") is not None), **fields,
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
    i = doc.find(marker)
    while i != -1:
        m = rx.match(doc, i, i + span)
        if m:
            return m
        i = doc.find(marker, i + len(marker))
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
    i = doc.find(marker)
    twister = -1
    while i != -1:
        dm = rx["dim_map"].match(doc, i, i + 100_000)
        if dm:  # the twister's own map comes first; later copies repeat it
            variations += [_s(a) for a in rx["quoted_asin"].findall(dm.group(1))]
            twister = i
            break
        i = doc.find(marker, i + len(marker))
    # asinVariationValues sits in the same twister script, a few KB on: no need to scan the whole page
    am = _near(doc[max(0, twister - 50_000):twister + 200_000], lit('"asinVariationValues"'), rx["avv"], 60) \
        if twister != -1 else None
    if am:
        window = am.string
        variations += [_s(a) for a in rx["asin_key"].findall(_balanced(window, am.end() - 1, 300_000, rx["{"]))]
    images: list[str] = []
    cm = _near(doc, lit("colorImages"), rx["color_images"], 80)
    if cm:
        chunk = _balanced(doc, cm.end() - 1, 200_000, rx["["])
        for entry in rx["entry_split"].split(chunk):
            urls = {_s(k): _s(v) for k, v in rx["img_url"].findall(entry)}
            url = urls.get("hiRes") or urls.get("large")
            if url:
                images.append(url)
    return _Scripts(parent, list(dict.fromkeys(variations)), images)


def _balanced(doc: Any, start: int, limit: int, brackets: re.Pattern) -> Any:
    """The bracketed span opening at `start` (strings not tracked: enough for Amazon's data blobs)."""
    depth = 0
    end = min(len(doc), start + limit)
    for m in brackets.finditer(doc, start, end):
        depth += 1 if m.group(0) in ("{", "[", b"{", b"[") else -1
        if depth == 0:
            return doc[start:m.end()]
    return doc[start:end]


# ---------------------------------------------------------------- identity

def _page_asins(tree: Tree) -> list[str]:
    out = []
    for node in tree.css("input#ASIN, input[name='ASIN'], input[name='ASIN.0'], #centerCol[data-asin], #ppd[data-asin]"):
        v = (node.attributes.get("value") or node.attributes.get("data-asin") or "").strip().upper()
        if _ASIN_RE.match(v):
            out.append(v)
    return list(dict.fromkeys(out))


def _title(tree: Tree) -> str | None:
    for sel in ("#productTitle", "#ebooksProductTitle"):  # not #title: it also holds the binding ("Kindle Edition")
        for node in tree.css(sel):
            t = text_of(node)
            if t:
                return t
    return None


def _swatch_asins(tree: Tree) -> list[str]:
    out = []
    for node in tree.css("#twister [data-defaultasin], #twister [data-asin], [id^=inline-twister] [data-asin],"
                         " #twister_feature_div [data-asin], #twister_feature_div [data-defaultasin]"):
        v = node.attributes.get("data-defaultasin") or node.attributes.get("data-asin") or ""
        if _ASIN_RE.match(v):
            out.append(v)
    return out


def _brand(tree: Tree) -> str | None:
    node = tree.css_first("#bylineInfo")
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
        if _STORE_WORD_RE.search(t) or len(t) > 60:
            return None  # a byline in a shape we do not know: no guess
        return t
    node = tree.css_first("a#brand, #brand")
    return text_of(node)


# ---------------------------------------------------------------- sections below the buy box

_DETAIL_IDS = ("prodDetails", "productDetails_feature_div", "detailBulletsWrapper_feature_div",
               "detailBullets_feature_div", "SalesRank")
_APLUS_IDS = ("aplus", "aplus_feature_div", "aplusBrandStory_feature_div")
_SECTION_SELECTOR = ", ".join(["#histogramTable", "div[data-hook=review]", "#feature-bullets",
                               "#wayfinding-breadcrumbs_feature_div", *("#" + i for i in _DETAIL_IDS + _APLUS_IDS)])


def _sections(tree: Tree) -> dict[str, list[LexborNode]]:
    """Every section container in one walk of the tree (a walk per section costs a millisecond more)."""
    out: dict[str, list[LexborNode]] = {}
    for node in tree.css(_SECTION_SELECTOR):
        key = "review" if node.attributes.get("data-hook") == "review" else node.attributes.get("id") or ""
        out.setdefault(key, []).append(node)
    return out


# ---------------------------------------------------------------- reviews and ratings

def _ratings(tree: Tree):
    rating = None
    for node in tree.css("#acrPopover, #averageCustomerReviews .a-icon-alt"):
        rating = parse_rating(node.attributes.get("title") or text_of(node))
        if rating is not None:
            break
    count = None
    for node in tree.css("#acrCustomerReviewText, #acrCustomerReviewLink"):
        count = parse_count(text_of(node))
        if count is not None:
            break
    return rating, count


_STAR_WORDS = {"five": 5, "four": 4, "three": 3, "two": 2, "one": 1}


def _histogram(tables) -> dict[int, int] | None:
    for table in tables:
        out: dict[int, int] = {}
        rows = [r for r in table.css("tr, li") if r.css_first(".a-meter") is not None]
        for index, row in enumerate(rows):
            link = row.css_first("a[href*='filterByStar'], a[href*='hist_']")
            href = link.attributes.get("href") or "" if link is not None else ""
            m = re.search(r"filterByStar=(five|four|three|two|one)_star", href) or re.search(r"hist_(\d)", href)
            if m:
                stars = _STAR_WORDS.get(m.group(1)) or int(m.group(1))
            elif len(rows) == 5:
                stars = 5 - index  # a 0% row has no link; rows always run 5 to 1
            else:
                continue
            meter = row.css_first(".a-meter")
            pct = percent(meter.attributes.get("aria-valuenow")) if meter is not None else None
            if pct is None:
                bar = row.css_first(".a-meter-bar")
                pct = percent((bar.attributes.get("style") or "").replace("width:", "")) if bar is not None else None
            if pct is None:
                pct = percent(row.attributes.get("aria-label"))
            if pct is not None and stars not in out:
                out[stars] = pct
        if len(out) >= 3:
            return dict(sorted(out.items(), reverse=True))
    return None


def _reviews(nodes) -> tuple[Review, ...]:
    out = []
    for node in nodes:
        rid = node.attributes.get("id")
        if not rid:
            continue
        star = node.css_first("[data-hook=review-star-rating], [data-hook=cmps-review-star-rating], .review-rating")
        rating = parse_rating(text_of(star))
        title_node = node.css_first("[data-hook=review-title]")
        title = None
        if title_node is not None:
            spans = [text_of(s) for s in title_node.css("span")
                     if "a-icon-alt" not in (s.attributes.get("class") or "")]
            spans = [s for s in spans if s and parse_rating(s) is None]
            title = spans[-1] if spans else text_of(title_node)
        date = text_of(node.css_first("[data-hook=review-date]"))
        verified = node.css_first("[data-hook=avp-badge], [data-hook=avp-badge-linkless]") is not None
        if rating is None and title is None and date is None:
            continue  # an empty shell (lazy-loaded or damaged), not a review
        out.append(Review(id=rid, stars=int(rating) if rating is not None else None, title=title, date=date,
                          verified=verified))
    return tuple(out)


# ---------------------------------------------------------------- details

def _availability(tree: Tree) -> str | None:
    for node in tree.css("#availability"):
        if is_hidden(node):
            continue
        t = text_of(node)
        if t:
            return t
    return None


def _bsr(boxes: list[LexborNode]) -> tuple[Rank, ...]:
    rows: list[LexborNode] = []
    # nested containers (a wrapper and its list) just repeat rows, harmlessly
    for box in boxes:
        rows += [box] if box.attributes.get("id") == "SalesRank" else box.css("tr, li")
    for row in rows:
        t = text_of(row)
        if not t or not _BSR_LABEL_RE.search(t):
            continue
        ranks = []
        for m in _BSR_ITEM_RE.finditer(t):
            cat = clean(_BSR_LINK_PAREN_RE.sub("", m.group(2)))
            rank = parse_count(m.group(1))
            if rank and cat:
                ranks.append(Rank(rank, cat))
        if not ranks:
            for m in _BSR_JP_RE.finditer(t):
                rank = parse_count(m.group(1))
                if rank:
                    ranks.append(Rank(rank, clean(_BSR_LINK_PAREN_RE.sub("", m.group(2))) or ""))
        if ranks:
            return tuple(ranks)
    return ()


def _breadcrumbs(box: LexborNode | None) -> tuple[str, ...]:
    if box is None:
        return ()
    out = []
    for a in box.css("li a, li span.a-list-item > a"):
        t = text_of(a)
        if t and t not in out:
            out.append(t)
    if len(out) == 1 and box.css_first("a[href*='node=']") is None:
        return ()  # "Back to results": no category path
    return tuple(out)


def _bullets(box: LexborNode | None) -> tuple[str, ...]:
    if box is None:
        return ()
    out = []
    for li in box.css("li"):
        if li.attributes.get("id") == "replacementPartsFitmentBullet" or is_hidden(li):
            continue
        t = text_of(li)
        if t:
            out.append(t)
    return tuple(out)


def _main_images(tree: Tree) -> list[str]:
    node = tree.css_first("#landingImage, #imgBlkFront, #ebooksImgBlkFront, #main-image")
    if node is None:
        return []
    hires = node.attributes.get("data-old-hires")
    if hires and hires.startswith("http"):
        return [hires]
    dyn = node.attributes.get("data-a-dynamic-image")
    if dyn:
        try:
            urls = json.loads(htmllib.unescape(dyn))
            if isinstance(urls, dict) and urls:
                # the largest rendition first
                best = max(urls.items(), key=lambda kv: (kv[1][0] * kv[1][1]) if isinstance(kv[1], list) else 0)
                return [best[0]]
        except (ValueError, TypeError, IndexError):
            pass
    src = node.attributes.get("src")
    return [src] if src and src.startswith("http") else []


def _has_aplus(nodes: list[LexborNode]) -> bool | None:
    """True for an A+ section with content, else None: an empty or absent container proves nothing."""
    for node in nodes:
        if node.css_first("img, .aplus-module, p, .celwidget") is not None and text_of(node):
            return True
    return None
