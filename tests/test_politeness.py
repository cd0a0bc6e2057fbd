"""Politeness against the offline storefront, each crawl in its own process: the robot-check cap stops
one marketplace while the others go on; marketplaces behind one host get parallel slots but one request
at a time each; proxies rotate per request through real local forward proxies; postcodes are set."""
from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.db import open_database
from crawler.store import Store
from fixtures.storefront import Storefront, catalog
from tests.conftest import db_url_for

ROOT = Path(__file__).resolve().parent.parent
TRUTH = catalog.load("day1")
US = [p for p in TRUTH.products.values() if p.marketplace == "us"]
DE = [p for p in TRUTH.products.values() if p.marketplace == "de"]


# -- helpers shared with tests/test_browser_crawl.py -------------------------------------------------------
def watchlist(products: list[Any], *, fetch: str = "http", postcodes: dict[str, str] | None = None,
              lists: list[tuple[str, str]] = (), retries: int = 1, max_robot_checks: int = 10,
              concurrency: int = 1, proxies_env: str | None = None) -> str:
    markets = sorted({p.marketplace for p in products} | {m for _, m in lists})
    out = [f'name = "t"\nfetch = "{fetch}"']
    for m in markets:
        out.append(f"[marketplaces.{m}]")
        if postcodes and m in postcodes:
            out.append(f'postcode = "{postcodes[m]}"')
    out.append(f"[politeness]\ndelay_seconds = 0\nautothrottle = false\nretries = {retries}\n"
               f"max_robot_checks = {max_robot_checks}\nconcurrency_per_marketplace = {concurrency}")
    if proxies_env:
        out.append(f'proxies_env = "{proxies_env}"')
    for p in products:
        out.append(f'[[products]]\nasin = "{p.asin}"\nmarketplace = "{p.marketplace}"')
    for path, m in lists:
        out.append(f'[[lists]]\npath = "{path}"\nmarketplace = "{m}"')
    return "\n".join(out) + "\n"


def crawl(tmp_path: Path, base_url: str, toml: str, *args: str, env: dict[str, str] | None = None,
          name: str = "run", closer: Callable[[Store], Any]) -> tuple[dict[str, Any], Store, subprocess.CompletedProcess]:
    """`storewatch crawl` in a fresh process; its JSON summary and the store it wrote (handed to
    `closer`, which closes it when the test is done)."""
    config = tmp_path / f"{name}.toml"
    config.write_text(toml, encoding="utf-8")
    db_url = db_url_for(tmp_path, f"{name}.db")
    cmd = [sys.executable, "-c", "from crawler.cli import entry; entry()", "crawl", "--config", str(config),
           "--base-url", base_url, "--db", db_url, "--json", *args]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "STOREWATCH_HOME": str(tmp_path / "home"), **(env or {})})
    assert proc.returncode in (0, 3), proc.stderr[-3000:]
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    store = Store(open_database(db_url))
    closer(store)
    return summary, store, proc


class CountingProxy:
    """A real HTTP forward proxy on 127.0.0.1 that counts what it forwards and, when given credentials,
    refuses requests without them (407)."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.requests: list[str] = []
        self.auth_seen: list[str | None] = []
        proxy = self
        expected = f"Basic {base64.b64encode(f'{user}:{password}'.encode()).decode()}" if user else None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                auth = self.headers.get("Proxy-Authorization")
                proxy.auth_seen.append(auth)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                if expected and auth != expected:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                u = urlsplit(self.path)
                proxy.requests.append(self.path)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-authorization", "proxy-connection", "connection")}
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                conn.request(self.command, u.path + (f"?{u.query}" if u.query else ""), body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{user}:{password}@{host}" if user else f"http://{host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxies() -> Iterator[tuple[CountingProxy, CountingProxy]]:
    a, b = CountingProxy(), CountingProxy("crawler", "s3cr3t-pw")
    yield a, b
    a.close()
    b.close()


# -- tests -------------------------------------------------------------------------------------------------
@pytest.mark.stores_data
def test_robot_check_cap_stops_one_marketplace_and_others_continue(storefront_reset: Storefront,
                                                                   tmp_path: Path, store_closer: Any) -> None:
    us, de = US[:4], DE[:4]
    storefront_reset.set_failures(",".join(f"robot=1:path=/dp/{p.asin}" for p in us))
    before = len(storefront_reset.request_log)
    summary, store, _ = crawl(tmp_path, storefront_reset.url,
                              watchlist(us + de, retries=1, max_robot_checks=2), closer=store_closer)
    asked = [path for _, path, _, _ in storefront_reset.request_log[before:]]
    us_asked = [p for p in asked if any(t.asin in p for t in us)]
    assert len(us_asked) == 2, us_asked  # the cap: two robot checks, then the marketplace is not asked
    assert all(store.product_history(t.asin, "us")[-1].outcome.value == "blocked" for t in us)
    assert [store.product_history(t.asin, "de")[-1].outcome.value for t in de] == ["ok"] * len(de)
    assert summary["counts"]["outcomes"]["product"] == {"blocked": 4, "ok": 4}


class TimedStorefront(Storefront):
    """The storefront, recording when each page request started and ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timing: list[tuple[float, float, str]] = []

    def handle(self, method: str, raw_path: str, host: str | None, postcode: str | None) -> Any:
        start = time.monotonic()
        out = super().handle(method, raw_path, host, postcode)
        self.timing.append((start, time.monotonic(), raw_path))
        return out


