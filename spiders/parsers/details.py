"""The parts of a product page below the buy box: bullets, breadcrumbs, best-sellers ranks, the rating
histogram, top reviews and the A+ section.

All their containers are found in one walk of the tree (`read_details`), then each is read on its own.
Labels are matched in many languages; numbers and structure (hrefs, meters) are preferred to words.
"""
from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.records import Rank, Review
from spiders.parsers.buybox import is_hidden, text_of
from spiders.parsers.common import attr, caseless, clean, parse_count, parse_rating, percent
from spiders.parsers.dom import IdScope

_has_bsr_label = caseless(
    r"best\s*sellers?\s*rank|bestseller-rang|bestsellerrang|más vendidos|mais vendidos|meilleures ventes"
    r"|più venduti|classifica bestseller|売れ筋ランキング|sales rank|bästsäljar|bestsellerów|najlepiej sprzedaj"
    r"|bestsellerlijst|en çok satan|الأكثر مبيع")
# "#1,234 in", "Nr. 1.234 in", "nº 1 234 en", "n. 1.234 in": the row's text has its no-break spaces made plain by
# clean(), so a plain space followed by exactly three digits is still part of the number (French, Swedish and
# Polish group thousands with spaces: "nº 1 234" was read as rank 1).
_BSR_ITEM_RE = re.compile(
    r"(?:#|Nr\.?\s?|n\.?\s?[º°o]\s?|N[º°]\s?|n\.\s?)\s?(\d[\d.,\u00a0\u202f]*(?: \d{3}(?=\s))*)\s+(?:\w+\s+)?"
    r"(?:in|en|em|dans|in der|i|w|في)\s+(.+?)(?=\s*(?:#|Nr\.|n\.?\s?[º°o]|N[º°]|n\.)\s?\d|$)")
_BSR_JP_RE = re.compile(r"(\d[\d,]*)\s*位\s*(.+?)(?=\s*-\s*\d|$)")
# "(See Top 100 in X)" / "(の売れ筋ランキングを見る)" links go; "(Kindle Store)" / "(Books)" qualifiers stay
_BSR_LINK_PAREN_RE = re.compile(r"\s*[(（][^()（）]*(?:100|ランキング)[^()（）]*[)）]")


_DETAIL_IDS = ("prodDetails", "productDetails_feature_div", "detailBulletsWrapper_feature_div",
               "detailBullets_feature_div", "SalesRank")
_APLUS_IDS = ("aplus", "aplus_feature_div", "aplusBrandStory_feature_div")
_SECTION_SELECTOR = ", ".join(["#histogramTable", "div[data-hook=review]", "#feature-bullets",
                               "#wayfinding-breadcrumbs_feature_div", *("#" + i for i in _DETAIL_IDS + _APLUS_IDS)])


_SECTION_IDS = frozenset(_DETAIL_IDS + _APLUS_IDS + ("histogramTable", "feature-bullets",
                                                     "wayfinding-breadcrumbs_feature_div"))


def _sections(tree: LexborHTMLParser | LexborNode) -> dict[str, list[LexborNode]]:
    """Every section container in one walk of the tree (a walk per section costs a millisecond more)."""
    out: dict[str, list[LexborNode]] = {}
    for node in tree.css(_SECTION_SELECTOR):
        key = "review" if attr(node, "data-hook") == "review" else attr(node, "id") or ""
        out.setdefault(key, []).append(node)
    return out


def _sections_by_id(tree: LexborHTMLParser | LexborNode, page: IdScope) -> dict[str, list[LexborNode]]:
    """`_sections` from an id index: the walk of a 12-selector list costs several single walks."""
    out: dict[str, list[LexborNode]] = {}
    reviews = tree.css("div[data-hook=review]")
    if reviews:
        out["review"] = reviews
    for ident in _SECTION_IDS:
        nodes = page.by_id(ident)
        if any(attr(n, "data-hook") == "review" for n in nodes):
            return _sections(tree)  # a section that is also a review: keyed "review" there, keep that rule
        if nodes:
            out[ident] = nodes
    return out


_STAR_WORDS = {"five": 5, "four": 4, "three": 3, "two": 2, "one": 1}
_STAR_FILTER_RE = re.compile(r"filterByStar=(five|four|three|two|one)_star")
_STAR_HIST_RE = re.compile(r"hist_(\d)")


