"""Search results (`/s?k=`): every result card in page order, organic or sponsored, with what it shows.

A result card is `div[data-component-type="s-search-result"]` with a non-empty `data-asin`; widgets
around the grid ("Highly rated", "Today's deals" carousels, sponsored videos, brand banners) are not
positions. A card is sponsored when any of Amazon's ad signals is on it: the `AdHolder` class, the
`puis-sponsored-label` / `s-sponsored-label` markup, an `sp-sponsored-result` component, an `/sspa/click`
link, or a label that says "Sponsored" in the page's language.
"""
from __future__ import annotations

import logging
import re

from crawler.records import Outcome, SearchPage, SearchResult, SponsoredBanner
from spiders.parsers.cards import (
    Around,
    StarRatings,
    asin_from_href,
    buy_price,
    check_block,
    classes,
    clean,
    has_ancestor,
    looks_truncated,
    market_for,
    node_text,
    parse_count,
    query_value,
    valid_asin,
)
from spiders.parsers.common import attr, page_source
from spiders.parsers.dom import html_tree

log = logging.getLogger(__name__)

CARD = 'div[data-component-type="s-search-result"]'
SPONSORED_WORDS = frozenset(
    w.casefold()
    for w in (
        "Sponsored", "Patrocinado", "Patrocinados", "スポンサー", "Gesponsert", "Sponsorisé", "Sponsorisée",
        "Sponsorizzato", "赞助", "贊助", "Gesponsord", "Sponsrad", "Sponsorowane", "Sponsorlu", "ممول", "مُموَّل",
        "Sponsored Ad", "Anuncio patrocinado", "Annonce sponsorisée", "Gesponserte Anzeige",
    )
)
# (and an `a[href*="/sspa/click"]`, read from the card's links: a substring test of every href costs lexbor more than
# listing the links once and testing them in Python, where the review links are found too)
_SPONSOR_MARKUP = (
    ".puis-sponsored-label-text, .s-sponsored-label-text, .puis-sponsored-label-info-icon,"
    ' .s-sponsored-label-info-icon, [data-component-type="sp-sponsored-result"]'
)
# Labels are read only when no markup matched, so never from a `.s-sponsored-label-text` (part of the markup): it
# need not be listed again, for one selector test of every element less.
_LABEL_NODES = ".puis-label-popover-default, .s-label-popover-default, .a-color-secondary"
# Sponsored-brand slots above the grid, and sponsored videos inside it.
# What separates the words of a class attribute for `[class~=...]`: ASCII white space only.
_HTML_SPACE_RE = re.compile(r"[ \t\n\f\r]+")
_NO_RESULTS_RE = re.compile(r"NO_RESULTS|no-results", re.IGNORECASE)


