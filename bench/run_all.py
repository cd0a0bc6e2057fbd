"""Every benchmark in bench/, one after the other, each in its own process; then one table of results.

Run: `.venv/bin/python bench/run_all.py [--only NAME ...] [--skip NAME ...] [--timeout SECONDS]`.
Each benchmark's full output is kept in `--out DIR` (default: a storewatch-bench folder in the temp
directory) as `<name>.txt`; the table gives its
exit status (0 = its goals met), wall time and the lines that carry its figures. Runs one at a time on
purpose: the machine is small and every benchmark measures time. Exit status 1 if any benchmark failed.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent

# (name, extra arguments, regex of the lines worth showing); benchmarks not listed run with no arguments.
BENCHES: list[tuple[str, list[str], str]] = [
    ("parse", [], r"median ratio|^goal"),
    ("storage", [], r"^(bytes per snapshot|insert|OK|OVER)"),
    ("monitors", [], r"^(monitors:|again|peak memory)"),
    ("monitors_stored", [], r"^(history load|monitors \(|total monitor_run|peak memory)"),
    ("report", [], r"^(en|zh-CN):|MISSED"),
    ("check", [], r"median|first run"),
    ("crawl", [], r"pages/min|MISSED|OK"),
    ("scale", [], r"^\s+\d+ |speed-up"),
    ("nightly", [], r"wall_s|pages_per_s|requests_per_product|peak_rss|db_bytes|goals"),
]


def headline(output: str, pattern: str) -> list[str]:
    lines = [ln.rstrip() for ln in output.splitlines() if ln.strip()]
    found = [ln.strip() for ln in lines if re.search(pattern, ln)]
    return found[:10] or lines[-2:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="run only these benchmarks")
    ap.add_argument("--skip", nargs="*", default=[], help="leave these out")
    ap.add_argument("--timeout", type=float, default=1800, help="per benchmark")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "storewatch-bench",
                    help="where each benchmark's full output is written")
    args = ap.parse_args(argv)

    known = {name for name, _, _ in BENCHES}
    extra = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in known | {"run_all", "__init__"})
    plan = [*BENCHES, *[(name, [], r"OK|MISSED") for name in extra]]
    plan = [b for b in plan if (args.only is None or b[0] in args.only) and b[0] not in args.skip]
    results_dir = args.out
    results_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, bench_args, pattern in plan:
        script = HERE / f"{name}.py"
        if not script.exists():
            rows.append((name, "absent", 0.0, []))
            continue
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(script), *bench_args], cwd=ROOT, capture_output=True,
                                  text=True, timeout=args.timeout, check=False)
            status, output = str(done.returncode), done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            status, output = "timeout", f"{exc.stdout or ''}{exc.stderr or ''}"
            output = output.decode() if isinstance(output, bytes) else output
        seconds = time.perf_counter() - t0
        (results_dir / f"{name}.txt").write_text(output, encoding="utf-8")
        rows.append((name, status, seconds, headline(output, pattern)))

    print()
    print(f"{'benchmark':10} {'exit':>7} {'seconds':>8}  figures")
    for name, status, seconds, lines in rows:
        first, *rest = lines or [""]
        print(f"{name:10} {status:>7} {seconds:8.0f}  {first}")
        for line in rest:
            print(f"{'':27}  {line}")
    print(f"full outputs in {results_dir}")
    return 0 if all(status in ("0", "absent") for _, status, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
