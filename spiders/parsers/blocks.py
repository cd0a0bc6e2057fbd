"""Telling a robot check, WAF challenge, sign-in wall or error page apart from real content.

Runs on every fetched page before any DOM parse, so it only does substring and small regex
searches. It looks at structure, never at words: ordinary product and search pages contain
`isRobot`, `robotdetection`, a hidden "something went wrong" popover, `/ap/signin` header links and
sometimes the WAF token script, while robot pages exist in every language (and in mojibake).

Signals, strongest first:
- a form posting to `/errors/validateCaptcha` (or `/errors_page/validateCaptcha`), the hidden `amzn`
  and `amzn-r` inputs, `opfcaptcha` in the metrics script, `#captchacharacters`;
- AWS WAF: `gokuProps` and `challenge.js` on a tiny page;
- Amazon's error pages: the dog images (`_TTD_`, `/dogsofamazon`) and `ref=cs_503_link`;
- sign-in walls: the `signIn` login form (`ap_login_form`, `/ap/signin` action) with no product on the page.
"""
from __future__ import annotations

import re
from typing import Any

from crawler.records import Outcome
from spiders.parsers.scan import find

# Pages this small cannot be a product, search or list page (those are 200 KB and more).
_SMALL = 60_000
_HEAD = 400_000

_PATTERNS = {
    "captcha_form": (r"""action\s*=\s*\\?["']?[^"'>]*/errors(?:_page)?/validateCaptcha""", re.IGNORECASE),
    "hidden_amzn": (r"""name\s*=\s*\\?["']amzn-r\\?["']""", re.IGNORECASE),
    "signin_form": ((r"""<form\b[^>]*(?:name\s*=\s*["']signIn["']|id\s*=\s*["']ap_login_form["']"""
                     r"""|action\s*=\s*["'][^"']*/ap/signin)"""), re.IGNORECASE),
    # Anchors of a real product / search / list page: with these, a sign-in form is just a header widget.
    "content": (r"""id\s*=\s*["'](?:productTitle|search|zg|dp-container|centerCol|olpOfferList)["']""", re.IGNORECASE),
}
# The content anchor each page kind carries, by URL path, as plain text: found by a fast literal search it
# settles the sign-in question without the case-insensitive form search (2-3 ms per MB); when it is not
# there the regexes decide as usual.
_ANCHOR_BY_PATH = (("/dp/", 'id="dp-container"'), ("/gp/product/", 'id="dp-container"'), ("/s?", 'id="search"'),
                   ("/zgbs", 'id="zg"'), ("/bestsellers", 'id="zg"'), ("/new-releases", 'id="zg"'),
                   ("/movers-and-shakers", 'id="zg"'), ("/offer-listing", 'id="olpOfferList"'))
# Each pattern in a str and a bytes flavour: the parser hands bytes straight from the wire when it has them.
_RE: dict[type, dict[str, re.Pattern]] = {
    str: {k: re.compile(p, f) for k, (p, f) in _PATTERNS.items()},
    bytes: {k: re.compile(p.encode(), f) for k, (p, f) in _PATTERNS.items()},
}


class _Doc:
    """Literal and regex tests over a str or bytes document, without converting it."""

    __slots__ = ("end", "html", "kind", "size")

    def __init__(self, html: str | bytes) -> None:
        self.kind = bytes if isinstance(html, (bytes, bytearray)) else str
        self.size = len(html)
        self.html: Any = html
        # Block pages are small (robot checks ~5 KB, the sign-in wall ~330 KB, markers in its first half);
        # on a multi-megabyte page only the head is searched (up to `end`, not a copy of it), so detection
        # stays well under a millisecond.
        self.end = min(self.size, _HEAD)

    def has(self, *literals: str) -> bool:
        html, end = self.html, self.end
        if self.kind is bytes:
            return any(find(html, lit.encode(), 0, end) != -1 for lit in literals)
        return any(find(html, lit, 0, end) != -1 for lit in literals)

    def search(self, name: str) -> bool:
        return _RE[self.kind][name].search(self.html, 0, self.end) is not None


def detect_block(html: str | bytes, status: int | None = None, url: str | None = None) -> tuple[Outcome, str] | None:
    """(outcome, short reason) when `html` is not content Amazon meant to show, else None.

    `status` is the HTTP status when known (None: not known, e.g. a saved page). `url` changes no verdict:
    it only says which content anchor to look for first.
    """
    if html is None:
        return Outcome.HTTP_ERROR, "empty document"
    doc = _Doc(html)
    size = doc.size
    if size < 512 and (not html.strip() or not doc.has("<")):
        return Outcome.HTTP_ERROR, "empty document"

    # Robot checks: same markers on the classic image captcha and the newer "continue shopping" page.
    if doc.has("validateCaptcha") and doc.search("captcha_form"):
        kind = "image captcha" if doc.has("captchacharacters") else "continue shopping"
        return Outcome.BLOCKED, f"robot check ({kind}, form /errors/validateCaptcha)"
    if size < _SMALL:
        if doc.search("hidden_amzn"):
            return Outcome.BLOCKED, "robot check (hidden amzn/amzn-r inputs)"
        if doc.has("opfcaptcha"):
            return Outcome.BLOCKED, "robot check (opfcaptcha metrics)"
        if doc.has("captchacharacters"):
            return Outcome.BLOCKED, "robot check (captcha input)"
        # AWS WAF JS challenge: ~2 KB, empty title, gokuProps + challenge.js
        if doc.has("gokuProps") or (doc.has("challenge.js") and doc.has("awswaf", "AwsWaf")):
            return Outcome.BLOCKED, "AWS WAF challenge (gokuProps/challenge.js)"
        # Amazon's own error pages: dogs (404 / 500-503) and the older plain 503 page.
        dogs = doc.has("_TTD_", "/dogsofamazon")
        err503 = doc.has("500_503", "cs_503_link")
        if dogs or err503 or doc.has("cs_404_link"):
            if status == 404 or doc.has("cs_404_link") or (dogs and not err503 and status not in (500, 503)):
                return Outcome.NOT_FOUND, f"page not found (Amazon 404 page{', status 404' if status == 404 else ''})"
            return Outcome.BLOCKED, f"Amazon error page 503 'something went wrong' (status {status or 'unknown'})"

    # Sign-in wall: the login form itself, on a page with no product/search/list content.
    # ("/ap/signin" alone is in every page header, so it only counts inside a <form> tag.)
    anchor = next((lit for part, lit in _ANCHOR_BY_PATH if part in url), None) if url else None
    if not (anchor and doc.has(anchor)) and doc.search("signin_form") and not doc.search("content"):
        return Outcome.BLOCKED, "sign-in wall (/ap/signin form)"

    if status is not None:
        if status in (404, 410):
            return Outcome.NOT_FOUND, f"HTTP {status}"
        if status in (403, 429):
            return Outcome.BLOCKED, f"HTTP {status}"
        if status == 202 and size < _SMALL:
            return Outcome.BLOCKED, "HTTP 202 challenge"
        if status >= 400:
            return Outcome.HTTP_ERROR, f"HTTP {status}"
    return None
