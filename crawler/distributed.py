"""A distributed crawl: the run and its targets live in the database, requests travel through Redis.

`storewatch crawl --distributed REDIS_URL --db URL` (the coordinator) creates the run with one pending
target row per page, seeds one request per target into the scrapy-redis queue (its dupefilter drops a
page asked twice; entries are JSON data, see `crawler/queue_codec.py`), then waits. Each request says
how its page is fetched (the target's fetch mode) and the run's delivery postcode for its marketplace;
both are also kept with the run, so a new coordinator can queue the run again. `storewatch worker` processes, on any machine, pop requests, claim the
target, fetch politely and complete the target with the page's outcome (`crawler/worker.py`).

scrapy-redis pops without acknowledgement, so the coordinator watches the database: a target whose claim
is older than the lease (its worker died or stalled) is queued again, bypassing the dupefilter; after
`max_attempts` hand-outs it is given up with an outcome. When every target has an outcome the run is
finished, once, here; monitors and the report then run once, by whoever called `wait_for_run`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.worker import DUPEFILTER_KEY, QUEUE_KEY, STOP_KEY, SW_META, WorkerSpider, _redis, run_stats_key

log = logging.getLogger(__name__)

DEFAULT_LEASE = 300.0  # seconds a worker may hold a target (fetch, retries and backoff included)
MAX_ATTEMPTS = 5


def _seen_key(run_id: int) -> str:
    return f"storewatch:run:{run_id}:seen"


def _row(request: Any) -> dict[str, Any]:
    """The pending target row for a first request of the watchlist spider."""
    from crawler.store import list_key

    meta = request.meta
    kind = meta["page_kind"]
    target = meta["target"]
    if kind == "product":
        return {"kind": "product", "marketplace": target.marketplace, "key": target.asin, "page": 0,
                "url": request.url}
    if kind == "search":
        return {"kind": "search", "marketplace": target.marketplace, "key": target.keyword,
                "page": meta["page"], "url": request.url}
    key, number = list_key(request.url)
    return {"kind": "list", "marketplace": target.marketplace, "key": key, "page": number, "url": request.url}


@dataclass
class Coordinator:
    """Seeds one run and sees it through; holds the requests it seeded to queue them again if needed."""

    redis_url: str
    db_url: str | None
    lease: float = DEFAULT_LEASE
    max_attempts: int = MAX_ATTEMPTS
    poll: float = 1.0
    requests: dict[int, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter
        from scrapy_redis.queue import PriorityQueue

        from crawler import queue_codec

        self.redis = _redis(self.redis_url)
        self.redis.ping()
        self.spider = WorkerSpider()  # requests are (de)serialized against the workers' spider
        self.queue = PriorityQueue(self.redis, self.spider, QUEUE_KEY, serializer=queue_codec)
        self._dupefilter_cls = RFPDupeFilter

    # -- seeding --------------------------------------------------------------------------------------

    def seed(self, store: Any, run_id: int, targets: Any, postcodes: dict[str, str] | None = None,
             politeness: dict[str, Any] | None = None) -> int:
        """Create the run's pending targets and queue their requests; the number of targets.
        `postcodes`: marketplace -> delivery postcode, set by each worker before that marketplace's pages.
        `politeness`: the run's {"retries", "robot_cap", "delay", "jitter"} (see `run_politeness`); workers' own defaults without."""
        postcodes = dict(postcodes or {})
        self.spider.products, self.spider.searches, self.spider.lists = (
            list(targets.products), list(targets.searches), list(targets.lists))
        seen = self._dupefilter_cls(self.redis, _seen_key(run_id))
        fresh = [r.replace(dont_filter=False) for r in self.spider.all_requests()]
        fresh = [r for r in fresh if not seen.request_seen(r)]  # the same page twice: one target
        remember_how(store, run_id, postcodes, fresh, politeness)
        ids = store.add_pending_targets(run_id, [_row(r) for r in fresh])
        for target_id, request in zip(ids, fresh, strict=True):
            request.meta[SW_META] = sw_meta(run_id, target_id, postcodes.get(request.meta["marketplace"]),
                                            politeness)
            self.requests[target_id] = request
            self.queue.push(request)
        log.info("run %s: %s targets queued", run_id, len(ids))
        return len(ids)

    # -- watching -------------------------------------------------------------------------------------

    def tend(self, store: Any, run_id: int, now: datetime | None = None) -> int:
        """Re-queue targets whose claim expired; give up those handed out too often. Pending count."""
        pending = store.pending_targets(run_id)
        now = now or datetime.now(UTC)
        expired_before = now - timedelta(seconds=self.lease)
        queue_empty = len(self.queue) == 0
        for t in pending:
            if t.claimed_at is None or t.claimed_at > expired_before:
                continue
            if t.claimed_by is None and not queue_empty:
                continue  # still waiting its turn in the queue
            if t.attempts >= self.max_attempts:
                reason = f"gave up after {t.attempts} hand-outs to workers (last: {t.claimed_by or 'queued'})"
                store.give_up_target(t.id, reason)
                log.warning("run %s: target %s %s", run_id, t.id, reason)
                continue
            request = self.requests.get(t.id)
            if request is None or not store.requeue_target(t.id):
                continue
            log.warning("run %s: target %s (%s) claimed by %s since %s: queued again", run_id, t.id, t.url,
                        t.claimed_by, t.claimed_at)
            # Bypass the dupefilter (it has seen this page) and jump the queue.
            self.queue.push(request.replace(dont_filter=True, priority=request.priority + 1))
        return len(pending)

    def wait(self, store: Any, run_id: int, timeout: float | None = None,
             progress: Any = None) -> dict[str, Any]:
        """Tend the run until every target has an outcome (or `timeout`), finish it, return its summary."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pending = self.tend(store, run_id)
            if progress is not None:
                progress(pending)
            if pending == 0 or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(self.poll)
        summary = self.summary(store, run_id)
        store.finish_run(run_id, summary["status"], summary["counts"])
        self.redis.delete(_seen_key(run_id), run_stats_key(run_id))
        return summary

    def summary(self, store: Any, run_id: int) -> dict[str, Any]:
        """The same shape as `crawl`'s summary, from the targets table and the workers' counters."""
        from crawler.fetch_modes import browser_pages
        targets = store.run_targets(run_id)
        outcomes: dict[str, dict[str, int]] = {}
        for t in targets:
            if t.outcome is not None:
                per = outcomes.setdefault(t.kind, {})
                per[t.outcome.value] = per.get(t.outcome.value, 0) + 1
        raw = {k.decode(): int(v) for k, v in self.redis.hgetall(run_stats_key(run_id)).items()}
        done = sum(sum(per.values()) for per in outcomes.values())
        requests = raw.get("requests", 0)
        counts = {
            "pages_expected": len(targets),
            "pages": done,
            "outcomes": outcomes,
            "requests": requests,
            "retries": raw.get("retries", 0),
            "blocked": sum(per.get("blocked", 0) for per in outcomes.values()),
            "products": sum(1 for t in targets if t.kind == "product"),
            "requests_per_target": round(requests / max(1, len(targets)), 3),
            "missing": {k.removeprefix("parse/missing/"): v for k, v in raw.items()
                        if k.startswith("parse/missing/")},
            **browser_pages(raw),
            "distributed": True,
        }
        return {"run_id": run_id, "status": "complete" if done >= len(targets) else "incomplete",
                "counts": counts}


