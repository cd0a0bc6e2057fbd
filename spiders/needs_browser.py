"""When a page read over plain HTTP must be read again in a browser (`fetch = "auto"`).

Pure functions of what the parser returned and the raw page: a page moves only when a field that
matters is missing *and* the page shows that a script would have filled it, or when plain HTTP got a
robot check (a browser passes more of them). Everything else stays on plain HTTP, which is 10x cheaper.
"""

from __future__ import annotations

from crawler.records import ListPage, Outcome, ProductSnapshot, SearchPage

# An empty deal-badge slot that an inline script fills (the badge ships encoded inside the script).
_DEAL_SLOT = b'id="dealBadge_feature_div"'
_DEAL_SCRIPT = b'getElementById("dealBadge_feature_div")'


def blocked_reason(outcome: Outcome) -> str | None:
    return "robot check over plain HTTP" if outcome == Outcome.BLOCKED else None


def product_needs_browser(snap: ProductSnapshot, body: bytes | str) -> str | None:
    """Why this product page should be read in a browser, or None."""
    if (why := blocked_reason(snap.outcome)) is not None:
        return why
    if snap.outcome != Outcome.OK:
        return None
    raw = body.encode() if isinstance(body, str) else body
    if snap.deal_badge is None and _DEAL_SLOT in raw and _DEAL_SCRIPT in raw:
        return "deal badge rendered by script"
    return None


def offers_panel_needs_browser(snap: ProductSnapshot, panel_outcome: Outcome) -> str | None:
    """The page shows other sellers but their panel could not be read over plain HTTP."""
    if (snap.other_sellers_count or 0) > 0 and panel_outcome != Outcome.OK:
        return f"offers panel unreadable over plain HTTP ({panel_outcome.value})"
    return None


def list_needs_browser(page: ListPage) -> str | None:
    """Entries the page names by rank and ASIN only (cards 31-50 are built by script)."""
    if (why := blocked_reason(page.outcome)) is not None:
        return why
    untitled = [e.rank for e in page.entries if e.title is None]
    if page.outcome == Outcome.OK and untitled:
        return f"{len(untitled)} list entries without titles (ranks {min(untitled)}-{max(untitled)})"
    return None


def search_needs_browser(page: SearchPage) -> str | None:
    return blocked_reason(page.outcome)
