"""A distributed-crawl worker: pops requests from Redis, fetches politely, stores into the shared database.

Requests travel through scrapy-redis (queue + dupefilter) as JSON data (`crawler/queue_codec.py`: an
entry that is not a storewatch request is refused and logged, never unpickled); the run's targets live
in the database (`crawler/distributed.py` creates them). Each request carries
`meta["storewatch"] = {"run", "target", "postcode", "retries", "robot_cap", "delay", "jitter"}`: the worker claims the target when it starts
fetching and completes it with the page's outcome. A worker that dies mid-page loses nothing: its claim
expires and the coordinator queues the target again.

A worker fetches as a one-process crawl does: the target's fetch mode (http, browser or auto, through
the same scrapy-playwright settings and browser contexts) and the run's delivery postcode for the
marketplace (the same address change, once per run and marketplace, before that marketplace's pages),
with the run's retries and robot-check cap.
Politeness is per worker: one request at a time per marketplace (the download slot), `--delay` between,
or the run's own delay when that is longer (crawler.run_delay).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy_redis.scheduler import Scheduler

from crawler.pipelines import StorePipeline
from crawler.queue_codec import RefusedRequest
from spiders.watchlist import WatchlistSpider

log = logging.getLogger(__name__)

SW_META = "storewatch"  # request meta / item key: {"run", "target", "postcode", "retries", "robot_cap", ...}
QUEUE_KEY = "storewatch:requests"
DUPEFILTER_KEY = "storewatch:dupefilter"
STOP_KEY = "storewatch:stop"  # a timestamp: workers started before it stop
WORKERS_KEY = "storewatch:workers"  # hash: name -> start time of every worker running now


def run_stats_key(run_id: int) -> str:
    return f"storewatch:run:{run_id}:stats"


def _tagging(name: str) -> Any:
    async def callback(self: WorkerSpider, response: Any, **kwargs: Any) -> AsyncIterator[Any]:
        parent = getattr(super(WorkerSpider, self), name)  # an async generator: it may await its parse
        async for out in parent(response, **kwargs):
            for tagged in self.tag((out,), response.meta):
                yield tagged

    callback.__name__ = name
    return callback


class WorkerSpider(WatchlistSpider):
    """The watchlist spider fed from Redis: every output carries the target it belongs to."""

    name = "storewatch-worker"

    parse_product_page = _tagging("parse_product_page")
    parse_offers_panel = _tagging("parse_offers_panel")
    parse_search_page = _tagging("parse_search_page")
    parse_list_page = _tagging("parse_list_page")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.located: dict[str, tuple[int, str | None]] = {}  # marketplace -> (run, postcode) it last began
        self.locating: set[str] = set()  # marketplaces whose address change has not been answered yet

    def on_error(self, failure: Any) -> Any:
        return self.tag(super().on_error(failure), failure.request.meta)

    # -- a marketplace's part of a run starts here as a one-process crawl starts ----------------------
    def prepare(self, request: Request) -> Request:
        """The request, or first the address change for its run's postcode in its marketplace. On a
        marketplace's first page of a run this worker starts it as a crawl starts: the robot-check count
        from zero (a long-running worker must not carry one run's cap into the next) and the run's
        postcode set (once per run and marketplace); the request follows the address change's answer."""
        sw = request.meta.get(SW_META)
        market = request.meta.get("marketplace")
        if sw is None or market is None:
            return request
        postcode = sw.get("postcode")
        wanted = (sw["run"], postcode)
        before = self.located.get(market)
        if before == wanted:
            return request
        self.located[market] = wanted
        if before is None or before[0] != sw["run"]:
            from crawler.guarded_handler import ledger

            ledger(self.crawler).forget(market, sw.get("robot_cap"))
        if before is not None and before[1] != postcode:
            self.forget_location(market)
        if postcode is None:
            return request
        self.locating.add(market)
        target = request.meta["target"]
        return self.address_change(market, target.base_url, postcode, [request])

    def forget_location(self, market: str) -> None:
        """Another run wants another location here: drop the old one from the cookie jar and the
        browser's context (the next browser page opens a fresh context)."""
        from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

        from crawler.browser_contexts import BrowserContextMiddleware

        self.location_cookies.pop(market, None)
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, CookiesMiddleware):
                mw.jars.pop(market, None)
            elif isinstance(mw, BrowserContextMiddleware):
                mw.retire(market)

    def location_set(self, response: Any) -> Any:
        self.locating.discard(response.meta["marketplace"])
        yield from super().location_set(response)

    def location_failed(self, failure: Any) -> Any:
        self.locating.discard(failure.request.meta["marketplace"])
        yield from super().location_failed(failure)

    @staticmethod
    def tag(outputs: Iterable[Any] | None, meta: dict[str, Any]) -> Iterator[Any]:
        sw = meta.get(SW_META)
        for out in outputs or ():
            if sw is not None:
                if isinstance(out, Request):
                    out.meta.setdefault(SW_META, sw)  # the offers panel belongs to its product's target
                elif isinstance(out, dict):
                    out[SW_META] = sw
            yield out

    async def start(self) -> AsyncIterator[Any]:
        return  # requests come from the Redis queue
        yield  # pragma: no cover - makes this an async generator


