"""Distributed crawls in tests: `storewatch worker` and `crawl --distributed` processes, and what they
stored. The Redis database is `STOREWATCH_TEST_REDIS`, else one this session claims (the `redis_url`
fixture flushes it)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.records import ProductSnapshot

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "redis://127.0.0.1:6379"
REGISTRY_DB, SESSION_DBS = 15, (9, 10, 11, 12, 13, 14, 7)  # bench/scale.py uses 8
CLAIM_SECONDS = 3 * 3600  # a killed session's claim lapses after this
_claim: tuple[Any, str, str] | None = None  # (registry client, key, token) of this session's database


def _session_redis_url() -> str:
    """A Redis database of this test session's own, named in STOREWATCH_TEST_REDIS for the processes it
    starts: two sessions at once (a developer's and a helper's) would flush and drain each other's queue."""
    global _claim
    if url := os.environ.get("STOREWATCH_TEST_REDIS"):
        return url
    url = f"{REDIS_SERVER}/{SESSION_DBS[0]}"
    try:
        import redis
    except ImportError:  # the redis_url fixture skips saying so
        return url
    registry = redis.Redis.from_url(f"{REDIS_SERVER}/{REGISTRY_DB}", socket_connect_timeout=2)
    token = f"{socket.gethostname()}:{os.getpid()}"
    with contextlib.suppress(redis.RedisError):  # no Redis: the redis_url fixture skips saying so
        for n in SESSION_DBS:
            key = f"storewatch-test:db:{n}"
            if registry.set(key, token, nx=True, ex=CLAIM_SECONDS):
                url, _claim = f"{REDIS_SERVER}/{n}", (registry, key, token)
                break
    os.environ["STOREWATCH_TEST_REDIS"] = url
    return url


def release_redis_db() -> None:
    """Give this session's Redis database back (called when the session ends)."""
    global _claim
    if _claim is not None:
        registry, key, token = _claim
        if registry.get(key) == token.encode():
            registry.delete(key)
        _claim = None


REDIS_URL = _session_redis_url()


STARTED: list[subprocess.Popen] = []  # killed by the redis_url fixture if a failed test left them running


def env(home: Path) -> dict[str, str]:
    return {**os.environ, "STOREWATCH_HOME": str(home), "PYTHONPATH": str(ROOT)}


def start_worker(name: str, db: str, home: Path, *extra: str, browser: bool = False,
                 environ: dict[str, str] | None = None) -> subprocess.Popen:
    """A worker process; `browser`: with the Chromium it finds (a second of start-up spent only where
    a test reads pages in the browser); `environ`: variables added to its environment."""
    cmd = [sys.executable, "-m", "crawler.commands.worker", "worker", "--redis", REDIS_URL, "--db", db,
           "--name", name, "--delay", "0", *([] if browser else ["--no-browser"]), *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**env(home), **(environ or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc


def reap_workers() -> None:
    """Kill the workers a test left running (it failed before stopping them), and close their pipes."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start_coordinator(config: Path, db: str, base_url: str, home: Path, lease: float = 300,
                      *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from crawler.cli import entry; entry()", "crawl", "--config", str(config),
           "--base-url", base_url, "--db", db, "--distributed", REDIS_URL, "--lease-seconds", str(lease), "--json",
           *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"process did not finish in {timeout}s: {err[-2000:]}")
    return proc.returncode, out, err


def targets(db: str, run_id: int) -> list[Any]:
    from sqlalchemy import select

    from crawler.db import open_database
    from crawler.models import Target

    with open_database(db) as database, database.transaction(write=False) as conn:
        return list(conn.execute(select(Target).where(Target.run_id == run_id).order_by(Target.id)).all())


def products(db: str, run_id: int) -> dict[str, ProductSnapshot]:
    from crawler.db import open_database
    from crawler.store import Store

    with open_database(db) as database:
        return {p.asin: p for p in Store(database).run_products(run_id)}


def running_workers() -> set[str]:
    import redis

    from crawler.worker import WORKERS_KEY

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return {k.decode() for k in client.hkeys(WORKERS_KEY)}
    finally:
        client.close()


def wait_for_workers(names: set[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not names <= running_workers():
        if time.monotonic() > deadline:
            pytest.fail(f"workers {names - running_workers()} never became ready")
        time.sleep(0.2)
