"""Small PNG line charts of a subject's history (price, rank, rating, buy-box share, keyword position).

matplotlib with the Agg backend (no display), a CJK-capable font so Chinese labels render as glyphs
rather than boxes, and a palette PNG so each chart stays well under ~30 KB.
"""

from __future__ import annotations

import io
import logging
import math
from datetime import timedelta
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # before pyplot: reports run on servers with no display

import matplotlib.dates as mdates
from matplotlib import font_manager
from matplotlib.figure import Figure
from PIL import Image

from reports.model import ChartSpec

log = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR")
WIDTH_PX, HEIGHT_PX, DPI = 560, 180, 100
COLOR = "#1f5fae"


class MissingFontError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str] | None:
    """(family, file) of an installed Noto Sans CJK font, or None."""
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family, installed[family]
    return None


def has_cjk(text: str) -> bool:
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef" for ch in text
    )


def font_families(need_cjk: bool) -> list[str]:
    """DejaVu Sans for Latin text with the CJK font as fallback; an error naming the fix when Chinese
    text must be drawn and no CJK font is installed."""
    found = cjk_font()
    if found is None:
        if need_cjk:
            raise MissingFontError(
                "Chinese chart labels need a CJK font and none is installed: "
                "run `apt-get install fonts-noto-cjk` (then delete matplotlib's font cache if it persists)"
            )
        return ["DejaVu Sans"]
    return ["DejaVu Sans", found[0]]


@lru_cache(maxsize=64)  # the same chart in the e-mail and the archive copy, or two languages
def render_chart(spec: ChartSpec, *, title: str, ylabel: str = "") -> bytes:
    """A PNG of the spec's points; `None` values are gaps, not zeros."""
    fig = draw_chart(spec, title=title, ylabel=ylabel)
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=DPI)
    return _palette_png(raw.getvalue())


def draw_chart(spec: ChartSpec, *, title: str, ylabel: str = "") -> Figure:
    families = font_families(has_cjk(title + ylabel))
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_subplot()
    times = [t for t, _ in spec.points]
    values = [float(v) if v is not None else float("nan") for _, v in spec.points]
    ax.plot(times, values, color=COLOR, linewidth=1.8, marker="o", markersize=2.5)  # type: ignore[arg-type]
    known = [(t, v) for t, v in zip(times, values, strict=True) if not math.isnan(v)]
    if known:
        ax.annotate(
            _short(known[-1][1]),
            known[-1],
            textcoords="offset points",
            xytext=(-2, 6),
            ha="right",
            fontsize=8,
            color=COLOR,
            family=families,
        )
    if spec.inverted:
        ax.invert_yaxis()
    ax.set_title(title, fontsize=10, loc="left", family=families)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8, family=families)
    locator = mdates.AutoDateLocator(maxticks=7)
    # More multiples per unit than matplotlib's: a span just past a unit's last multiple (4 days of hourly
    # ticks, 4 minutes of seconds) got its fallback (9-10 crowded ticks and a UserWarning on every report),
    # and a gap between two multiples left some spans with a single labelled tick.
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 8, 12, 24]
    locator.intervald[mdates.MINUTELY] = [1, 2, 5, 10, 15, 20, 30, 60]
    locator.intervald[mdates.SECONDLY] = [1, 2, 5, 10, 15, 20, 30, 60]
    ax.xaxis.set_major_locator(locator)
    span = max(times) - min(times) if times else timedelta(0)  # an empty series still draws, as before
    ax.xaxis.set_major_formatter(_tick_formatter(locator, span))
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    fig.tight_layout(pad=0.4)
    return fig


def _tick_formatter(locator: mdates.AutoDateLocator, span: timedelta) -> mdates.AutoDateFormatter:
    """Dates for a history of days, times when the ticks are hours or minutes apart (intraday checks,
    the demo's runs seconds apart), where a date alone would print the same label on every tick; hours
    carry their date when the history spans midnight ("00:00 12:00 00:00" said nothing). Numeric formats,
    so they read the same in every report language."""
    hours = "%m-%d %H:%M" if span >= timedelta(days=1) else "%H:%M"
    fmt = mdates.AutoDateFormatter(locator, defaultfmt="%m-%d")
    fmt.scaled = {365.0: "%Y-%m", 30.0: "%Y-%m", 1.0: "%m-%d", 1 / 24: hours, 1 / 1440: "%H:%M:%S",
                  # ticks under a second apart (the demo's runs): "%H:%M:%S" would repeat. The key sits between
                  # the locator's unit for seconds (1/86400) and for microseconds.
                  1 / 864_000: _fraction_of_second}
    return fmt


def _fraction_of_second(x: float, pos: int | None = None) -> str:
    at = mdates.num2date(x)
    return f"{at:%H:%M:%S}.{at.microsecond // 1000:03d}".rstrip("0").rstrip(".")


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _palette_png(data: bytes) -> bytes:
    """Charts use a handful of colours: a 64-colour palette PNG is a third of the RGBA size."""
    with Image.open(io.BytesIO(data)) as img:
        small = img.convert("RGB").quantize(colors=64)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    return out.getvalue()