class WorkerScheduler(Scheduler):
    """scrapy-redis's scheduler, except that what a worker schedules itself stays with it.

    Follow-ups (the offers panel, retries) continue a target this worker has claimed; they carry live
    objects that do not serialize, and if the worker dies the coordinator re-queues the target anyway.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.local: deque[Request] = deque()
        self.crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        return instance

    def enqueue_request(self, request: Request) -> bool:
        self.local.append(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/local", spider=self.spider)
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        request = self._pop()
        if request is not None and self._marketplace_busy(request):
            # One request at a time per marketplace: a second one would only wait here, where no other
            # worker can take it. Back to the shared queue; this worker asks again when it is free.
            self.queue.push(request)
            return None
        return None if request is None else self.spider.prepare(request)

    def _pop(self) -> Request | None:
        """The next queued request; an entry that is not one of ours is dropped with its reason logged."""
        try:
            return super().next_request()
        except (RefusedRequest, ValueError, TypeError, KeyError) as exc:
            if self.stats:
                self.stats.inc_value("distributed/refused", spider=self.spider)
            log.error("refused a queue entry from Redis (dropped, not run): %s", exc)
            return None

    def _marketplace_busy(self, request: Request) -> bool:
        slot = request.meta.get("download_slot")
        if request.meta.get("marketplace") in self.spider.locating:
            return True  # its postcode is being set: its pages wait for the answer
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if downloader is None:
            return False
        return any(r.meta.get("download_slot") == slot for r in downloader.active)

    def has_pending_requests(self) -> bool:
        return bool(self.local) or super().has_pending_requests()


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


class ClaimMiddleware:
    """Claims a request's target as the fetch starts; drops requests whose target is already done."""

    def __init__(self, crawler: Any, db_url: str, redis_url: str, worker: str) -> None:
        from crawler.db import open_database
        from crawler.store import Store

        self.stats = crawler.stats
        self.worker = worker
        self.browser = "PLAYWRIGHT_LAUNCH_OPTIONS" in crawler.settings  # Chromium found at start
        self.db = open_database(db_url)
        self.store = Store(self.db)
        self.redis = _redis(redis_url)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClaimMiddleware:
        s = crawler.settings
        if not s.get("STOREWATCH_WORKER"):
            raise NotConfigured("not a distributed worker")
        return cls(crawler, s.get("STOREWATCH_DB"), s.get("REDIS_URL"), s.get("STOREWATCH_WORKER"))

    def process_request(self, request: Request, spider: Any = None) -> None:
        sw = request.meta.get(SW_META)
        if sw is None:
            return
        if "retries" in sw:  # the run's own, for every request of its targets (read by Scrapy's retries and ours)
            request.meta.setdefault("max_retry_times", sw["retries"])
        if not self.store.claim_target(sw["target"], self.worker):
            self.stats.inc_value("distributed/already_done")
            raise IgnoreRequest(f"target {sw['target']} already has an outcome")
        if request.meta.get("playwright") and not self.browser:
            # claimed, then answered with an outcome naming the fix (the page is not read over plain
            # HTTP instead: that would store a page without what only the browser shows)
            self.stats.inc_value("distributed/no_browser")
            raise IgnoreRequest(f"worker {self.worker} has no browser: {NO_BROWSER}")
        pipe = self.redis.pipeline()
        pipe.hincrby(run_stats_key(sw["run"]), "requests", 1)
        if request.meta.get("retry_times"):
            pipe.hincrby(run_stats_key(sw["run"]), "retries", 1)
        pipe.execute()

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        """Counts the run's pages read in the browser (and moved there by `auto`), as crawl's summary does."""
        sw = request.meta.get(SW_META)
        if sw is not None and "playwright" in (response.flags or ()):
            pipe = self.redis.pipeline()
            pipe.hincrby(run_stats_key(sw["run"]), "browser/pages", 1)
            if request.meta.get("moved_to_browser"):
                pipe.hincrby(run_stats_key(sw["run"]), f"browser/moved/{request.meta.get('page_kind', 'page')}", 1)
            pipe.execute()
        return response

    def close(self, spider: Any = None) -> None:
        self.db.close()


