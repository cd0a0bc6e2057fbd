"""Scrapy settings for storewatch crawls: polite by default, keyed by marketplace, quiet logs."""

from __future__ import annotations

from typing import Any

from crawler.headers import USER_AGENT

# A download slot per marketplace (set in request meta), so politeness follows the marketplace even
# when several marketplaces sit behind one local storefront.
POLITE: dict[str, Any] = {
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": 3.0,
    "DOWNLOAD_DELAY_JITTER": 0.5,  # delay x (1 +- 0.5)
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 3.0,
    "AUTOTHROTTLE_MAX_DELAY": 60.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
}

MIN_DELAY = 0.001

# Extensions never loaded: the telnet console, and Scrapy 2.19's RemoteControl, a local server that runs
# Python code sent to it (REMOTE_CONTROL_ENABLED is off as well). They are left out of EXTENSIONS_BASE:
# Scrapy imports every class named in EXTENSIONS, even one set to None, and RemoteControl's module
# imports aiohttp (~75 ms of every `check`).
OFF_EXTENSIONS = ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")


def _extensions_base() -> dict[str, Any]:
    from scrapy.settings import default_settings

    return {k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in OFF_EXTENSIONS}

# An ad-hoc check fetches one page and maybe its offers panel: no reason to wait between the two.
AD_HOC: dict[str, Any] = {
    "CONCURRENT_REQUESTS": 4,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "BLOCK_RETRY_TIMES": 1,  # someone is waiting at the terminal: one retry, no growing delay
    "BLOCK_BACKOFF": False,
}


def scrapy_settings(*, ad_hoc: bool = False, log_level: str = "ERROR", browser: bool = False,
                    browser_path: str | None = None, proxies: tuple[str, ...] = (),
                    **overrides: Any) -> dict[str, Any]:
    """Base settings. `browser` installs scrapy-playwright (only then: it costs a browser start-up);
    `proxies` turns on rotation (HTTP per request, browser per context)."""
    settings: dict[str, Any] = {
        "BOT_NAME": "storewatch",
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": False,  # storewatch reads only the public pages a shopper sees, one at a time
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19 starts a local server that runs Python code sent to it: never on a seller's machine.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_ENABLED": log_level != "NONE",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "DOWNLOAD_TIMEOUT": 30,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "BLOCK_RETRY_TIMES": 2,
        "BLOCK_CAP": 10,  # robot checks per marketplace and run before that marketplace stops
        "HTTPERROR_ALLOW_ALL": True,
        # a page yields one record: Scrapy's default of 100 parallel item workers per response costs
        # 100 asyncio tasks per page (measured: ~15% of a plain-HTTP crawl's CPU) for nothing
        "CONCURRENT_ITEMS": 4,  # 404 and 503 pages reach the parser, which names their outcome
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.BlockRetryMiddleware": 560,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "crawler.middlewares.HeadMetaRefreshMiddleware": 580,  # in Scrapy's place
            "crawler.proxies.ProxyRotationMiddleware": 740,  # before HttpProxyMiddleware (750)
            "crawler.browser_contexts.BrowserContextMiddleware": 950,  # next to the download handler
        },
        "STOREWATCH_PROXIES": list(proxies),
        "DOWNLOAD_HANDLERS": {"http": "crawler.guarded_handler.GuardedDownloadHandler",
                              "https": "crawler.guarded_handler.GuardedDownloadHandler"},
        # the next request goes to the marketplace with the fewest downloads under way
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "EXTENSIONS": {"crawler.parse_pool.ParsePool": 100},
        **(AD_HOC if ad_hoc else POLITE),
    }
    if browser:
        from crawler.browser_settings import browser_settings

        settings.update(browser_settings(browser_path, concurrency=int(settings["CONCURRENT_REQUESTS"])))
    settings.update(overrides)
    settings["EXTENSIONS_BASE"] = _extensions_base()
    settings["EXTENSIONS"] = {k: v for k, v in settings["EXTENSIONS"].items() if k not in OFF_EXTENSIONS}
    return settings


def crawl_settings(
    config: Any, *, run_id: int, db_url: str | None, progress_total: int = 0, log_level: str = "ERROR",
    browser: bool = False, proxies: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Settings for the nightly crawl of a watchlist: politeness from the config, storage, progress."""
    p = config.politeness
    # Scrapy 2.19's downloader starts every queued request of a slot at once when its delay is 0 (the
    # transfer is counted only when its coroutine runs): a 1 ms floor keeps one request at a time.
    delay = max(p.delay_seconds, MIN_DELAY)
    slots = {
        f"amazon-{code}": {
            "concurrency": p.concurrency_per_marketplace,
            "delay": delay,
            "jitter": p.jitter,  # delay x (1 +- jitter), as the config says
        }
        for code in config.marketplaces
    }
    return scrapy_settings(
        log_level=log_level,
        browser=browser,
        browser_path=getattr(config, "browser_path", None),
        proxies=proxies,
        DOWNLOAD_DELAY=delay,
        DOWNLOAD_DELAY_JITTER=p.jitter,
        CONCURRENT_REQUESTS_PER_DOMAIN=p.concurrency_per_marketplace,
        CONCURRENT_REQUESTS=max(8, p.concurrency_per_marketplace * len(config.marketplaces)),
        DOWNLOAD_SLOTS=slots,
        AUTOTHROTTLE_ENABLED=p.autothrottle and p.delay_seconds > 0,
        AUTOTHROTTLE_START_DELAY=max(p.delay_seconds, 0.1),
        RETRY_TIMES=p.retries,
        BLOCK_RETRY_TIMES=p.retries,
        BLOCK_CAP=p.max_robot_checks,
        BLOCK_BACKOFF=p.delay_seconds > 0,
        STOREWATCH_RUN_ID=run_id,
        STOREWATCH_DB=db_url,
        STOREWATCH_PROGRESS_TOTAL=progress_total,
        ITEM_PIPELINES={"crawler.pipelines.StorePipeline": 300},
        # Pages are parsed in another process while this one downloads (crawler.parse_pool); not in a
        # browser crawl, where Chromium needs every core and parsing is a sliver of a page's cost.
        STOREWATCH_PARSE_PROCESSES=0 if browser else parse_processes(),
        EXTENSIONS={"crawler.parse_pool.ParsePool": 100,
                    "crawler.progress.ProgressBar": 500},
    )


def parse_processes() -> int:
    """One parser process per core but the reactor's (at least one, at most four)."""
    import os

    return max(1, min(4, (os.cpu_count() or 2) - 1))