def _histogram(tables: list[LexborNode]) -> dict[int, int] | None:
    for table in tables:
        out: dict[int, int] = {}
        rows = [r for r in table.css("tr, li") if r.css_first(".a-meter") is not None]
        for index, row in enumerate(rows):
            link = row.css_first("a[href*='filterByStar'], a[href*='hist_']")
            href = attr(link, "href") or "" if link is not None else ""
            m = _STAR_FILTER_RE.search(href) or _STAR_HIST_RE.search(href)
            if m:
                stars = _STAR_WORDS.get(m.group(1)) or int(m.group(1))
            elif len(rows) == 5:
                stars = 5 - index  # a 0% row has no link; rows always run 5 to 1
            else:
                continue
            meter = row.css_first(".a-meter")
            pct = percent(attr(meter, "aria-valuenow")) if meter is not None else None
            if pct is None:
                bar = row.css_first(".a-meter-bar")
                pct = percent((attr(bar, "style") or "").replace("width:", "")) if bar is not None else None
            if pct is None:
                pct = percent(attr(row, "aria-label"))
            if pct is not None and stars not in out:
                out[stars] = pct
        if len(out) >= 3:
            return dict(sorted(out.items(), reverse=True))
    return None


def _reviews(nodes: list[LexborNode]) -> tuple[Review, ...]:
    out = []
    for node in nodes:
        rid = attr(node, "id")
        if not rid:
            continue
        star = node.css_first("[data-hook=review-star-rating], [data-hook=cmps-review-star-rating], .review-rating")
        rating = parse_rating(text_of(star))
        title_node = node.css_first("[data-hook=review-title]")
        title = None
        if title_node is not None:
            spans = [text_of(s) for s in title_node.css("span")
                     if "a-icon-alt" not in (attr(s, "class") or "")]
            spans = [s for s in spans if s and parse_rating(s) is None]
            title = spans[-1] if spans else text_of(title_node)
        date = text_of(node.css_first("[data-hook=review-date]"))
        verified = node.css_first("[data-hook=avp-badge], [data-hook=avp-badge-linkless]") is not None
        if rating is None and title is None and date is None:
            continue  # an empty shell (lazy-loaded or damaged), not a review
        out.append(Review(id=rid, stars=int(rating) if rating is not None else None, title=title, date=date,
                          verified=verified))
    return tuple(out)


def _bsr(boxes: list[LexborNode]) -> tuple[Rank, ...]:
    rows: list[LexborNode] = []
    # nested containers (a wrapper and its list) repeat rows: a row read once without ranks is skipped after
    for box in boxes:
        rows += [box] if attr(box, "id") == "SalesRank" else box.css("tr, li")
    seen: set[int] = set()
    for row in rows:
        key = row.mem_id
        if key in seen:
            continue
        seen.add(key)
        t = text_of(row)
        if not t or not _has_bsr_label(t):
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
        if attr(li, "id") == "replacementPartsFitmentBullet" or is_hidden(li):
            continue
        t = text_of(li)
        if t:
            out.append(t)
    return tuple(out)


def _has_aplus(nodes: list[LexborNode]) -> bool | None:
    """True for an A+ section with content, else None: an empty or absent container proves nothing."""
    for node in nodes:
        if node.css_first("img, .aplus-module, p, .celwidget") is not None and text_of(node):
            return True
    return None


def read_details(tree: LexborHTMLParser | LexborNode, page: IdScope | None = None) -> dict:
    """The ProductSnapshot fields read below the buy box, by field name (`page`: an id index of `tree`)."""
    sec = _sections(tree) if page is None else _sections_by_id(tree, page)
    return {
        "rating_histogram": _histogram(sec.get("histogramTable", [])),
        "top_reviews": _reviews(sec.get("review", [])),
        "bsr": _bsr([n for key in _DETAIL_IDS for n in sec.get(key, ())]),
        "breadcrumbs": _breadcrumbs(sec.get("wayfinding-breadcrumbs_feature_div", [None])[0]),
        "bullets": _bullets(sec.get("feature-bullets", [None])[0]),
        "has_aplus": _has_aplus([n for key in _APLUS_IDS for n in sec.get(key, ())]),
    }