class DistributedStorePipeline(StorePipeline):
    """Stores each page under the pending target it was queued for (first answer wins)."""

    redis: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> DistributedStorePipeline:
        pipeline = cls(crawler, crawler.settings.get("STOREWATCH_DB"), 0)
        pipeline.redis = _redis(crawler.settings.get("REDIS_URL"))
        return pipeline

    def save(self, kind: str, item: dict[str, Any]) -> None:
        sw = item.get(SW_META)
        if sw is None:
            self.crawler.stats.inc_value("distributed/untagged")
            log.error("a %s page arrived without its target: not stored (%s)", kind, item.get("key"))
            return
        record = item["record"]
        fetched_at = item.get("fetched_at") or getattr(record, "fetched_at", None)
        s = self.storage
        ref = s.keep_evidence(sw["run"], kind, record.url, record.outcome, item.get("body"), fetched_at)
        if not s.store.complete_target(sw["target"], kind, record, ref, fetched_at,
                                       self.crawler.settings.get("STOREWATCH_WORKER")):
            self.crawler.stats.inc_value("distributed/duplicate")
            return
        missing = getattr(record, "missing", ())
        if missing:
            pipe = self.redis.pipeline()
            for name in missing:
                pipe.hincrby(run_stats_key(sw["run"]), f"parse/missing/{kind}/{name}", 1)
            pipe.execute()


class WorkerControl:
    """Keeps an idle worker alive, and stops it on the Redis stop key or after `--max-idle-seconds`."""

    def __init__(self, crawler: Any, redis_url: str, max_idle: float, name: str) -> None:
        self.crawler = crawler
        self.name = name
        self.redis = _redis(redis_url)
        self.max_idle = max_idle
        self.started = time.time()
        self.last_active = time.monotonic()
        self.stopping = False
        self.ready = False
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.active, signal=signals.response_received)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerControl:
        s = crawler.settings
        if not s.get("STOREWATCH_WORKER"):
            raise NotConfigured("not a distributed worker")
        return cls(crawler, s.get("REDIS_URL"), s.getfloat("STOREWATCH_MAX_IDLE", 0), s.get("STOREWATCH_WORKER"))

    def opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        self.loop = task.LoopingCall(self.check_stop)
        self.loop.start(0.5, now=False)

    def closed(self, spider: Any = None) -> None:
        if self.loop.running:
            self.loop.stop()
        self.redis.hdel(WORKERS_KEY, self.name)

    def active(self, **_: Any) -> None:
        self.last_active = time.monotonic()

    def stop_requested(self) -> bool:
        value = self.redis.get(STOP_KEY)
        return value is not None and float(value) >= self.started

    def check_stop(self) -> None:
        if not getattr(self.crawler.engine, "running", False):
            # still starting (with a browser, its driver): stopping Scrapy now hangs it (scrapy#6916)
            return
        if not self.ready:
            self.ready = True
            self.redis.hset(WORKERS_KEY, self.name, repr(self.started))  # ready: a stop from now on reaches it
        if self.stopping or not self.stop_requested():
            return
        from scrapy.utils.defer import deferred_from_coro

        self.stopping = True
        log.info("stop requested through Redis: finishing")
        self.loop.stop()
        # In-flight targets stay claimed: the coordinator queues them again after the lease.
        deferred_from_coro(self.crawler.stop_async())

    def idle(self, spider: Any = None) -> None:
        if self.stopping or self.stop_requested():
            return
        if self.max_idle and time.monotonic() - self.last_active >= self.max_idle:
            log.info("idle for %.0f s: exiting", self.max_idle)
            return
        raise DontCloseSpider


NO_BROWSER = "install Chromium on it (apt-get install -y chromium) and restart it"