def run_distributed(cfg: Any, *, redis_url: str, db_url: str | None, base_url: str | None,
                    marketplaces: list[str] | None = None, own_only: bool = False,
                    lease: float = DEFAULT_LEASE, timeout: float | None = None,
                    progress: bool = False, fetch: str | None = None) -> dict[str, Any]:
    """Coordinate one distributed run of a watchlist: create, seed, tend, finish. Returns the summary.
    Fetch modes and postcodes are the watchlist's, as in a one-process crawl (`fetch` overrides)."""
    from crawler import fetch_modes
    from crawler.recovery import begin_run
    from crawler.session import storage
    from crawler.targets import build_targets

    targets = fetch_modes.with_fetch_modes(cfg, build_targets(cfg, base_url, marketplaces, own_only), fetch)
    markets = sorted({t.marketplace for t in (*targets.products, *targets.searches, *targets.lists)})  # type: ignore[attr-defined]
    postcodes = {m: postcode for m, (_, postcode) in fetch_modes.locations(cfg, targets, base_url).items()}
    coordinator = Coordinator(redis_url, db_url, lease=lease)
    with storage(db_url) as s:
        run_id = begin_run(s.store, "own" if own_only else "crawl", markets, cfg.name)
        total = coordinator.seed(s.store, run_id, targets, postcodes, run_politeness(cfg))
        report = _progress_printer(total) if progress else None
        return coordinator.wait(s.store, run_id, timeout=timeout, progress=report)


