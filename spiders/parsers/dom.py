"""Lexbor tree helpers for the page parsers: an id index that answers most selectors without a tree walk.

A product page is 1-3 MB of markup and every lexbor walk of it costs about as much as a hundred Python
lookups, so the parsers ask their questions of an `IdScope`: one `[id]` walk lists the page's elements
with an id, and "#id" / "#id compound" selectors become dict lookups plus walks of small containers.
"""
from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser


def html_tree(source: str | bytes) -> LexborHTMLParser:
    """The page's tree as served. Lexbor's mutation events are off (WO_EVENTS): they add what a browser's
    scripts would see (a <selectedcontent> copy of the chosen <option>) and cost ~2% of the parse; no parser
    reads those copies, and every golden page parses to the same records without them."""
    return LexborHTMLParser(source, options=LexborDocumentOptions.WO_EVENTS)


# A selector part that can only match at or below an element with a known id: its leftmost compound names
# the id ("#buybox .price", "input#ASIN") or an id prefix or suffix ("[id^=couponBadge] a", "[id$=SoldBy]").
_PART_ID_RE = re.compile(r"^[\w-]*#([A-Za-z][\w-]*)(?:[.\[:][^()]*)?$")
_PART_AFFIX_RE = re.compile(r"""^\[id([\^$])=["']?([\w-]+)["']?\]$""")
_PURE_ID_RE = re.compile(r"#[A-Za-z][\w-]*")
# A compound that only tests the element itself with a tag, an id, classes or attribute presence ("input#ASIN",
# "#ppd[data-asin]"): on an index hit it is checked in Python, not by a walk of the hit's whole subtree.
_SELF_RE = re.compile(r"""^([a-z][a-z0-9]*)?((?:#[\w-]+|\.[\w-]+|\[[\w-]+\]|\[id[\^$]=["']?[\w-]+["']?\])+)$""")
_SELF_TOKEN_RE = re.compile(r"""#([\w-]+)|\.([\w-]+)|\[([\w-]+)\]|\[id([\^$])=["']?([\w-]+)["']?\]""")


