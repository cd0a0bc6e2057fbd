"""Pages reused within their browser context (crawler.browser_pages): the pool lends at most its limit,
hands a page back to the next waiting request, replaces closed pages; a crawl through reused pages reads
each page's own fields (never the previous page's), opening only as many pages as it fetches at once."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest

from fixtures.storefront import Storefront, catalog
from tests.test_politeness import ROOT

pytestmark = pytest.mark.requires_browser

TRUTH = catalog.load("day1")
US = [p for p in TRUTH.products.values() if p.marketplace == "us"][:8]


def test_pool_lends_at_most_its_limit_and_hands_pages_over(chromium: str) -> None:
    from playwright.async_api import async_playwright

    from crawler.browser import launch_args
    from crawler.browser_pages import PagePool

    async def scenario() -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=launch_args())
            context = await browser.new_context()
            pool = PagePool(limit=2)
            assert await pool.take() is None and await pool.take() is None  # two slots: open new pages
            first, second = await context.new_page(), await context.new_page()
            third = asyncio.ensure_future(pool.take())
            await asyncio.sleep(0.05)
            assert not third.done()  # the limit is reached: the third request waits
            pool.give_back(first, reusable=True)
            assert await asyncio.wait_for(third, 1) is first  # handed straight to the waiting request
            pool.give_back(second, reusable=True)
            assert await pool.take() is second  # idle, lent again
            pool.give_back(second, reusable=False)  # a failed page is closed and its slot freed
            await asyncio.sleep(0.2)
            assert second.is_closed() and pool.open == 1
            assert await pool.take() is None  # the freed slot: open a new page
            pool.give_back(first, reusable=True)
            await first.close()  # closed while idle (a crash, its context closed)
            assert await pool.take() is None and pool.open == 2  # its slot is reused, not leaked
            await browser.close()

    asyncio.run(scenario())


CRAWL = """
import json, sys
from crawler.config import parse_config
from crawler.runner import run_crawl
from crawler.settings import crawl_settings
from spiders.base import ProductTarget
from spiders.watchlist import WatchlistSpider

base, asins = sys.argv[1], sys.argv[2].split(",")
cfg = parse_config("[marketplaces.us]\\n[politeness]\\ndelay_seconds = 0\\nautothrottle = false\\n"
                   "concurrency_per_marketplace = 2\\n")
settings = crawl_settings(cfg, run_id=1, db_url=None, browser=True)
settings["ITEM_PIPELINES"] = {}
settings["STOREWATCH_PAGES_PER_CONTEXT"] = 100
products = [ProductTarget(a, "us", base, "browser") for a in asins * 2]
result = run_crawl(WatchlistSpider, settings, products=products, searches=[], lists=[])
records = [(i["record"].asin, i["record"].title, i["record"].outcome.value) for i in result.items]
print(json.dumps({"records": records, "stats": {k: v for k, v in result.stats.items()
                                                  if k.startswith(("browser/", "playwright/page_count"))}}))
"""


def test_a_crawl_through_reused_pages_reads_each_page_itself(chromium: str, storefront: Storefront) -> None:
    asins = [p.asin for p in US]
    proc = subprocess.run([sys.executable, "-c", CRAWL, storefront.url, ",".join(asins)], capture_output=True,
                          text=True, cwd=ROOT, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    stats = out["stats"]
    expected = sorted((p.asin, p.title, "ok") for p in US * 2)
    assert sorted(tuple(r) for r in out["records"]) == expected
    assert stats["browser/pages"] == 16
    # two pages at a time in one context: two pages opened, every other fetch navigated one of them
    assert stats["playwright/page_count"] <= 2
    assert stats["browser/pages_reused"] == 16 - stats["playwright/page_count"]
