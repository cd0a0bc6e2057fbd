"""Requests in the Redis queue as JSON data, never pickles (scrapy-redis's `SCHEDULER_SERIALIZER`).

scrapy-redis pickles requests by default: anyone who can write to Redis could then run code in every
worker. Here a queued request is JSON holding only what a distributed crawl's first requests carry:
URL, method, headers, body, the spider callback by name (one of the page callbacks), and meta keys of
known types, the target as its dataclass's fields. `loads` refuses anything else with a reason
(`RefusedRequest`); nothing in the data names code to import or call. A page read in the browser
travels as `playwright: true`; the page methods (storewatch's own functions) are attached on arrival.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any
from urllib.parse import urlsplit

from spiders.base import ProductTarget
from spiders.bestsellers import ListTarget
from spiders.search import SearchTarget

FORMAT = "storewatch/request/1"
CALLBACKS = frozenset({"parse_product_page", "parse_search_page", "parse_list_page"})
ERRBACKS = frozenset({"on_error"})
TARGETS: dict[str, type] = {"product": ProductTarget, "search": SearchTarget, "list": ListTarget}
_TARGET_NAMES = {cls: name for name, cls in TARGETS.items()}
METHODS = frozenset({"GET", "POST"})
MAX_BYTES = 64 * 1024  # a first request is ~1 KB; a bigger entry is no request of ours


class RefusedRequest(ValueError):
    """A queue entry that is not a storewatch request; the message says why (never echoing it whole)."""


# meta key -> check of its value; "target", "storewatch" and the browser keys are handled apart.
def _str(v: Any) -> bool:
    return isinstance(v, str) and len(v) <= 2048


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return _int(v) or (isinstance(v, float) and math.isfinite(v))


META: dict[str, Any] = {
    "marketplace": _str,
    "download_slot": _str,
    "cookiejar": _str,
    "page_kind": lambda v: v in ("product", "search", "list"),
    "page": _int,
    "screenshot_path": lambda v: v is None,  # a path from Redis would write files where it says
    "playwright": lambda v: v is True,
    "playwright_page_goto_kwargs": lambda v: v == {"wait_until": "domcontentloaded"},
}
SW_KEYS = {
    "run": _int,
    "target": _int,
    "postcode": lambda v: v is None or _str(v),
    # the run's politeness.retries and max_robot_checks (within the limits the config allows)
    "retries": lambda v: _int(v) and 0 <= v <= 10,
    "robot_cap": lambda v: _int(v) and v >= 1,
    # and its delay_seconds and jitter (a floor under the worker's own delay: crawler.run_delay)
    "delay": lambda v: _number(v) and 0 <= v <= 3600,
    "jitter": lambda v: _number(v) and 0 <= v <= 1,
}


def dumps(request: dict[str, Any]) -> bytes:
    """A request dict (`Request.to_dict(spider=...)`) as queue data; TypeError for what is not data."""
    if "_class" in request:
        raise TypeError(f"only plain scrapy.Request objects are queued, not {request['_class']}")
    meta = dict(request.get("meta") or {})
    meta.pop("playwright_page_methods", None)  # attached again on arrival (see loads)
    for key, value in meta.items():
        if key == "target":
            meta[key] = _encode_target(value)
        elif key != "storewatch" and not META.get(key, lambda _: False)(value):
            raise TypeError(f"request meta {key!r} = {value!r} is not data the queue carries")
    data = {
        "format": FORMAT,
        "url": request["url"],
        "method": request.get("method", "GET"),
        "headers": {_text(k): [_text(v) for v in vs] for k, vs in (request.get("headers") or {}).items()},
        "body": base64.b64encode(request.get("body") or b"").decode("ascii"),
        "callback": request.get("callback"),
        "errback": request.get("errback"),
        "meta": meta,
        "priority": request.get("priority", 0),
        "dont_filter": bool(request.get("dont_filter")),
    }
    if request.get("cookies") or request.get("cb_kwargs") or request.get("flags"):
        raise TypeError("cookies, cb_kwargs and flags are not queued (the worker's cookie jar holds cookies)")
    _check(data)  # what we send, we must be able to read back
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(raw: bytes | str) -> dict[str, Any]:
    """Queue data back to a request dict for `request_from_dict`, or RefusedRequest saying why."""
    if len(raw) > MAX_BYTES:
        raise RefusedRequest(f"entry of {len(raw)} bytes (a queued request is at most {MAX_BYTES})")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        head = bytes(raw[:2]) if isinstance(raw, bytes) else raw[:2].encode()
        kind = "a pickle" if head[:1] == b"\x80" else "not JSON"
        raise RefusedRequest(f"entry is {kind}, not a storewatch request (starts {head!r})") from None
    _check(data)
    meta = dict(data["meta"])
    if "target" in meta:
        meta["target"] = _decode_target(meta["target"])
    if meta.get("playwright"):
        from crawler.browser_settings import browser_meta

        meta.update(browser_meta())
    return {
        "url": data["url"],
        "method": data["method"],
        "headers": {k.encode("latin-1"): [v.encode("latin-1") for v in vs] for k, vs in data["headers"].items()},
        "body": base64.b64decode(data["body"]),
        "callback": data["callback"],
        "errback": data["errback"],
        "meta": meta,
        "priority": data["priority"],
        "dont_filter": data["dont_filter"],
    }


def _check(data: Any) -> None:
    def refuse(why: str) -> None:
        raise RefusedRequest(why)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        refuse(f"entry is not in the {FORMAT} format")
    extra = set(data) - {"format", "url", "method", "headers", "body", "callback", "errback", "meta",
                         "priority", "dont_filter"}
    if extra:
        refuse(f"unknown fields {sorted(extra)}")
    url = data.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        refuse("url is not an http(s) URL")
    if data.get("method") not in METHODS:
        refuse(f"method {data.get('method')!r} is not one of {sorted(METHODS)}")
    if data.get("callback") not in CALLBACKS:
        refuse(f"callback {data.get('callback')!r} is not a page callback")
    if data.get("errback") not in ERRBACKS:
        refuse(f"errback {data.get('errback')!r} is not the spider's on_error")
    if not _int(data.get("priority")) or not isinstance(data.get("dont_filter"), bool):
        refuse("priority or dont_filter has the wrong type")
    headers = data.get("headers")
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(vs, list) and all(isinstance(v, str) for v in vs)
            for k, vs in headers.items()):
        refuse("headers are not a map of names to lists of strings")
    if not isinstance(data.get("body"), str):
        refuse("body is not base64 text")
    meta = data.get("meta")
    if not isinstance(meta, dict):
        refuse("meta is not a map")
    for key, value in meta.items():
        if key == "target":
            _decode_target(value)
        elif key == "storewatch":
            if not isinstance(value, dict) or set(value) - set(SW_KEYS) or not all(
                    SW_KEYS[k](v) for k, v in value.items()) or not {"run", "target"} <= set(value):
                refuse("meta 'storewatch' is not {run, target, postcode, retries, robot_cap, delay, jitter}")
        elif key not in META or not META[key](value):
            refuse(f"meta {key!r} is not a key or value storewatch queues")


def _encode_target(target: Any) -> dict[str, Any]:
    name = _TARGET_NAMES.get(type(target))
    if name is None:
        raise TypeError(f"request meta target {target!r} is not a crawl target")
    return {"kind": name, **dataclasses.asdict(target)}


def _decode_target(value: Any) -> Any:
    if not isinstance(value, dict) or value.get("kind") not in TARGETS:
        raise RefusedRequest("meta 'target' is not a product, search or list target")
    cls = TARGETS[value["kind"]]
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    given = {k: v for k, v in value.items() if k != "kind"}
    if set(given) - set(fields):
        raise RefusedRequest(f"meta 'target' has unknown fields {sorted(set(given) - set(fields))}")
    for k, v in given.items():
        ok = _int(v) if fields[k] == "int" else (v is None or _str(v)) if "None" in fields[k] else _str(v)
        if not ok:
            raise RefusedRequest(f"meta 'target' field {k!r} has the wrong type")
    try:
        return cls(**given)
    except TypeError as exc:
        raise RefusedRequest(f"meta 'target' is incomplete: {exc}") from None


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value