class IdScope:
    """A subtree whose elements with an id are listed once, so a selector made of "#id" and "#id compound"
    parts ("#a, #b .price") is a dict lookup plus walks of those small containers, not a walk of the subtree.

    Lexbor's cost per walk grows with the number of selectors in the list (a 38-id list costs as much as
    15 single walks), while one `[id]` walk costs about one single walk. Results are what `node.css` gives
    (page order, the subtree's own root included), except that a node two parts match, which lexbor lists
    twice, may be listed once; any other selector, or a case where
    containers nest or sit above the subtree, runs on the subtree as usual. The subtree must not change
    while the scope is in use. `indexed=False` (a quirks-mode document, where lexbor matches ids
    case-insensitively) runs every query on the subtree. `within(node)` scopes a part of the subtree on
    the same index, without a walk of its own.
    """

    __slots__ = ("_above", "_hi", "_index", "_lo", "_memo", "node")

    def __init__(self, node, indexed: bool = True) -> None:
        self.node = node
        self._memo: dict[str, list] = {}
        self._above = _ancestor_ids(node)
        self._index = _Index(node.css("[id]")) if indexed else None
        # the positions (in the index) of this scope's elements: a subtree is one run in page order
        self._lo, self._hi = 0, len(self._index.nodes) if self._index is not None else 0

    def within(self, node) -> IdScope:
        """The scope of `node`, an element of this scope's subtree, answered from this scope's index."""
        sub = IdScope.__new__(IdScope)
        sub.node = node
        sub._memo = {}
        sub._above = _ancestor_ids(node)
        sub._index = self._index
        sub._lo, sub._hi = self._span(node) if self._index is not None else (0, 0)
        return sub

    def _span(self, node) -> tuple[int, int]:
        """Index positions of `node` and its descendants: from the first of them to the first that is not."""
        assert self._index is not None
        first = node.css_first("[id]")  # `node` itself when it has an id
        if first is None:
            return 0, 0
        lo = next((pos for pos, n in self._index.hits(first.id) if n.mem_id == first.mem_id), None)
        if lo is None or not self._lo <= lo < self._hi:
            raise ValueError("node is not in this scope")
        top, nodes = node.mem_id, self._index.nodes
        a, b = lo + 1, self._hi  # nodes[a - 1] is inside; find the first position that is not
        while a < b:
            mid = (a + b) // 2
            if _is_inside(nodes[mid], top):
                a = mid + 1
            else:
                b = mid
        return lo, a

    def by_id(self, ident: str) -> list:
        """The elements with this id, in page order."""
        if self._index is None:
            return self.node.css("#" + ident)
        return [n for pos, n in self._hits(ident)]

    def css(self, query: str) -> list:
        got = self._memo.get(query)
        if got is None:
            got = self._lookup(query) if self._index is not None else None
            if got is None:
                got = self.node.css(query)
            self._memo[query] = got
        return list(got)

    def css_first(self, query: str):
        got = self.css(query)
        return got[0] if got else None

    def _hits(self, ident: str) -> list:
        assert self._index is not None
        hits = self._index.hits(ident)
        if not hits:  # most ids asked for are absent
            return hits
        lo, hi = self._lo, self._hi
        return [hit for hit in hits if lo <= hit[0] < hi]

    def _affix_hits(self, op: str, text: str) -> list:
        assert self._index is not None
        return [hit for hit in self._index.affix_hits(op, text) if self._lo <= hit[0] < self._hi]

    def _lookup(self, query: str) -> list | None:
        plan = _PLANS.get(query)
        if plan is None:
            plan = _plan(query)
            if len(_PLANS) < 1024:  # the parsers' selectors are constants: a handful of plans in all
                _PLANS[query] = plan
        kind, steps = plan
        if kind == "ids":
            # ids alone: positions come from one walk, so sorting them gives page order whatever the nesting
            found = {n.mem_id: (pos, n) for ident in steps for pos, n in self._hits(ident)}
            return [n for _, n in sorted(found.values(), key=lambda hit: hit[0])]
        if kind == "self":
            # each part tests an indexed element itself: its hits, filtered, are the answer (no subtree walks)
            found = {}
            for (op, text), check in steps:
                hits = self._hits(text) if op == "#" else self._affix_hits(op, text)
                found.update((n.mem_id, (pos, n)) for pos, n in hits if check(n))
            return [n for _, n in sorted(found.values(), key=lambda hit: hit[0])]
        if kind == "walk":
            return None
        # Otherwise every match is at or below an element with one of the named ids: run the query on the
        # outermost of those (disjoint, so their results follow each other in page order), each with only the
        # parts led by an id inside it (lexbor's walk costs more per selector in the list).
        containers: dict[int, tuple[int, Any, list[str]]] = {}
        for part, op, text in steps:
            if op == "#":
                if text in self._above:
                    return None
                hits = self._hits(text)
            else:
                if any(i and (i.startswith(text) if op == "^" else i.endswith(text)) for i in self._above):
                    return None
                hits = self._affix_hits(op, text)
            for pos, n in hits:
                containers.setdefault(n.mem_id, (pos, n, []))[2].append(part)
        outer: dict[int, tuple[int, Any, list[str]]] = {}
        for key, (pos, n, led) in containers.items():
            top = key
            cur = n.parent
            while cur is not None:
                if cur.mem_id in containers:
                    top = cur.mem_id
                cur = cur.parent
            group = outer.setdefault(top, (containers[top][0], containers[top][1], []))[2]
            group += [part for part in led if part not in group]
        out = []
        for _, n, led in sorted(outer.values(), key=lambda c: c[0]):
            out += n.css(", ".join(_drop_covered(n.id, led)))
        return out


# query -> how `_lookup` answers it: ("ids", ids), ("self", ((lead, check), ...)), ("led", ((part, op, text),
# ...)) or ("walk", ()); parsed once per process, not once per page (a page asks ~25 queries).
_PLANS: dict[str, tuple[str, tuple]] = {}


def _plan(query: str) -> tuple[str, tuple]:
    parts = [part.strip() for part in query.split(",")]
    if all(_PURE_ID_RE.fullmatch(part) for part in parts):
        return "ids", tuple(part[1:] for part in parts)
    selfs = [_self_test(part) for part in parts]
    if all(selfs):
        return "self", tuple(selfs)
    led = []
    for part in parts:
        lead = part.split(None, 1)[0] if part else ""
        m = _PART_ID_RE.match(lead)
        if m is not None:
            led.append((part, "#", m.group(1)))
            continue
        m = _PART_AFFIX_RE.match(lead)
        if m is None:
            return "walk", ()
        op, text = m.groups()
        led.append((part, op, text))
    return "led", tuple(led)


