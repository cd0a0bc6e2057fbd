"""The watchlist's delay as a floor under a distributed worker's own.

A worker serves any run queued in Redis; its `--delay` is the machine's. A watchlist asking for more
(`politeness.delay_seconds`) travels with each request (`meta["storewatch"]["delay"]` and `"jitter"`,
see crawler.distributed.run_politeness): the request's download slot (its marketplace) then waits at
least that long between two requests, with the watchlist's jitter, and AutoThrottle never lowers it
below. A worker whose own delay is longer keeps its own.
"""

from __future__ import annotations

from typing import Any

from scrapy.extensions.throttle import AutoThrottle

SW_META = "storewatch"  # crawler.worker.SW_META (not imported: that module imports Scrapy's world)


def floors(crawler: Any) -> dict[str, float]:
    """Download slot -> the longest delay a run has asked of it (one dict per crawler)."""
    found = getattr(crawler, "_storewatch_delay_floors", None)
    if found is None:
        found = crawler._storewatch_delay_floors = {}
    return found


class RunDelayMiddleware:
    """Raises the request's slot to the run's delay before the request is queued there."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDelayMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        sw = request.meta.get(SW_META) or {}
        delay = sw.get("delay")
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        known = floors(self.crawler)
        known[key] = max(known.get(key, 0.0), float(delay))
        slot = downloader.slots.get(key)  # none before the slot's first request, which waits for nothing
        if slot is not None and slot.delay < known[key]:
            slot.delay = known[key]
            slot.jitter = float(sw.get("jitter", slot.jitter))


class RunDelayThrottle(AutoThrottle):
    """Scrapy's AutoThrottle that never sets a slot below the delay a run asked of it."""

    def _response_downloaded(self, response: Any, request: Any, spider: Any) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        floor = floors(self.crawler).get(key or "", 0.0)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