@pytest.mark.stores_data
def test_marketplaces_crawl_in_parallel_one_request_at_a_time_each(tmp_path: Path, store_closer: Any) -> None:
    us, de = US[:3], DE[:3]
    market = {f"/dp/{p.asin}": p.marketplace for p in us + de}
    with TimedStorefront(latency_ms=150) as sf:
        summary, _, _ = crawl(tmp_path, sf.url, watchlist(us + de), closer=store_closer)
        spans = {m: sorted((a, b) for a, b, path in sf.timing if market.get(path.split("?")[0]) == m)
                 for m in ("us", "de")}
    assert summary["counts"]["outcomes"]["product"] == {"ok": 6}
    for m, s in spans.items():
        assert len(s) >= 3, (m, s)
        assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(s)), f"{m}: two requests at once {s}"
    overlap = any(a1 < b2 and a2 < b1 for a1, b1 in spans["us"] for a2, b2 in spans["de"])
    assert overlap, "the two marketplaces were crawled one after the other, not in parallel slots"


@pytest.mark.stores_data
def test_proxies_rotate_per_request_and_credentials_never_show(storefront: Storefront, tmp_path: Path,
                                                               proxies: tuple[CountingProxy, CountingProxy],
                                                               store_closer: Any) -> None:
    plain, authed = proxies
    summary, _, proc = crawl(tmp_path, storefront.url, watchlist(US[:4], proxies_env="TEST_PROXIES"),
                                 "--verbose", env={"TEST_PROXIES": f"{plain.url}, {authed.url}"}, closer=store_closer)
    assert summary["counts"]["outcomes"]["product"] == {"ok": 4}
    assert len(plain.requests) >= 2 and len(authed.requests) >= 2, (plain.requests, authed.requests)
    assert abs(len(plain.requests) - len(authed.requests)) <= 1  # round-robin
    assert all(a is None for a in plain.auth_seen)
    assert set(authed.auth_seen) == {f"Basic {base64.b64encode(b'crawler:s3cr3t-pw').decode()}"}
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr
    assert "***@127.0.0.1" in proc.stderr  # the log names the proxy, masked


@pytest.mark.stores_data
def test_postcode_is_set_by_the_address_change_and_changes_what_us_filter_shows(storefront_reset: Storefront,
                                                                               tmp_path: Path, store_closer: Any) -> None:
    flt = TRUTH.by_key("us-filter")
    before = len(storefront_reset.request_log)
    _, home, _ = crawl(tmp_path, storefront_reset.url, watchlist([flt]), name="home", closer=store_closer)
    _, far, _ = crawl(tmp_path, storefront_reset.url, watchlist([flt], postcodes={"us": "96001"}), name="far",
                      closer=store_closer)
    _, none, _ = crawl(tmp_path, storefront_reset.url, watchlist([flt], postcodes={"us": "99501"}), name="none",
                       closer=store_closer)
    posts = [p for m, p, _, _ in storefront_reset.request_log[before:] if m == "POST"]
    assert len(posts) == 2 and all("address-change" in p for p in posts)
    expected = catalog.load("day1", "96001").products[flt.asin]
    assert str(home.product_history(flt.asin, "us")[-1].price.amount) == flt.price
    assert str(far.product_history(flt.asin, "us")[-1].price.amount) == expected.price == "24.99"
    unshippable = none.product_history(flt.asin, "us")[-1]
    assert unshippable.price is None and unshippable.buybox_state.value != "owned"


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:s3cr3t@proxy.example:3128", "http://***@proxy.example:3128"),
    ("http://proxy.example:3128", "http://proxy.example:3128"),
    ("socks5://u:p%40ss@10.0.0.1:1080", "socks5://***@10.0.0.1:1080"),
])
def test_proxy_urls_are_masked_for_logs(url: str, shown: str) -> None:
    from crawler.proxies import mask

    assert mask(url) == shown


def test_proxy_list_errors_never_repeat_the_entry() -> None:
    from crawler.exceptions import UsageError
    from crawler.proxies import parse_proxies, playwright_proxy, proxies_from_env

    assert parse_proxies(" http://a:1 ,, 10.0.0.2:3128 ") == ("http://a:1", "http://10.0.0.2:3128")
    assert proxies_from_env("P", {"P": ""}) == () and proxies_from_env(None) == ()
    with pytest.raises(UsageError) as err:
        parse_proxies("http://a:1, ftp://u:hunter2@x:21", "environment variable P")
    assert "entry 2" in str(err.value) and "hunter2" not in str(err.value)
    assert playwright_proxy("http://u:p%40ss@h:8") == {"server": "http://h:8", "bypass": "<-loopback>",
                                                       "username": "u", "password": "p@ss"}