class _Index:
    """The elements with an id in page order, and where each id sits in that list (shared by a scope and its
    sub-scopes). Built from C-speed dict constructions: a Python loop over thousands of elements costs more
    than the `[id]` walk itself."""

    __slots__ = ("_affix", "_blob", "_first", "_ids", "_last", "nodes")

    def __init__(self, nodes: list) -> None:
        self.nodes = nodes
        self._ids = ids = [n.id for n in nodes]
        self._last = dict(zip(ids, range(len(ids))))
        self._first = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))
        self._affix: dict[tuple[str, str], list] = {}
        self._blob: str | None = None

    def hits(self, ident: str | None) -> list:
        """(position, element) of each element with this id, in page order."""
        lo = self._first.get(ident)
        if lo is None:
            return []
        hi = self._last[ident]
        if lo == hi:  # the usual case: one element
            return [(lo, self.nodes[lo])]
        ids, nodes = self._ids, self.nodes
        return [(pos, nodes[pos]) for pos in range(lo, hi + 1) if ids[pos] == ident]

    def affix_hits(self, op: str, text: str) -> list:
        """Like `hits`, for every id that starts ("^") or ends ("$") with `text`, by position."""
        key = (op, text)
        got = self._affix.get(key)
        if got is None:
            # the ids joined once, then searched at C speed (a startswith test per id costs ~0.1 ms a query)
            if self._blob is None:
                keys = [i for i in self._first if i]
                self._blob = "\n" + "\n".join(keys) + "\n"
                if self._blob.count("\n") != len(keys) + 1:  # an id with a line break: test each id instead
                    self._blob = ""
            blob, found = self._blob, []
            if not blob:
                test = str.startswith if op == "^" else str.endswith
                found = [hit for i in self._first if i and test(i, text) for hit in self.hits(i)]
            needle = "\n" + text if op == "^" else text + "\n"
            at = blob.find(needle)
            while at != -1 and text:
                start = at + 1 if op == "^" else blob.rfind("\n", 0, at) + 1
                end = blob.find("\n", start)
                found += self.hits(blob[start:end])
                at = blob.find(needle, at + 1)
            got = self._affix[key] = sorted(found, key=lambda hit: hit[0])
        return got


def _self_test(part: str):
    """For a compound that tests only the element itself: (the id to look up as ("#", id) or an affix as
    ("^" / "$", text), a check of the rest on a node). None for anything else, or an id that the index cannot
    answer (a part naming two ids)."""
    m = _SELF_RE.match(part)
    if m is None:
        return None
    tag = m.group(1)
    lead = None
    classes: list[str] = []
    attrs: list[str] = []
    for ident, cls, name, op, text in _SELF_TOKEN_RE.findall(m.group(2)):
        if ident or op:
            if lead is not None:
                return None
            lead = ("#", ident) if ident else (op, text)
        elif cls:
            classes.append(cls)
        else:
            attrs.append(name.lower())
    if lead is None:
        return None

    def check(node) -> bool:
        if tag is not None and node.tag != tag:
            return False
        got = node.attrs
        if any(name not in got for name in attrs):
            return False
        return not classes or all(c in (got.get("class") or "").split() for c in classes)
    return lead, check


def _drop_covered(outer_id: str | None, parts: list[str]) -> list[str]:
    """`parts` run on the container `#outer_id`, less each "#inner rest" whose rest also follows "#outer_id"
    there: the inner container sits below the outer one, so those matches are already in the outer part's."""
    if not outer_id:
        return parts
    rests = {part[len(outer_id) + 2:] for part in parts if part.startswith("#" + outer_id + " ")}
    rests = {r for r in rests if r and r[0] not in ">+~"}
    if not rests:
        return parts
    out = []
    for part in parts:
        lead, _, rest = part.partition(" ")
        if lead != "#" + outer_id and rest in rests:
            continue
        out.append(part)
    return out


def _ancestor_ids(node) -> set[str | None]:
    """Ids of the elements above `node`: "#X y" also matches below an #X that encloses the whole subtree."""
    out: set[str | None] = set()
    cur = getattr(node, "parent", None)
    while cur is not None:
        out.add(cur.id)
        cur = cur.parent
    return out


def _is_inside(node, top: int) -> bool:
    """`node` is the element whose mem_id is `top`, or one of its descendants."""
    cur = node
    while cur is not None:
        if cur.mem_id == top:
            return True
        cur = cur.parent
    return False