def wait_for_run(run_id: int, *, redis_url: str, db_url: str | None, lease: float = DEFAULT_LEASE,
                 timeout: float | None = None) -> dict[str, Any]:
    """Tend and finish a run seeded by a coordinator that is gone (its in-memory requests with it):
    pending targets are queued again from their stored kind and URL once their lease expires."""
    from crawler.session import storage

    coordinator = Coordinator(redis_url, db_url, lease=lease)
    with storage(db_url) as s:
        how = (s.store.run(run_id).counts or {}).get(HOW_KEY) or {}
        pending = {t.id for t in s.store.pending_targets(run_id)}
        for row in s.store.run_targets(run_id):
            if row.id in pending:
                coordinator.requests[row.id] = _rebuild(coordinator.spider, run_id, row, how)
        return coordinator.wait(s.store, run_id, timeout=timeout)


# run counts key: how the run's pages are fetched, for a coordinator that queues them again
HOW_KEY = "distributed"


def _how_key(kind: str, marketplace: str, key: str) -> str:
    return f"{kind}:{marketplace}:{key}"


def run_politeness(cfg: Any) -> dict[str, Any]:
    """What a worker takes from the watchlist with each request: retries, the robot-check cap, and the
    delay with its jitter as a floor under the worker's own `--delay` (crawler.run_delay); proxies are
    the worker machine's own (`--proxies-env`)."""
    p = cfg.politeness
    return {"retries": p.retries, "robot_cap": p.max_robot_checks, "delay": p.delay_seconds, "jitter": p.jitter}


def sw_meta(run_id: int, target_id: int, postcode: str | None, politeness: dict[str, Any] | None) -> dict[str, Any]:
    """What a queued request says about its target (crawler.worker.SW_META; crawler.queue_codec checks it)."""
    return {"run": run_id, "target": target_id, "postcode": postcode, **(politeness or {})}


def remember_how(store: Any, run_id: int, postcodes: dict[str, str], requests: list[Any],
                 politeness: dict[str, Any] | None = None) -> None:
    """Keep the run's postcodes, politeness and its targets' non-default fetch modes with the run."""
    fetch = {}
    for r in requests:
        row, mode = _row(r), r.meta["target"].fetch
        if mode != "http":
            fetch[_how_key(row["kind"], row["marketplace"], row["key"])] = mode
    counts = store.run(run_id).counts or {}
    how = {"postcodes": postcodes, "fetch": fetch, "politeness": dict(politeness or {})}
    store.set_run_counts(run_id, {**counts, HOW_KEY: how})


def _rebuild(spider: Any, run_id: int, row: Any, how: dict[str, Any]) -> Any:
    """The request for a stored pending target (kind, marketplace, key, page, url), fetched as the run
    said (`how`: the postcodes, politeness and fetch modes `remember_how` kept)."""
    from urllib.parse import urlsplit

    from spiders.base import ProductTarget
    from spiders.bestsellers import ListTarget
    from spiders.search import SearchTarget

    parts = urlsplit(row.url)
    base_url = f"{parts.scheme}://{parts.netloc}"
    fetch = (how.get("fetch") or {}).get(_how_key(row.kind, row.marketplace, row.key), "http")
    if row.kind == "product":
        request = spider.product_request(ProductTarget(row.key, row.marketplace, base_url, fetch))
    elif row.kind == "search":
        target = SearchTarget(row.key, row.marketplace, base_url, max(row.page, 1), fetch=fetch)
        request = next(r for r in spider.search_requests(target) if r.meta["page"] == max(row.page, 1))
        request = request.replace(url=row.url)  # keeps the sort of a brand's newest listings
    else:
        request = next(spider.list_requests(ListTarget(row.url, row.marketplace, base_url, 1, fetch=fetch)))
        request.meta["page"] = row.page
    postcode = (how.get("postcodes") or {}).get(row.marketplace)
    request.meta[SW_META] = sw_meta(run_id, row.id, postcode, how.get("politeness"))
    return request


def _progress_printer(total: int) -> Any:
    import sys

    last = [-1]

    def report(pending: int) -> None:
        if pending != last[0]:
            last[0] = pending
            print(f"\rdistributed run: {total - pending}/{total} pages done", end="", file=sys.stderr, flush=True)
            if pending == 0:
                print(file=sys.stderr)

    return report


def request_stop(redis_url: str) -> None:
    """Tell every worker running now to stop (workers started later are not affected)."""
    _redis(redis_url).set(STOP_KEY, repr(time.time()))


def clear_queue(redis_url: str) -> None:
    """Drop every queued request (tests and benchmarks start from an empty queue)."""
    _redis(redis_url).delete(QUEUE_KEY, DUPEFILTER_KEY)