def worker_settings(redis_url: str, db_url: str, name: str, *, delay: float = 3.0, max_idle: float = 0,
                    log_level: str = "ERROR", browser_path: str | None = None,
                    proxies: tuple[str, ...] = ()) -> dict[str, Any]:
    """The crawl settings of `crawler.settings` plus the Redis scheduler, the claim middleware and the
    distributed pipeline. `browser_path`: the Chromium to install for browser pages (None: no browser)."""
    from crawler.marketplaces import MARKETPLACES
    from crawler.settings import scrapy_settings

    # Scrapy 2.19 starts every queued request of a slot at once when its delay is 0: a 1 ms floor
    # keeps one request at a time per marketplace.
    slot_delay = max(delay, 0.001)
    slots = {f"amazon-{code}": {"concurrency": 1, "delay": slot_delay, "jitter": 0.5 if delay > 0 else 0.0}
             for code in MARKETPLACES}
    settings = scrapy_settings(
        log_level=log_level,
        browser=browser_path is not None,
        browser_path=browser_path,
        proxies=proxies,
        DOWNLOAD_DELAY=slot_delay,
        AUTOTHROTTLE_ENABLED=delay > 0,
        AUTOTHROTTLE_START_DELAY=max(delay, 0.1),
        BLOCK_BACKOFF=delay > 0,
        CONCURRENT_REQUESTS_PER_DOMAIN=1,
        # Marketplaces a worker fetches from at once (one request each, see WorkerScheduler).
        CONCURRENT_REQUESTS=8,
        DOWNLOAD_SLOTS=slots,
        SCHEDULER="crawler.worker.WorkerScheduler",
        SCHEDULER_PERSIST=True,  # the queue is shared: a worker closing must not flush it
        SCHEDULER_QUEUE_CLASS="scrapy_redis.queue.PriorityQueue",
        SCHEDULER_QUEUE_KEY=QUEUE_KEY,
        SCHEDULER_SERIALIZER="crawler.queue_codec",  # JSON data: writing to Redis runs no code here
        SCHEDULER_DUPEFILTER_KEY=DUPEFILTER_KEY,
        DUPEFILTER_CLASS="scrapy_redis.dupefilter.RFPDupeFilter",
        REDIS_URL=redis_url,
        STOREWATCH_DB=db_url,
        STOREWATCH_WORKER=name,
        STOREWATCH_MAX_IDLE=max_idle,
        ITEM_PIPELINES={"crawler.worker.DistributedStorePipeline": 300},
        EXTENSIONS={"crawler.worker.WorkerControl": 500,
                    # AutoThrottle that keeps the run's delay as a floor
                    "scrapy.extensions.throttle.AutoThrottle": None, "crawler.run_delay.RunDelayThrottle": 0},
    )
    # the crawl's own middlewares (retries on robot checks, browser contexts, proxies), plus claiming
    settings["DOWNLOADER_MIDDLEWARES"] = {**settings["DOWNLOADER_MIDDLEWARES"], "crawler.worker.ClaimMiddleware": 100,
                                          "crawler.run_delay.RunDelayMiddleware": 110}
    return settings


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def find_worker_browser(browser_path: str | None = None) -> str | None:
    """The Chromium this worker reads browser pages with, or None (logged: such pages then end with an
    outcome naming the fix)."""
    from crawler.browser_settings import BrowserMissing, require_browser

    if browser_path:  # asked for by name: a wrong path is an error, not a worker without a browser
        return require_browser(browser_path)
    try:
        return require_browser(None)
    except BrowserMissing as exc:
        log.warning("%s; pages of targets with fetch = browser (or moved by auto) will end as http_error", exc)
        return None


def run_worker(redis_url: str, db_url: str, name: str | None = None, *, delay: float = 3.0,
               max_idle: float = 0, log_level: str = "ERROR", browser_path: str | None = None,
               proxies: tuple[str, ...] = ()) -> dict[str, Any]:
    """Work until stopped (SIGTERM, the Redis stop key, or `max_idle` seconds without work); the stats.
    `browser_path`: the Chromium for browser pages (see `find_worker_browser`), None for none."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    # An idle engine asks the scheduler for work every heartbeat (5 s by default): ask four times a
    # second, so a worker picks up new or re-queued work (and work it handed back) quickly.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.25
    settings = worker_settings(redis_url, db_url, name or default_name(), delay=delay, max_idle=max_idle,
                               log_level=log_level, browser_path=browser_path, proxies=proxies)
    process = CrawlerProcess({"LOG_INSTALL_ROOT_HANDLER": log_level != "NONE", **settings})
    if log_level in ("NONE", "ERROR"):
        logging.getLogger("scrapy").setLevel(logging.ERROR)
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler)
    process.start()
    return dict(crawler.stats.get_stats()) if crawler.stats else {}
