"""Ranked lists: best sellers, new releases, movers & shakers (and the all-departments landing page).

Each rendered entry carries a rank badge ("#1": `.zg-bdg-text`; older `.zg-badge-text`, `.zg_rankNumber`).
The grid renders the first 30 and leaves the rest to a script: their ids and ranks are already in the
grid's `data-client-recs-list` JSON, so they become entries with rank and ASIN only. The landing page
holds several carousels, each ranked from #1 under its heading: entries carry that heading as `list`
(their carousels' `id_list` JSON names the ranks not rendered yet).
"""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

from crawler.records import ListEntry, ListPage, Outcome
from spiders.parsers.cards import (
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
    parse_rating,
    read_money,
    valid_asin,
)
from spiders.parsers.common import attr, page_source
from spiders.parsers.dom import html_tree

log = logging.getLogger(__name__)

BADGES = ".zg-bdg-text, .zg-badge-text, .zg_rankNumber"
_CARD_IDS = ("gridItemRoot", "zg-item")
_CARD_CLASSES = frozenset({"a-carousel-card", "zg-item-immersion", "zg_itemImmersion"})
_PRODUCT_LINK = 'a[href*="/dp/"], a[href*="/gp/product/"]'
_RANK_RE = re.compile(r"\d[\d,.]*")
_NON_DIGIT_RE = re.compile(r"\D")
_KINDS = (  # (URL path piece, reftag prefix, kind); new releases before the generic /zgbs/
    ("new-releases", "zg_bsnr", "new_releases"),
    ("movers-and-shakers", "zg_bsms", "movers_and_shakers"),
    ("most-wished-for", "zg_mw", "most_wished_for"),
    ("most-gifted", "zg_mg", "gift_ideas"),
    ("bestsellers", "zg_bs", "bestsellers"),
    ("best-sellers", "zg_bs", "bestsellers"),
    ("/zgbs", "zg_bs", "bestsellers"),
)


def parse_list(html: str | bytes, url: str, marketplace: str | None = None, status: int | None = None) -> ListPage:
    """A ranked list in rank order (per heading on the landing page); an empty list the page announces is ok."""
    source = page_source(html)
    market = market_for(url, marketplace)
    blocked = check_block(source, status, url)  # UTF-8 bytes as they came: scanned by memmem (parsers.scan)
    if blocked is not None:
        return ListPage(_kind(url, None), market.code, url, blocked[0], blocked[1])

    tree = html_tree(source)
    headings = _Headings(tree)
    entries = _rendered(tree, market, headings)
    entries = _with_json_ranks(tree, entries, headings)
    name = _name(tree)
    outcome, missing = Outcome.OK, []
    reason: str | None = None
    if not entries:
        if not _says_empty(tree):
            outcome, reason = Outcome.PARSE_INCOMPLETE, "no ranked entries on the page"
            missing.append("entries")
    elif looks_truncated(source):
        outcome, reason = Outcome.PARSE_INCOMPLETE, "page cut short (no closing </html>)"
    if name is None:
        missing.append("name")
    return ListPage(
        kind=_kind(url, tree), marketplace=market.code, url=url, outcome=outcome, reason=reason, name=name,
        category=_category(tree, url), entries=tuple(entries), missing=tuple(missing),
    )


def _kind(url: str, tree) -> str:
    path = urlsplit(url or "").path.lower()
    for piece, _, kind in _KINDS:
        if piece in path:
            return kind
    if tree is not None:
        node = tree.css_first("[data-reftag]")
        reftag = (attr(node, "data-reftag") or "") if node is not None else ""
        for _, prefix, kind in _KINDS:
            if reftag.startswith(prefix + "_"):
                return kind
    return "bestsellers"


def _name(tree) -> str | None:
    """The list's heading ("Best Sellers in Amazon Devices & Accessories"), not the site banner above it."""
    for h1 in tree.css("h1"):
        if h1.css_first("#zg_banner_text") is not None or attr(h1, "id") == "zg_banner_text":
            continue
        name = node_text(h1, separator=" ")
        if name:
            return name
    return None


def _category(tree, url: str) -> str | None:
    """The selected node of the department tree; the root ("Any Department") only on a landing URL."""
    node = tree.css_first('[role="treeitem"] [class*="zg-selected"], .zg_selected, #zg_browseRoot .zg_selected')
    if node is None:
        return None
    own = clean(node.text(deep=False)) or node_text(node)
    treeitem = node.parent
    root = treeitem is not None and any("root-browse-item" in c for c in classes(treeitem))
    path = urlsplit(url or "").path.rstrip("/")
    landing = bool(re.fullmatch(r"(?:/gp)?/(?:bestsellers|new-releases|movers-and-shakers|most-wished-for|"
                                r"most-gifted)|/zgbs|/Best-Sellers/zgbs", path, re.IGNORECASE))
    if root and not landing:
        return None  # an empty category page shows the root selected: that is not this list's category
    return own


