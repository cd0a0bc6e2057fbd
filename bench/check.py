"""How long `storewatch check ASIN` takes as a user runs it, and what its start-up spends the time on.

Run: `.venv/bin/python bench/check.py [--runs N] [--asin ASIN ...]`. Starts the offline storefront in this
process (pages prerendered, so the server's share is ~0.3 ms a page), then:
1. wall time of `storewatch check ASIN --base-url URL` in a fresh subprocess, N times per ASIN (median,
   min, max; the first run, which also creates the database, reported apart);
2. import time of `crawler.cli` (`python -X importtime`) and wall time of `storewatch --help`;
3. the imports one `check` run makes, summed per top-level package (self time), heaviest first;
4. the floor: fetching the same page with urllib and parsing it in-process;
5. what-ifs, same subprocess timing: `--no-save`, and Scrapy's RemoteControl extension switched off (Scrapy
   2.19 enables it by default: it imports aiohttp and starts a localhost code-execution server per crawl;
   patched in the benchmark's subprocess only).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.storefront import Storefront

PY = sys.executable
_SCRIPT = Path(PY).with_name("storewatch")
STOREWATCH = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-c", "from crawler.cli import entry; entry()"]
# us-mat: one request (no other sellers); us-knife: the page and its all-offers panel
DEFAULT_ASINS = ("B0BTCPSXTQ", "B03RLSBH60")
_IMPORT_RE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
    return time.perf_counter() - t0, proc


def import_profile(stderr: str) -> tuple[float, dict[str, float]]:
    """(total s of the program's own imports, self seconds per top-level package) from -X importtime."""
    per_pkg: dict[str, float] = defaultdict(float)
    total = 0.0
    for line in stderr.splitlines():
        m = _IMPORT_RE.match(line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
        per_pkg[name.split(".")[0]] += self_us / 1e6
        if indent <= 1:  # imported by the program itself, not by another module
            total += cum_us / 1e6
    return total, dict(per_pkg)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--asin", action="append", help=f"ASINs to check (default {', '.join(DEFAULT_ASINS)})")
    args = ap.parse_args()
    asins = args.asin or list(DEFAULT_ASINS)
    home = tempfile.mkdtemp(prefix="storewatch-bench-")
    env = {**os.environ, "STOREWATCH_HOME": home, "PYTHONDONTWRITEBYTECODE": "0"}

    with Storefront(scenario="day1", seed=0) as sf:
        sf.prerender()
        print(f"storefront {sf.url}, {args.runs} runs per ASIN, {os.cpu_count()} CPUs, data in {home}\n")

        print("1. storewatch check ASIN --base-url URL (a fresh process each time)")
        for asin in asins:
            cmd = [*STOREWATCH, "check", asin, "--base-url", sf.url]
            first, proc = timed(cmd, env)
            if proc.returncode != 0:
                print(f"   {asin}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
                return 1
            runs = [timed(cmd, env)[0] for _ in range(args.runs)]
            print(f"   {asin}: median {fmt_ms(statistics.median(runs))}   min {fmt_ms(min(runs))}   "
                  f"max {fmt_ms(max(runs))}   first run (creates the database) {fmt_ms(first)}")

        print("\n2. start-up")
        _, proc = timed([PY, "-X", "importtime", "-c", "import crawler.cli"], env)
        total, per_pkg = import_profile(proc.stderr)
        cli_import = statistics.median(timed([PY, "-c", "import crawler.cli"], env)[0] for _ in range(5))
        bare = statistics.median(timed([PY, "-c", "pass"], env)[0] for _ in range(5))
        help_ = statistics.median(timed([*STOREWATCH, "--help"], env)[0] for _ in range(5))
        print(f"   import crawler.cli: {fmt_ms(total)} (-X importtime); process wall {fmt_ms(cli_import)} "
              f"(bare python {fmt_ms(bare)})")
        print(f"   storewatch --help : {fmt_ms(help_)}")
        print("   heaviest packages importing crawler.cli (self time): " + ", ".join(
            f"{k} {v * 1000:.0f} ms" for k, v in sorted(per_pkg.items(), key=lambda kv: -kv[1])[:6]))

        print(f"\n3. what one `check {asins[-1]}` imports (self time per package, of the whole run's imports)")
        code = ("import sys; from crawler.cli import entry; "
                f"sys.argv = ['storewatch', 'check', {asins[-1]!r}, '--base-url', {sf.url!r}]; entry()")
        wall, proc = timed([PY, "-X", "importtime", "-c", code], env)
        _, per_pkg = import_profile(proc.stderr)
        print(f"   imports {fmt_ms(sum(per_pkg.values()))} of a {fmt_ms(wall)} run")
        for name, secs in sorted(per_pkg.items(), key=lambda kv: -kv[1])[:15]:
            print(f"   {name:28} {fmt_ms(secs)}")

        print("\n4. the floor: urllib fetch + parse_product in this process")
        from spiders.parsers.offers import parse_offers
        from spiders.parsers.product import parse_product

        for asin in asins:
            def once(asin: str = asin) -> None:
                body = urllib.request.urlopen(f"{sf.url}/dp/{asin}").read()
                snap = parse_product(body, f"https://www.amazon.com/dp/{asin}", "us")
                if snap.other_sellers_count:
                    panel = urllib.request.urlopen(f"{sf.url}/gp/aod/ajax?asin={asin}").read()
                    parse_offers(panel, f"https://www.amazon.com/gp/aod/ajax?asin={asin}", "us")
            once()
            floor = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                once()
                floor.append(time.perf_counter() - t0)
            print(f"   {asin}: median {fmt_ms(statistics.median(floor))}")

        asin = asins[-1]
        print(f"\n5. what-ifs for `check {asin}` (median of {args.runs})")
        no_rc = ("import sys, crawler.settings as s; base = s.scrapy_settings\n"
                 "def patched(**kw):\n"
                 "    out = base(**kw); out['REMOTE_CONTROL_ENABLED'] = False\n"
                 "    out['EXTENSIONS'] = {**out.get('EXTENSIONS', {}), "
                 "'scrapy.extensions.remote_control.RemoteControl': None}\n"
                 "    return out\n"
                 "s.scrapy_settings = patched\n"
                 "from crawler.cli import entry\n"
                 f"sys.argv = ['storewatch', 'check', {asin!r}, '--base-url', {sf.url!r}]; entry()")
        variants = {
            "as shipped": [*STOREWATCH, "check", asin, "--base-url", sf.url],
            "--no-save": [*STOREWATCH, "check", asin, "--base-url", sf.url, "--no-save"],
            "RemoteControl off": [PY, "-c", no_rc],
        }
        for label, cmd in variants.items():
            ok = timed(cmd, env)[1]
            if ok.returncode != 0:
                print(f"   {label:18} exit {ok.returncode}: {ok.stderr[-300:]}")
                continue
            print(f"   {label:18} {fmt_ms(statistics.median(timed(cmd, env)[0] for _ in range(args.runs)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
