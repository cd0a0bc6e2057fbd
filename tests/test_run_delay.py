"""A run's delay is a floor under a worker's slot delay, which AutoThrottle does not lower."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.run_delay import RunDelayMiddleware, RunDelayThrottle, floors


def _crawler_with_slot(delay: float) -> tuple[object, Slot]:
    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True, "DOWNLOAD_DELAY": 0.001})
    slot = Slot(concurrency=1, delay=delay, jitter=0.0)
    downloader = SimpleNamespace(slots={"amazon-us": slot}, get_slot_key=lambda r: "amazon-us", _delay=0)
    crawler.engine = SimpleNamespace(downloader=downloader)
    return crawler, slot


def _request(**sw: float) -> Request:
    return Request("http://127.0.0.1/dp/B0NB4SPGE0", meta={"download_slot": "amazon-us", "storewatch": sw})


def test_the_runs_delay_raises_the_slot_and_autothrottle_keeps_it_there() -> None:
    crawler, slot = _crawler_with_slot(0.001)
    RunDelayMiddleware(crawler).process_request(_request(run=1, target=1, delay=2.0, jitter=0.25))
    assert (slot.delay, slot.jitter) == (2.0, 0.25)
    throttle = RunDelayThrottle(crawler)
    throttle._spider_opened(None)
    request = _request(run=1, target=1, delay=2.0)
    request.meta["download_latency"] = 0.01  # a fast answer: plain AutoThrottle would cut the delay
    throttle._response_downloaded(HtmlResponse(request.url, body=b"<html></html>"), request, None)
    assert slot.delay == 2.0 and floors(crawler)["amazon-us"] == 2.0


def test_a_worker_with_a_longer_delay_keeps_its_own() -> None:
    crawler, slot = _crawler_with_slot(5.0)
    RunDelayMiddleware(crawler).process_request(_request(run=1, target=1, delay=2.0, jitter=0.0))
    RunDelayMiddleware(crawler).process_request(_request(run=1, target=2))  # no delay asked: untouched
    assert slot.delay == 5.0