def _rendered(tree, market, carousel_heading) -> list[ListEntry]:
    found = []  # (badge, card, rank, asin) of every readable entry, in page order
    taken: set[int] = set()
    holders = _link_holders(tree)
    badges = tree.css(BADGES)
    lone = _lone_badges(badges)
    for badge in badges:
        if badge.mem_id in taken:
            continue
        taken.add(badge.mem_id)
        m = _RANK_RE.search(badge.text() or "")
        card = _card_of(badge, holders, lone) if m else None
        asin = _asin_of(card) if card is not None else None
        if m and asin:
            found.append((badge, card, int(_NON_DIGIT_RE.sub("", m.group(0))), asin))
    headings = [carousel_heading(badge) for badge, *_ in found]
    keys = list(zip(headings, (rank for _, _, rank, _ in found)))
    if len(set(keys)) < len(keys):
        # ranks repeat under one heading: several lists whose sections are not carousels; name each by
        # the one heading of its nearest section
        headings = [h or _section_heading(badge) for h, (badge, *_) in zip(headings, found)]
    entries: list[ListEntry] = []
    seen: set[tuple[str | None, int]] = set()
    ratings = StarRatings()
    for heading, (_, card, rank, asin) in zip(headings, found):
        if (heading, rank) in seen:
            continue
        seen.add((heading, rank))
        entries.append(ListEntry(
            rank=rank, asin=asin, title=_title_of(card), price=_price_of(card, market),
            rating=_rating_of(card, ratings), review_count=_count_of(card), list=heading,
        ))
    return entries


def _section_heading(node) -> str | None:
    """The heading of the smallest ancestor that holds any h2/h3: its text when it holds exactly one."""
    cur = node.parent
    while cur is not None and cur.tag not in ("body", "html"):
        heads = cur.css("h2, h3")
        if heads:
            return node_text(heads[0], separator=" ") if len(heads) == 1 else None
        cur = cur.parent
    return None


def _link_holders(tree) -> set[int]:
    """mem_ids of the product links and every element above one: "holds a product link" without a walk per
    ancestor of every badge (each `css_first` costs ~3 us even on a small subtree)."""
    out: set[int] = set()
    for link in tree.css(_PRODUCT_LINK):
        cur = link
        while cur is not None and cur.mem_id not in out:
            out.add(cur.mem_id)
            cur = cur.parent
    return out


def _lone_badges(badges) -> dict[int, int]:
    """For every element at or above a badge: the mem_id of the one badge it holds (itself included), 0 when it
    holds several. "Holds just this badge" for every ancestor of every badge from one climb of each badge,
    instead of a badge query of each candidate entry (~3 us each, most of it lexbor parsing the selector)."""
    owner: dict[int, int] = {}
    for badge in badges:
        key = badge.mem_id
        cur = badge
        while cur is not None:
            got = owner.get(cur.mem_id)
            if got == 0 or got == key:
                break  # several below it, and so above it; or this badge climbed here already (listed twice)
            owner[cur.mem_id] = key if got is None else 0
            cur = cur.parent
    return owner


def _card_of(badge, link_holders: set[int], lone: dict[int, int]):
    """The entry around a rank badge: the nearest ancestor holding a product link and just this one badge."""
    cur = badge.parent
    for _ in range(8):
        if cur is None:
            return None
        if attr(cur, "id") in _CARD_IDS or not _CARD_CLASSES.isdisjoint(classes(cur)):
            return cur
        if cur.mem_id in link_holders:
            return cur if lone.get(cur.mem_id) else None
        cur = cur.parent
    return None


def _asin_of(card) -> str | None:
    for node in card.css("[data-asin]"):
        asin = valid_asin(attr(node, "data-asin"))
        if asin:
            return asin
    # every id in page order (`.p13n-sc-uncoverable-faceout[id], [id]` listed the faceouts among them twice, in
    # place, for a second selector test of every element)
    for node in card.css("[id]"):
        asin = valid_asin(attr(node, "id"))
        if asin:
            return asin
    for node in card.css("[data-p13n-asin-metadata]"):
        try:
            asin = valid_asin(json.loads(attr(node, "data-p13n-asin-metadata") or "{}").get("asin"))
        except (ValueError, AttributeError):
            asin = None
        if asin:
            return asin
    for link in card.css("a[href]"):
        asin = asin_from_href(attr(link, "href"))
        if asin:
            return asin
    return None


