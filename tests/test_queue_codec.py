"""The Redis queue carries JSON data, never pickles: an entry that is not a storewatch request is refused
with its reason, and a planted pickle never runs in a worker, which keeps working."""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.request import request_from_dict

from crawler import queue_codec
from crawler.queue_codec import RefusedRequest
from crawler.worker import SW_META, WorkerSpider
from spiders.base import ProductTarget
from spiders.bestsellers import ListTarget
from spiders.search import SearchTarget
from tests.workers import finish, products, start_coordinator, start_worker

BASE = "http://127.0.0.1:8000"


def first_requests() -> tuple[WorkerSpider, list[Any]]:
    spider = WorkerSpider(products=[ProductTarget("B0NB4SPGE0", "us", BASE, "browser"),
                                    ProductTarget("B0BTCPSXTQ", "us", BASE)],
                          searches=[SearchTarget("yoga mat", "us", BASE, 2, fetch="auto")],
                          lists=[ListTarget("/gp/bestsellers/kitchen", "de", BASE, 1)])
    requests = spider.all_requests()
    for i, r in enumerate(requests):
        r.meta[SW_META] = {"run": 7, "target": i + 1, "postcode": "10001" if i % 2 else None,
                           **({"retries": 0, "robot_cap": 3, "delay": 2.5, "jitter": 0.3} if i % 2 else {})}
    return spider, requests


def entry(spider: WorkerSpider, request: Any) -> dict[str, Any]:
    return json.loads(queue_codec.dumps(request.to_dict(spider=spider)))


def test_first_requests_round_trip_as_json() -> None:
    spider, requests = first_requests()
    assert {r.meta["target"].fetch for r in requests} == {"http", "browser", "auto"}
    for request in requests:
        raw = queue_codec.dumps(request.to_dict(spider=spider))
        assert raw.startswith(b"{") and b"\x80" not in raw
        back = request_from_dict(queue_codec.loads(raw), spider=spider)
        assert (back.url, back.method, back.body, back.priority, back.dont_filter) == (
            request.url, request.method, request.body, request.priority, request.dont_filter)
        assert back.callback == request.callback and back.errback == request.errback
        assert back.headers == request.headers
        assert back.meta.keys() == request.meta.keys()
        for key, value in request.meta.items():
            if key != "playwright_page_methods":
                assert back.meta[key] == value, key
        if request.meta.get("playwright"):  # the browser's page methods are attached on arrival
            assert [m.method for m in back.meta["playwright_page_methods"]] == [
                m.method for m in request.meta["playwright_page_methods"]]


class Planted:
    """What an attacker with write access to Redis would queue: unpickling it creates a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return open, (str(self.path), "w")


def _tampered(change: Any) -> bytes:
    spider, requests = first_requests()
    data = entry(spider, requests[0])
    change(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(("raw", "why"), [
    (lambda tmp: pickle.dumps(Planted(tmp / "pwned")), "a pickle"),
    (lambda tmp: b"\x00\x01garbage", "not JSON"),
    (lambda tmp: b'{"format": "other"}', "format"),
    (lambda tmp: _tampered(lambda d: d.update(_class="subprocess.Popen")), "unknown fields ['_class']"),
    (lambda tmp: _tampered(lambda d: d.update(callback="close")), "callback 'close'"),
    (lambda tmp: _tampered(lambda d: d.update(errback="__init__")), "errback"),
    (lambda tmp: _tampered(lambda d: d.update(url="file:///etc/passwd")), "http(s) URL"),
    (lambda tmp: _tampered(lambda d: d["meta"].update(screenshot_path="/etc/cron.d/x")), "screenshot_path"),
    (lambda tmp: _tampered(lambda d: d["meta"].update(proxy="http://evil:3128")), "'proxy'"),
    (lambda tmp: _tampered(lambda d: d["meta"].update(playwright_page_methods=[{"method": "evaluate"}])),
     "playwright_page_methods"),
    (lambda tmp: _tampered(lambda d: d["meta"]["target"].update(kind="os.system")), "target"),
    (lambda tmp: _tampered(lambda d: d["meta"]["target"].update(extra=1)), "unknown fields ['extra']"),
    (lambda tmp: _tampered(lambda d: d["meta"]["storewatch"].update(run="1; DROP")), "storewatch"),
    (lambda tmp: _tampered(lambda d: d["meta"]["storewatch"].update(retries=1000)), "storewatch"),
    (lambda tmp: _tampered(lambda d: d["meta"]["storewatch"].update(robot_cap=0)), "storewatch"),
    (lambda tmp: _tampered(lambda d: d["meta"]["storewatch"].update(delay=-1)), "storewatch"),
    (lambda tmp: _tampered(lambda d: d["meta"]["storewatch"].update(jitter="0.5")), "storewatch"),
    (lambda tmp: b"{" + b" " * queue_codec.MAX_BYTES + b"}", "at most"),
])
def test_anything_else_is_refused_with_its_reason(raw: Any, why: str, tmp_path: Path) -> None:
    with pytest.raises(RefusedRequest) as refused:
        queue_codec.loads(raw(tmp_path))
    assert why in str(refused.value)
    assert not (tmp_path / "pwned").exists()


def test_what_is_not_data_is_never_queued() -> None:
    spider, requests = first_requests()
    with pytest.raises(TypeError, match="is not data the queue carries"):  # the one-process address change
        queue_codec.dumps(spider.address_change("us", BASE, "10001", requests[:1]).to_dict(spider=spider))


def test_a_planted_pickle_is_refused_and_logged_and_the_worker_keeps_working(
        storefront, redis_url, pg_db_url, tmp_path: Path) -> None:
    import redis

    from crawler.worker import QUEUE_KEY

    marker = tmp_path / "pwned"
    client = redis.Redis.from_url(redis_url)
    try:  # first in the queue (the lowest score pops first), before the run's requests
        client.execute_command("ZADD", QUEUE_KEY, -1000, pickle.dumps(Planted(marker)))
    finally:
        client.close()
    config = tmp_path / "w.toml"
    config.write_text('name = "w"\nproducts = [{ asin = "B0NB4SPGE0", marketplace = "us" }]\n'
                      "[marketplaces.us]\n[politeness]\ndelay_seconds = 0\nautothrottle = false\n", encoding="utf-8")
    worker = start_worker("w", pg_db_url, tmp_path, "--max-idle-seconds", "3")
    code, out, err = finish(start_coordinator(config, pg_db_url, storefront.url, tmp_path), 120)
    assert code == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["status"] == "complete"
    assert products(pg_db_url, summary["run_id"])["B0NB4SPGE0"].title  # the real work was done
    wcode, _, werr = finish(worker, 60)
    assert wcode == 0, werr[-3000:]
    assert "refused a queue entry from Redis" in werr and "a pickle, not a storewatch request" in werr
    assert not marker.exists()  # never unpickled
