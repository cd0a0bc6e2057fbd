"""Lexbor tree helpers for the page parsers: an id index that answers most selectors without a tree walk.

A product page is 1-3 MB of markup and every lexbor walk of it costs about as much as a hundred Python
lookups, so the parsers ask their questions of an `IdScope`: one `[id]` walk lists the page's elements
with an id, and "#id" / "#id compound" selectors become dict lookups plus walks of small containers.
"""
from __future__ import annotations

import re
from typing import Any

# A selector part that can only match at or below an element with a known id: its leftmost compound names
# the id ("#buybox .price", "input#ASIN") or an id prefix or suffix ("[id^=couponBadge] a", "[id$=SoldBy]").
_PART_ID_RE = re.compile(r"^[\w-]*#([A-Za-z][\w-]*)(?:[.\[:][^()]*)?$")
_PART_AFFIX_RE = re.compile(r"""^\[id([\^$])=["']?([\w-]+)["']?\]$""")
_PURE_ID_RE = re.compile(r"#[A-Za-z][\w-]*")


class IdScope:
    """A subtree whose elements with an id are listed once, so a selector made of "#id" and "#id compound"
    parts ("#a, #b .price") is a dict lookup plus walks of those small containers, not a walk of the subtree.

    Lexbor's cost per walk grows with the number of selectors in the list (a 38-id list costs as much as
    15 single walks), while one `[id]` walk costs about one single walk. Results are what `node.css` gives
    (page order, each node once, the subtree's own root included); any other selector, or a case where
    containers nest or sit above the subtree, runs on the subtree as usual. The subtree must not change
    while the scope is in use. `indexed=False` (a quirks-mode document, where lexbor matches ids
    case-insensitively) runs every query on the subtree. `within(node)` scopes a part of the subtree on
    the same index, without a walk of its own.
    """

    __slots__ = ("_above", "_affix", "_hi", "_ids", "_lo", "_memo", "_nodes", "node")

    def __init__(self, node, indexed: bool = True) -> None:
        self.node = node
        self._memo: dict[str, list] = {}
        self._above = _ancestor_ids(node)
        # ("^" or "$", text) -> the index entries whose id starts / ends with text; shared with sub-scopes
        self._affix: dict[tuple[str, str], list] = {}
        self._ids: dict[str | None, list] | None = None
        self._nodes: list = []
        if indexed:
            self._nodes = node.css("[id]")
            ids: dict[str | None, list] = {}
            for pos, n in enumerate(self._nodes):
                ids.setdefault(n.id, []).append((pos, n))
            self._ids = ids
        # the positions (in the index) of this scope's elements: a subtree is one run in page order
        self._lo, self._hi = 0, len(self._nodes)

    def within(self, node) -> IdScope:
        """The scope of `node`, an element of this scope's subtree, answered from this scope's index."""
        sub = IdScope.__new__(IdScope)
        sub.node = node
        sub._memo = {}
        sub._above = _ancestor_ids(node)
        sub._affix, sub._ids, sub._nodes = self._affix, self._ids, self._nodes
        sub._lo, sub._hi = self._span(node) if self._ids is not None else (0, 0)
        return sub

    def _span(self, node) -> tuple[int, int]:
        """Index positions of `node` and its descendants: from the first of them to the first that is not."""
        assert self._ids is not None
        first = node.css_first("[id]")  # `node` itself when it has an id
        if first is None:
            return 0, 0
        lo = next((pos for pos, n in self._ids.get(first.id, ()) if n.mem_id == first.mem_id), None)
        if lo is None or not self._lo <= lo < self._hi:
            raise ValueError("node is not in this scope")
        top, nodes = node.mem_id, self._nodes
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
        if self._ids is None:
            return self.node.css("#" + ident)
        return [n for pos, n in self._ids.get(ident, ()) if self._lo <= pos < self._hi]

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

    def _hits(self, ident: str) -> list:
        assert self._ids is not None
        return [hit for hit in self._ids.get(ident, ()) if self._lo <= hit[0] < self._hi]

    def _affix_hits(self, op: str, text: str) -> list:
        assert self._ids is not None
        key = (op, text)
        hits = self._affix.get(key)
        if hits is None:
            test = str.startswith if op == "^" else str.endswith
            hits = self._affix[key] = [hit for ident, group in self._ids.items() if ident and test(ident, text)
                                       for hit in group]
        return [hit for hit in hits if self._lo <= hit[0] < self._hi]

    def _lookup(self, query: str) -> list | None:
        parts = [part.strip() for part in query.split(",")]
        if all(_PURE_ID_RE.fullmatch(part) for part in parts):
            # ids alone: positions come from one walk, so sorting them gives page order whatever the nesting
            found = {n.mem_id: (pos, n) for part in parts for pos, n in self._hits(part[1:])}
            return [n for _, n in sorted(found.values(), key=lambda hit: hit[0])]
        # Otherwise every match is at or below an element with one of the named ids: run the query on the
        # outermost of those (disjoint, so their results follow each other in page order), each with only the
        # parts led by an id inside it (lexbor's walk costs more per selector in the list).
        containers: dict[int, tuple[int, Any, list[str]]] = {}
        for part in parts:
            lead = part.split(None, 1)[0] if part else ""
            m = _PART_ID_RE.match(lead)
            if m is not None:
                if m.group(1) in self._above:
                    return None
                hits = self._hits(m.group(1))
            else:
                m = _PART_AFFIX_RE.match(lead)
                if m is None:
                    return None
                op, text = m.groups()
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
            out += n.css(", ".join(led))
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