def _title_of(card) -> str | None:
    for node in card.css(".p13n-sc-truncated[title], .p13n-sc-truncate[title]"):
        title = clean(attr(node, "title"))
        if title:
            return title
    for link in card.css('a[href*="/dp/"], a[href*="/gp/product/"]'):
        title = node_text(link)
        if title:
            return title
    img = card.css_first("img[alt]")
    return clean(attr(img, "alt")) if img is not None else None


def _price_of(card, market):
    """The entry's price; an "N offers from ₹168" line is the cheapest other offer, not a price: skipped."""
    for node in card.css('[class*="p13n-sc-price"], .a-color-price'):
        if has_ancestor(node, card, lambda n: "a-color-secondary" in classes(n)):
            continue
        money = read_money(node.text(), market)
        if money is not None:
            return money
    return buy_price(card, market, skip=lambda n: "a-color-secondary" in classes(n))


def _rating_of(card, ratings: StarRatings):
    value = ratings(card)
    if value is not None:
        return value
    link = card.css_first('a[href*="/product-reviews/"][title]')
    return parse_rating(attr(link, "title")) if link is not None else None


def _count_of(card) -> int | None:
    for node in card.css('a[href*="/product-reviews/"] .a-size-small, a[href*="/product-reviews/"]'):
        text = clean(node.text(deep=False)) if node.tag == "a" else node_text(node)
        value = parse_count(text)
        if value is not None:
            return value
    return None


class _Headings:
    """The heading of the carousel around a node: carousels are listed by one selector walk and each heading is
    read once, instead of reading the class of every ancestor of every badge."""

    def __init__(self, tree) -> None:
        self._containers = {n.mem_id for n in tree.css('[class~="a-carousel-container"]')}
        self._memo: dict[int, str | None] = {}

    def __call__(self, node) -> str | None:
        if not self._containers:
            return None
        cur = node.parent
        while cur is not None:
            key = cur.mem_id
            if key in self._containers:
                if key not in self._memo:
                    self._memo[key] = node_text(cur.css_first(".a-carousel-heading"), separator=" ")
                return self._memo[key]
            cur = cur.parent
        return None


def _with_json_ranks(tree, entries: list[ListEntry], carousel_heading) -> list[ListEntry]:
    """Add the ranks only named in the page's JSON (rendered later by a script), then order by rank."""
    have = {(e.list, e.rank) for e in entries}
    extra: list[ListEntry] = []
    for grid in tree.css("[data-client-recs-list]"):
        heading = carousel_heading(grid)
        for rank, asin in _recs(attr(grid, "data-client-recs-list")):
            if (heading, rank) not in have:
                have.add((heading, rank))
                extra.append(ListEntry(rank=rank, asin=asin, list=heading))
    for carousel in tree.css(".a-carousel-container[data-a-carousel-options]"):
        if carousel.css_first(BADGES) is None:
            continue  # only carousels of ranked entries
        heading = node_text(carousel.css_first(".a-carousel-heading"), separator=" ")
        try:
            options = json.loads(attr(carousel, "data-a-carousel-options") or "{}")
            ids = (options.get("ajax") or {}).get("id_list") or []
        except (ValueError, AttributeError):
            continue
        for rank, asin in _recs(ids):
            if (heading, rank) not in have:
                have.add((heading, rank))
                extra.append(ListEntry(rank=rank, asin=asin, list=heading))
    if not extra:
        return entries
    order: dict[str | None, int] = {}
    for e in entries + extra:
        order.setdefault(e.list, len(order))
    return sorted(entries + extra, key=lambda e: (order[e.list], e.rank))


def _recs(raw) -> list[tuple[int, str]]:
    """(rank, ASIN) pairs from a recs JSON list: objects, or JSON strings of objects (carousel id_list)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                continue
        if not isinstance(item, dict):
            continue
        asin = valid_asin(item.get("id"))
        rank = str((item.get("metadataMap") or {}).get("render.zg.rank") or "")
        if asin and rank.isdigit():
            out.append((int(rank), asin))
    return out


def _says_empty(tree) -> bool:
    """An empty list the page states as such (the grid's recs JSON is `[]`), not a page we failed to read."""
    grid = tree.css_first("[data-client-recs-list]")
    return grid is not None and _recs(attr(grid, "data-client-recs-list")) == [] and \
        (attr(grid, "data-client-recs-list") or "").strip() == "[]"
