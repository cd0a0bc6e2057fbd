"""Charts: small PNGs, and Chinese labels drawn with real CJK glyphs rather than empty boxes."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy
import pytest
from matplotlib.figure import Figure
from PIL import Image, ImageChops

from reports import charts
from reports.model import ChartSpec

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SPEC = ChartSpec(
    "B0OWN00001",
    "price",
    tuple((T - timedelta(days=29 - i), Decimal("19.99") - Decimal(i % 7) / 10) for i in range(30)),
    "USD",
)
TITLE_BAND = (0, 0, charts.WIDTH_PX, 24)  # where the title is drawn (top left)


def png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG"
    return img.convert("L")


def ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Dark pixels in a region."""
    return int((numpy.asarray(img.crop(box)) < 128).sum())


def test_charts_are_small_pngs_with_gaps_for_missing_values():
    points = list(SPEC.points)
    points[10] = (points[10][0], None)  # not shown that day: a gap, not a zero
    data = charts.render_chart(
        ChartSpec("B0OWN00001", "price", tuple(points), "USD"), title="Price", ylabel="USD"
    )
    assert len(data) < 30_000
    img = png(data)
    assert img.size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    rank = charts.render_chart(ChartSpec("B0OWN00001", "rank", SPEC.points), title="Rank")
    assert rank != charts.render_chart(
        ChartSpec("B0OWN00001", "rating", SPEC.points), title="Rank"
    )  # flipped


def test_the_cjk_font_is_noto_sans_cjk():
    found = charts.cjk_font()
    assert found is not None, "apt-get install fonts-noto-cjk"
    family, path = found
    assert family.startswith("Noto Sans CJK") and Path(path).exists()


def test_chinese_labels_are_real_glyphs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = png(charts.render_chart(SPEC, title="价格 — 蓝牙耳机", ylabel="美元"))
        b = png(charts.render_chart(SPEC, title="排名 — 无线充电", ylabel="美元"))
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    assert ink(a, TITLE_BAND) > 150
    # Missing glyphs would all be the same empty box: two different titles of the same length would
    # draw the same pixels. Real glyphs differ.
    diff = numpy.asarray(ImageChops.difference(a.crop(TITLE_BAND), b.crop(TITLE_BAND)))
    assert int((diff > 64).sum()) > 100


def test_without_a_cjk_font_the_check_above_would_fail():
    """The control: DejaVu Sans alone cannot draw Chinese, and matplotlib says so."""
    fig = Figure(figsize=(2, 1))
    fig.text(0, 0.5, "价格", family=["DejaVu Sans"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("missing from" in str(w.message) for w in caught)


def test_missing_font_error_names_the_package(monkeypatch):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)  # a machine without fonts-noto-cjk
    with pytest.raises(charts.MissingFontError, match="apt-get install fonts-noto-cjk"):
        charts.font_families(need_cjk=True)
    assert charts.font_families(need_cjk=False) == ["DejaVu Sans"]  # English charts still work


def _tick_labels(spec: ChartSpec) -> list[str]:
    fig = charts.draw_chart(spec, title="Price")
    fig.canvas.draw()
    return [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]


@pytest.mark.parametrize("step", [timedelta(milliseconds=200), timedelta(seconds=5), timedelta(minutes=20),
                                  timedelta(days=1)])
def test_time_axis_ticks_are_distinct_whatever_the_span(step):
    # Runs seconds apart (the demo) or hours apart (intraday checks) used to label every tick one date.
    spec = ChartSpec("B0OWN00001", "price", tuple((T + i * step, Decimal(20 + i)) for i in range(6)), "USD")
    labels = _tick_labels(spec)
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    assert all((":" in label) == (step < timedelta(days=1)) for label in labels), labels


@pytest.mark.parametrize("days", [2, 3, 4, 5])
def test_a_few_days_of_history_label_every_tick_with_its_date(days):
    # A daily crawl's first week: ticks 12 or 24 hours apart once read "00:00 12:00 00:00 12:00", and a 4-day
    # span fell back to nine crowded ticks with a matplotlib warning on every report.
    spec = ChartSpec("B0OWN00001", "price", tuple((T + i * timedelta(days=1), Decimal(20 + i)) for i in range(days)),
                     "USD")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = _tick_labels(spec)
    assert 2 <= len(labels) <= 7 and len(set(labels)) == len(labels), labels
    assert all(label[:2].isdigit() and label[2] == "-" for label in labels), labels  # each starts with its date


def test_histories_over_a_year_name_the_year():
    spec = ChartSpec("B0OWN00001", "price", tuple((T + i * timedelta(weeks=2), Decimal(20 + i)) for i in range(45)),
                     "USD")
    labels = _tick_labels(spec)
    assert len(set(labels)) == len(labels) and all(label.startswith("20") for label in labels), labels


@pytest.mark.parametrize("step", [timedelta(milliseconds=ms) for ms in
                                  (50, 500, 1500, 20_000, 60_000, 600_000, 3_600_000, 10_800_000, 86_400_000)])
@pytest.mark.parametrize("count", [2, 5, 8, 14, 31])
def test_every_history_gets_two_to_eight_distinct_ticks(step, count):
    # Runs from a fraction of a second to a day apart, two to thirty-one of them: some spans got a single
    # labelled tick, others nine crowded ones and a matplotlib warning.
    start = T + timedelta(milliseconds=700)
    spec = ChartSpec("B0OWN00001", "price", tuple((start + i * step, Decimal(20 + i)) for i in range(count)), "USD")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = _tick_labels(spec)
    assert 2 <= len(labels) <= 8 and len(set(labels)) == len(labels), labels


def test_an_empty_series_still_draws():
    # the tick formatter's span of the history must not assume a point (max() of nothing raised)
    fig = charts.draw_chart(ChartSpec("B0OWN00001", "price", (), "USD"), title="Price")
    fig.canvas.draw()
    assert fig.axes[0].get_title(loc="left") == "Price"
