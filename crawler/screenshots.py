"""Evidence screenshots: a full-page PNG of each page whose monitors raised an alert.

Called after the monitors (`report.screenshots = true`), outside any crawl: one Chromium, one page at
a time, pages that fail to load are left out of the answer (a missing screenshot never stops a report).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.headers import USER_AGENT

logger = logging.getLogger(__name__)


def screenshot_name(url: str, at: datetime) -> str:
    """`dp-B0NB4SPGE0-20261123T051843Z-1a2b3c.png`: readable, unique per URL and time."""
    u = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{u.path}-{u.query}").strip("-")[-60:] or "page"
    digest = hashlib.sha1(url.encode()).hexdigest()[:6]
    return f"{slug}-{at.strftime('%Y%m%dT%H%M%SZ')}-{digest}.png"


def take_screenshots(urls: list[str], *, directory: Path | str | None = None, browser_path: str | None = None,
                     timeout_ms: int = 20_000, proxy: str | None = None) -> dict[str, str]:
    """{url: path of its PNG} for each URL that loaded; PNGs go to `directory` (default: the data
    directory's screenshots/). Safe to call from code that runs an asyncio loop (it uses a thread then)."""
    urls = list(dict.fromkeys(urls))
    if not urls:
        return {}
    from crawler.paths import data_dir, ensure_private_dir

    out = ensure_private_dir(Path(directory) if directory else data_dir() / "screenshots")
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:
        return _shoot(urls, out, browser_path, timeout_ms, proxy)
    # Playwright's sync API refuses to run inside a running loop: give it a thread of its own
    result: dict[str, str] = {}
    t = threading.Thread(target=lambda: result.update(_shoot(urls, out, browser_path, timeout_ms, proxy)))
    t.start()
    t.join()
    return result


def _shoot(urls: list[str], out: Path, browser_path: str | None, timeout_ms: int,
           proxy: str | None) -> dict[str, str]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from crawler.browser import find_browser, launch_args
    from crawler.proxies import mask, playwright_proxy

    executable = find_browser(browser_path)
    taken: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=launch_args())
        try:
            context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1280, "height": 900},
                                          proxy=playwright_proxy(proxy) if proxy else None)  # type: ignore[arg-type]
            for url in urls:
                page = context.new_page()
                try:
                    page.goto(url, wait_until="load", timeout=timeout_ms)
                    path = out / screenshot_name(url, datetime.now(UTC))
                    page.screenshot(path=str(path), full_page=True, type="png")
                    taken[url] = str(path)
                except PlaywrightError as exc:
                    logger.warning("no screenshot of %s: %s", url, str(exc).splitlines()[0])
                finally:
                    page.close()
            context.close()
        finally:
            browser.close()
    logger.info("took %s of %s screenshots%s", len(taken), len(urls), f" via {mask(proxy)}" if proxy else "")
    return taken
