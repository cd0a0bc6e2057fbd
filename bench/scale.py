"""Distributed crawl throughput: pages/min with 1 worker, then 2, where every page takes 300 ms to answer.

Run: `.venv/bin/python bench/scale.py [--keywords 40] [--latency-ms 300] [--db URL] [--redis URL]`.
The storefront (its own process, pages pre-rendered) answers each request after `--latency-ms`; workers
are polite (one request at a time per marketplace per worker, no delay on this local server), so one
worker is bound by latency and a second should nearly double the rate (goal: >= 1.8x). The run is
coordinated in this process; the clock runs from seeding until every target has an outcome, with the
workers already started, signed in and idle (`--no-browser`: these pages are plain HTTP). CPU-ms per page is the workers' user+system time in that window.
Needs PostgreSQL (a schema of its own, dropped after) and Redis (database 8, flushed).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/8"
TICKS = os.sysconf("SC_CLK_TCK")


def watchlist(keywords: int) -> str:
    terms = ",\n".join(f'  {{ term = "scale test {i}", marketplace = "us", pages = 3 }}' for i in range(keywords))
    return f"""name = "scale"
products = [
  {{ asin = "B0NB4SPGE0", marketplace = "us", own = true }},
  {{ asin = "B0BTCPSXTQ", marketplace = "us", own = true }},
  {{ asin = "B03RLSBH60", marketplace = "us", own = true }},
  {{ asin = "B0B8H4KD6C", marketplace = "us", own = true }},
]
keywords = [
{terms}
]
[marketplaces.us]
own_seller_ids = ["A2NPK0UTF1TTRS"]
[politeness]
delay_seconds = 0
jitter = 0
autothrottle = false
retries = 0
"""


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_storefront(latency_ms: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "fixtures.storefront", "--port", "0", "--latency-ms",
                             str(latency_ms), "--prerender"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def wait_ready(redis_url: str, names: set[str], timeout: float = 120) -> None:
    """Until every worker has signed in (its spider is open and polling the queue)."""
    import redis

    from crawler.worker import WORKERS_KEY

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while not names <= {k.decode() for k in client.hkeys(WORKERS_KEY)}:
            if time.monotonic() > deadline:
                raise SystemExit(f"workers {sorted(names)} did not start within {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        client.close()
    time.sleep(1)  # one more heartbeat: every worker is asking the queue


def measure(n_workers: int, cfg: object, base_url: str, db: str, redis_url: str, home: Path) -> dict:
    from crawler.distributed import Coordinator, request_stop
    from crawler.recovery import begin_run
    from crawler.session import storage
    from crawler.targets import build_targets

    env = {**os.environ, "STOREWATCH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    names = {f"bench{n_workers}-{i}" for i in range(n_workers)}
    # --no-browser: these pages are plain HTTP; no Playwright driver idles beside the workers
    workers = [subprocess.Popen([sys.executable, "-m", "crawler.commands.worker", "worker", "--redis", redis_url,
                                 "--db", db, "--name", name, "--delay", "0", "--no-browser"],
                                cwd=ROOT, env=env) for name in sorted(names)]
    try:
        wait_ready(redis_url, names)  # imported, connected and idle: the clock measures crawling, not start-up
        coordinator = Coordinator(redis_url, db, poll=0.1)
        targets = build_targets(cfg, base_url)
        with storage(db) as s:
            run_id = begin_run(s.store, "crawl", ["us"], "scale")
            cpu0 = sum(cpu_seconds(w.pid) for w in workers)
            t0 = time.perf_counter()
            pages = coordinator.seed(s.store, run_id, targets)
            summary = coordinator.wait(s.store, run_id)
            wall = time.perf_counter() - t0
            cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu0
    finally:
        request_stop(redis_url)
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
    assert summary["status"] == "complete", summary
    return {"workers": n_workers, "pages": pages, "seconds": wall, "pages_per_min": pages / wall * 60,
            "cpu_ms_per_page": cpu * 1000 / pages, "requests": summary["counts"]["requests"]}


def main(argv: list[str] | None = None) -> int:
    import redis
    from sqlalchemy import create_engine, text

    from crawler.config import parse_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keywords", type=int, default=40, help="keywords of 3 result pages each (plus 4 products)")
    ap.add_argument("--latency-ms", type=int, default=300)
    ap.add_argument("--db", default=PG, help="PostgreSQL URL (a schema of its own is created and dropped)")
    ap.add_argument("--redis", default=REDIS, help="Redis URL (its database is flushed)")
    args = ap.parse_args(argv)

    cfg = parse_config(watchlist(args.keywords))
    schema = f"bench_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = f"{args.db}{'&' if '?' in args.db else '?'}options={quote(f'-csearch_path={schema}')}"
    server = redis.Redis.from_url(args.redis)
    storefront, base_url = start_storefront(args.latency_ms)
    home = Path(f"/tmp/storewatch-bench-scale-{os.getpid()}")
    try:
        results = []
        for n in (1, 2):
            server.flushdb()
            results.append(measure(n, cfg, base_url, db, args.redis, home))
    finally:
        storefront.terminate()
        storefront.wait()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        server.flushdb()
    print(f"storefront latency {args.latency_ms} ms per request; one request at a time per marketplace per worker")
    print(f"{'workers':>7} {'pages':>6} {'seconds':>8} {'pages/min':>10} {'CPU ms/page':>12} {'requests':>9}")
    for r in results:
        print(f"{r['workers']:>7} {r['pages']:>6} {r['seconds']:>8.1f} {r['pages_per_min']:>10.0f} "
              f"{r['cpu_ms_per_page']:>12.1f} {r['requests']:>9}")
    speedup = results[1]["pages_per_min"] / results[0]["pages_per_min"]
    ok = speedup >= 1.8
    print(f"speed-up with 2 workers: {speedup:.2f}x (goal >= 1.8x) {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
