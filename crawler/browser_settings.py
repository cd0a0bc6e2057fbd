"""Scrapy settings and request meta for pages fetched through scrapy-playwright (Chromium).

The browser is opt-in per request (`meta["playwright"]`); the Playwright download handlers are only
installed when some target needs the browser, so a plain-HTTP crawl never pays for starting one.
"""

from __future__ import annotations

import logging
from typing import Any

from crawler.exceptions import StorewatchError

log = logging.getLogger(__name__)


class BrowserMissing(StorewatchError):
    """A crawl needs a browser and none can be launched; the message names the install command."""


def require_browser(browser_path: str | None = None) -> str:
    """The Chromium to launch, or BrowserMissing (printed by the CLI without a traceback)."""
    from crawler.browser import BrowserNotFound, find_browser

    try:
        return find_browser(browser_path)
    except BrowserNotFound as exc:
        raise BrowserMissing(f"this crawl reads pages in a browser (fetch = browser or auto): {exc}") from None

# Resource types a page never needs for the fields we read (and the bulk of a real page's bytes).
ABORTED_TYPES = frozenset({"image", "font", "media"})
# Blink does not even ask for images, so none makes the round trip through Playwright's route to
# abort_request (a product page asks for 12-50): ~10% less CPU a page, measured. One --blink-settings
# flag replaces another, so Playwright's own headless settings are repeated here.
NO_IMAGES_ARG = ("--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,"
                 "availablePointerTypes=4,imagesEnabled=false")

# Pages per browser context before it is closed and a fresh one takes over (memory stays flat).
PAGES_PER_CONTEXT = 100
# Pages open at once per context (kept open and reused, crawler.browser_pages); with one context per
# marketplace this bounds the browser's tabs.
MAX_PAGES_PER_CONTEXT = 2
SETTLE_TIMEOUT_MS = 8_000
# Chromium may start a renderer process per page; pages of one shop front in one context can share
# (measured with reused pages: one renderer per context, 80-130 MB).
RENDERER_LIMIT = 4

# True once the parts a page builds by script are there: the all-offers panel (when the page has its
# loader), the list cards past the rendered ones, the deal badge written by an inline script. A page
# without such parts is settled at once.
SETTLED_JS = """() => {
  const aod = document.getElementById('aod-container-ajax');
  if (aod && !aod.querySelector('#aod-offer-list, #aod-pinned-offer, #aod-container')) return false;
  const grid = document.querySelector('.p13n-desktop-grid[data-client-recs-list]');
  if (grid) {
    let recs = [];
    try { recs = JSON.parse(grid.getAttribute('data-client-recs-list')) || []; } catch (e) { return true; }
    if (grid.querySelectorAll('[id^="p13n-asin-index-"]').length < recs.length) return false;
  }
  const deal = document.getElementById('dealBadge_feature_div');
  if (deal && deal.nextElementSibling && deal.nextElementSibling.tagName === 'SCRIPT'
      && deal.nextElementSibling.textContent.indexOf('dealBadge_feature_div') !== -1
      && !deal.innerHTML.trim()) return false;
  return true;
}"""


def abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never downloaded."""
    return request.resource_type in ABORTED_TYPES


async def settle(page: Any, timeout_ms: int = SETTLE_TIMEOUT_MS) -> bool:
    """Wait until the script-built parts are in the page; a part that never comes is not an error here:
    the parser reads what is there and counts what is missing."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_function(SETTLED_JS, timeout=timeout_ms, polling=50)
    except PlaywrightTimeout:
        log.info("page %s did not finish its scripts within %s ms", page.url, timeout_ms)
        return False
    return True


def browser_meta(screenshot_path: str | None = None) -> dict[str, Any]:
    """Request meta that sends a request through the browser and waits for what scripts render."""
    from scrapy_playwright.page import PageMethod

    methods = [PageMethod(settle)]
    if screenshot_path:
        methods.append(PageMethod("screenshot", path=screenshot_path, full_page=True, type="png"))
    return {
        "playwright": True,
        "playwright_page_methods": methods,
        # the DOM is what we read: no need to wait for every subresource's load event
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
    }


def browser_settings(browser_path: str | None = None, *, concurrency: int = 8,
                     pages_per_context: int = PAGES_PER_CONTEXT) -> dict[str, Any]:
    """Settings that install scrapy-playwright for http and https, with the browser found on this machine.

    Raises BrowserMissing (naming the install command) when there is no Chromium.
    """
    from crawler.browser import launch_args

    executable = require_browser(browser_path)
    return {
        # scrapy-playwright's, reusing pages; crawler.guarded_handler wraps it (the robot-check cap is
        # checked right before the network)
        "STOREWATCH_INNER_HANDLER": "crawler.browser_pages.PooledPageHandler",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": executable, "headless": True,
                                      "args": [*launch_args(), f"--renderer-process-limit={RENDERER_LIMIT}",
                                               NO_IMAGES_ARG]},
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.browser_settings.abort_request",
        # contexts carry the shopper's user agent, language and location cookie themselves: the
        # default header processing would re-send Scrapy's headers on every sub-request, for nothing
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": None,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(1, min(MAX_PAGES_PER_CONTEXT, concurrency)),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
        "STOREWATCH_PAGES_PER_CONTEXT": pages_per_context,
    }
