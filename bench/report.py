"""Benchmark: the morning report for a bad morning of 1,000 alerts.

Run: `.venv/bin/python bench/report.py [alerts]` (default 1,000). Goals: the report (model, charts,
thumbnails, both HTML copies, text) renders in under 3 s; the e-mail's HTML part stays under 100 KB
(Gmail clips past ~102 KB); the whole message with the attached full report stays under 1 MB.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw

from reports.build import build_report
from reports.mail import build_message
from reports.samples import many_alerts, sample_series

NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)
GOALS = {"render_s": 3.0, "email_html_bytes": 100_000, "message_bytes": 1_000_000}


def series_for(alerts, days: int = 30) -> dict:
    """A month of price, rank and rating history for every product subject, as storage would give."""
    out = dict(sample_series(NOW))
    for i, a in enumerate(alerts):
        if a.subject.startswith("B0X") and a.subject not in out:
            out[a.subject] = {
                "price": [
                    (NOW - timedelta(days=days - d), Decimal("19.99") + Decimal((i + d) % 9) / 4)
                    for d in range(days)
                ],
                "rank": [
                    (NOW - timedelta(days=days - d), 1000 + ((i * 7 + d * 13) % 300)) for d in range(days)
                ],
            }
    return out


def evidence(folder: Path, alerts) -> dict[str, Path]:
    """Full-page screenshots (1280 x 2400) for the first 20 product subjects."""
    shot = folder / "page.png"
    img = Image.new("RGB", (1280, 2400), "white")
    draw = ImageDraw.Draw(img)
    for y in range(0, 2400, 40):
        draw.rectangle((40, y + 8, 40 + (y * 7) % 1100, y + 28), fill=(200, 200 + y % 50, 220))
    img.save(shot)
    subjects = [a.subject for a in alerts if a.subject.startswith("B0X")][:20]
    return dict.fromkeys(subjects, shot)


def main(n: int) -> int:
    alerts = many_alerts(NOW, n)
    series = series_for(alerts)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        shots = evidence(Path(tmp), alerts)
        for language in ("en", "zh-CN"):
            t0 = time.perf_counter()
            report = build_report(
                alerts,
                language=language,
                generated_at=NOW,
                series=series,
                screenshots=shots,
                data_dir=Path(tmp),
                runs=[{"run_id": "bench", "marketplace": "us", "pages": n}],
            )
            render_s = time.perf_counter() - t0
            msg = build_message(report, sender="storewatch@example.com", recipients=["seller@example.com"])
            figures = {
                "render_s": render_s,
                "email_html_bytes": len(report.html_email.encode()),
                "message_bytes": len(msg.as_bytes()),
            }
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
            print(
                f"{language}: {n} alerts rendered in {render_s:.2f} s ({steps}); "
                f"e-mail HTML {figures['email_html_bytes'] / 1000:.1f} KB; "
                f"message {figures['message_bytes'] / 1000:.1f} KB with {len(report.images)} inline images; "
                f"archive {len(report.html_archive.encode()) / 1000:.1f} KB"
            )
            for name, value in figures.items():
                if value >= GOALS[name]:
                    print(f"  MISSED: {name} = {value} (goal < {GOALS[name]})")
                    ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