def parse_search(
    html: str | bytes, url: str, marketplace: str | None = None, status: int | None = None, page: int | None = None
) -> SearchPage:
    """One page of search results; positions count on this page only (the caller offsets them)."""
    source = page_source(html)
    market = market_for(url, marketplace)
    keyword = query_value(url, "k", "field-keywords", "keywords") or ""
    page_no = page or _int(query_value(url, "page")) or 1
    blocked = check_block(source, status, url)  # UTF-8 bytes as they came: scanned by memmem (parsers.scan)
    if blocked is not None:
        return SearchPage(keyword, market.code, url, page_no, blocked[0], blocked[1])

    tree = html_tree(source)
    results: list[SearchResult] = []
    organic = sponsored_n = 0
    ratings = StarRatings()
    for card in _cards(tree):
        links = _links(card)
        sponsored = is_sponsored(card, links)
        if sponsored:
            sponsored_n += 1
        else:
            organic += 1
        results.append(_result(card, links, ratings, market, page_no, len(results) + 1, sponsored, organic,
                               sponsored_n))

    missing: list[str] = []
    outcome = Outcome.OK
    reason: str | None = None
    if not results:
        if not _no_results(tree):
            outcome, reason = Outcome.PARSE_INCOMPLETE, "no result cards on the page"
            missing.append("results")
    elif looks_truncated(source):
        outcome, reason = Outcome.PARSE_INCOMPLETE, "page cut short (no closing </html>)"
    if results and any(r.title is None for r in results):
        missing.append("title")
    if missing:
        log.debug("search %r page %s missing %s", keyword, page_no, missing)
    return SearchPage(
        keyword, market.code, url, page_no, outcome, reason,
        results=tuple(results), banners=tuple(_banners(tree)), missing=tuple(missing),
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _cards(tree) -> list:
    """Result cards in page order, leaving out any nested inside another card or inside a carousel widget."""
    # The elements above the cards are shared (the grid's rows and columns), so climbing from each card with every
    # element's answer kept tests each of them once: cheaper than lexbor's three descendant selectors, each a
    # test of every element of the page.
    nested = Around(_holds_cards)
    return [node for node in tree.css(CARD) if (attr(node, "data-asin") or "").strip() and not nested(node)]


def _holds_cards(node) -> bool:
    """What a card must not sit in: another card, `[class~="a-carousel"]` (the class token as written: `.a-carousel`
    would ignore case in quirks mode) or `[data-a-carousel-options]` (present, with or without a value)."""
    if not node.is_element_node:
        return False
    attrs = node.attributes
    if attrs.get("data-component-type") == "s-search-result" or "data-a-carousel-options" in attrs:
        return True
    return "a-carousel" in _HTML_SPACE_RE.split(attrs.get("class") or "")


def _links(card) -> list[tuple]:
    """(link, href) of every <a> in the card (itself included, as a selector would), in page order."""
    return [(node, attr(node, "href")) for node in card.css("a")]


def is_sponsored(card, links: list[tuple]) -> bool:
    """Any of Amazon's ad signals on the card (they agree on every real page we have)."""
    if "AdHolder" in classes(card):
        return True
    if any(href is not None and "/sspa/click" in href for _, href in links):
        return True
    if card.css_first(_SPONSOR_MARKUP) is not None:
        return True
    for node in card.css(_LABEL_NODES):
        label = clean(node.text())
        if label and label.casefold() in SPONSORED_WORDS:
            return True
    return False


def _result(card, links, ratings, market, page_no, position, sponsored, organic, sponsored_n) -> SearchResult:
    title_h2, brand = _title_and_brand(card)
    price_box = card.css_first('[data-cy="price-recipe"]') or card
    badges, deal = _badges(card)
    return SearchResult(
        page=page_no,
        position=position,
        asin=card.attributes["data-asin"].strip(),
        sponsored=sponsored,
        organic_position=None if sponsored else organic,
        sponsored_position=sponsored_n if sponsored else None,
        title=title_h2,
        brand=brand,
        price=buy_price(price_box, market, skip=_secondary_offer),
        rating=ratings(card),
        review_count=_review_count(card, links),
        badges=badges,
        coupon=_coupon(card),
        deal=deal,
    )


def _secondary_offer(node) -> bool:
    # "No featured offers available / $49.99 (1 new offer)" and "More Buying Choices": not the buy price
    return attr(node, "data-cy") == "secondary-offer-recipe"


def _title_and_brand(card) -> tuple[str | None, str | None]:
    """The product title (the linked h2) and a brand line printed above it (fashion and some grids)."""
    heads = card.css("h2, h5")  # one walk for the title's h2 and the brand line's h2 or h5
    h2s = [h for h in heads if h.tag == "h2"]
    title_node = None
    for h2 in h2s:
        if h2.css_first("a") is not None or has_ancestor(h2, card, lambda n: n.tag == "a"):
            title_node = h2
            break
    if title_node is None and h2s:
        title_node = h2s[-1]
    title = node_text(title_node)
    if title is None and title_node is not None:
        title = clean(attr(title_node, "aria-label"))
    brand = None
    for h in heads:
        if title_node is not None and h.mem_id == title_node.mem_id:
            continue
        if has_ancestor(h, card, lambda n: n.tag == "a") or not has_ancestor(h, card, _title_area):
            continue
        text = node_text(h)
        if text and text.casefold() not in SPONSORED_WORDS:
            brand = text
            break
    return title, brand


def _title_area(node) -> bool:
    """Where a brand line sits: the title recipe, or the grey row above the title (older grids)."""
    if attr(node, "data-cy") == "title-recipe":
        return True
    names = classes(node)
    return "s-title-instructions-style" in names or ("a-row" in names and "a-color-secondary" in names)


def _review_count(card, links: list[tuple]) -> int | None:
    """The ratings count: the reviews link's aria-label ("7.319 calificaciones"), its text ("652"), or a
    bare-number aria-label span (2023-24 layout). Rounded figures ("(1.5K)") are not read."""
    for link in (node for node, href in links if href is not None and "customerReviews" in href):
        for candidate in (attr(link, "aria-label"), link.text()):
            value = parse_count(candidate)
            if value is not None:
                return value
    for span in card.css("span[aria-label]"):
        label = clean(attr(span, "aria-label")) or ""
        if re.fullmatch(r"\(?\d[\d.,\s]*\)?", label):
            return parse_count(label)
    return None


def _badges(card) -> tuple[tuple[str, ...], str | None]:
    """Status badges ("Best Seller", "Overall Pick", "Amazon's Choice") and the first deal badge."""
    badges: list[str] = []
    deal = None
    for badge in card.css(".a-badge"):
        label = node_text(badge.css_first(".a-badge-text")) or node_text(badge.css_first(".a-badge-label"))
        if not label:
            continue
        kind = attr(badge, "data-a-badge-type")
        if kind == "deal" or (kind is None and has_ancestor(badge, card, _price_recipe)):
            deal = deal or label
        elif label not in badges:
            badges.append(label)
    for node in card.css(".rio-badge-label"):
        label = node_text(node)
        if label and label not in badges:
            badges.append(label)
    return tuple(badges), deal


def _price_recipe(node) -> bool:
    return attr(node, "data-cy") == "price-recipe"


def _coupon(card) -> str | None:
    """The coupon box's `.s-coupon-unclipped` (else the box), else the card's first `.s-coupon-unclipped`.

    Box and text are listed by one query (most cards have neither: one query's fixed cost saved); the box is the
    first element with the component's attribute (lexbor compares attribute values case-sensitively, as == does),
    and with no box the list holds only `.s-coupon-unclipped` elements."""
    found = card.css('[data-component-type="s-coupon-component"], .s-coupon-unclipped')
    box = next((n for n in found if attr(n, "data-component-type") == "s-coupon-component"), None)
    if box is None:
        return node_text(found[0] if found else None, separator=" ")
    return node_text(box.css_first(".s-coupon-unclipped") or box, separator=" ")


def _no_results(tree) -> bool:
    for node in tree.css("[cel_widget_id], .s-no-results-result"):
        widget = attr(node, "cel_widget_id") or "no-results"
        if _NO_RESULTS_RE.search(widget):
            return True
    return False


def _banners(tree) -> list[SponsoredBanner]:
    """Sponsored-brand banners (top slot) and sponsored videos, with the brand and ASINs they show."""
    out: list[SponsoredBanner] = []
    # Every widget in one presence walk, the banner slots told in Python: three substring selectors were three
    # walks of the page, and the widgets are also what a banner slot must not sit in.
    widgets = tree.css("[cel_widget_id]")
    ids = {w.mem_id for w in widgets}
    for widget in widgets:
        if not _is_banner_slot(attr(widget, "cel_widget_id") or ""):
            continue
        if has_ancestor(widget, None, lambda n: n.mem_id in ids):
            continue
        asins: list[str] = []
        for node in widget.css("[data-asin]"):
            asin = valid_asin(attr(node, "data-asin"))
            if asin and asin not in asins:
                asins.append(asin)
        for link in widget.css("a[href]"):
            asin = asin_from_href(attr(link, "href"))
            if asin and asin not in asins:
                asins.append(asin)
        kind = "video" if widget.css_first("video") is not None else "brand"
        out.append(SponsoredBanner(kind=kind, brand=_banner_brand(widget), asins=tuple(asins)))
    return out


def _is_banner_slot(widget_id: str) -> bool:
    """`[cel_widget_id*="loom-desktop-top-slot"], [cel_widget_id^="sb-"], [cel_widget_id*="VIDEO_SINGLE_PRODUCT"]`:
    sponsored-brand slots above the grid, and sponsored videos inside it."""
    return "loom-desktop-top-slot" in widget_id or widget_id.startswith("sb-") or "VIDEO_SINGLE_PRODUCT" in widget_id


_FROM_RE = re.compile(r"\bfrom\s+(.+?)(?:,|$)", re.IGNORECASE)


def _banner_brand(widget) -> str | None:
    for node in widget.css("[aria-label]"):
        m = _FROM_RE.search(attr(node, "aria-label") or "")
        if m and clean(m.group(1)):
            return clean(m.group(1))
    logo = widget.css_first('a[data-component="LOGO"] img[alt], [class*="logo"] img[alt]')
    return clean(attr(logo, "alt")) if logo is not None else None
