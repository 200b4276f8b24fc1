"""The 14-day trend chart: small multiples of the headline metrics, each with its target as a dashed line, and a
volume panel (tickets created and solved per day) under them, as a PNG readable at Slack's preview size
(1200 × 800 px). Rendering takes a while: jobs call it in a thread.

How it reads (issue 23): rates run from 0 to 100 %, times from 0; a value far above the rest (more than
`OUTLIER` times the next highest and the target) is drawn at the top edge with its value written beside it,
so it does not flatten the other days; a day without a value is a gap in the line, not a line across it;
the target is named in the panel's title, so no legend covers the data."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.rules.kpi import BY_KEY, HEADLINE, format_value
from bot.rules.team_config import KpiTargets
from handlers.kpi.report import Report
from handlers.kpi.views import short_day

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 1200, 800, 100
TITLES = {"first_response_median": "Median first response, min", "resolution_median": "Median resolution time, h",
          "csat": "CSAT, %", "fcr": "First-contact resolution, %"}
"""Each panel's title (no brackets: the unit follows a comma)."""
OUTLIER = 3.0
FEWEST_SLOTS = 7
"""Fewer days than this are centred in as many slots, so one day is not one bar as wide as the chart."""
LINE, TARGET, CREATED, SOLVED = "#1f6feb", "#d1242f", "#8c959f", "#2da44e"


def _axis_top(values: Sequence[float], target: float | None, percent: bool) -> tuple[float, list[int]]:
    """The y axis's top, and which values lie above it (outliers, drawn at the edge)."""
    if percent:
        return 105.0, []
    ranked = sorted(values, reverse=True)
    usual = max([*(ranked[1:2] or ranked[:1]), target or 0.0, 1.0])
    if ranked and len(ranked) > 2 and ranked[0] > OUTLIER * usual:
        top = usual * 1.35
        return top, [n for n, v in enumerate(values) if v > top]
    return max([*ranked[:1], target or 0.0, 1.0]) * 1.15, []


def _x_limits(count: int) -> tuple[float, float]:
    pad = max(0.0, (FEWEST_SLOTS - count) / 2)
    return -0.5 - pad, count - 0.5 + pad


def _panel(axes: Axes, key: str, values: Sequence[float | None], target: float | None, labels: Sequence[str]) -> None:
    metric = BY_KEY[key]
    percent = metric.unit == "percent"
    present = [v for v in values if v is not None]
    top, outliers = _axis_top(present, target, percent)
    drawn = [math.nan if v is None else min(v, top) for v in values]
    sign = "≤" if metric.better == "lower" else "≥"
    title = TITLES[key] + (f" · target {sign} {target:g} (dashed)" if target is not None else "")
    axes.set_title(title, fontsize=12)
    axes.set_ylim(0, top)
    axes.set_xlim(*_x_limits(len(labels)))
    axes.grid(alpha=0.3)
    if target is not None:
        axes.axhline(target, color=TARGET, linestyle="--", linewidth=1.5)
    if not present:
        axes.text(0.5, 0.5, "no data in these days", transform=axes.transAxes, ha="center", va="center",
                  color="#57606a")
        return
    axes.plot(range(len(drawn)), drawn, marker="o", linewidth=2, color=LINE)  # NaN: a gap for a missing day
    for n in outliers:
        value = values[n]
        axes.plot([n], [top], marker="^", markersize=10, color=TARGET, clip_on=False)
        axes.annotate(f"{format_value(metric, value)} (off the scale)", (n, top), xytext=(-6, -14),
                      textcoords="offset points", ha="right" if n > len(labels) / 2 else "left", fontsize=9,
                      color=TARGET)


def draw(days: Sequence[date], series: Mapping[str, Sequence[float | None]], targets: KpiTargets,
         title: str) -> Figure:
    """The chart as a matplotlib Figure. `series[metric]` holds one value (or None) per day of `days`, oldest
    first; `created` and `solved` make the volume panel."""
    # Imported here, when a chart is drawn: matplotlib and numpy are about 50 MB and a second of start-up
    # that `supportbot run` and every other `jobs run` would otherwise pay (`bench/footprint.py`).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=15)
    grid = figure.add_gridspec(3, 2, height_ratios=[3, 3, 2])
    labels = [f"{d.day} {d:%b}" for d in days]
    for index, key in enumerate(HEADLINE):
        axes = figure.add_subplot(grid[index // 2, index % 2])
        _panel(axes, key, series.get(key, [None] * len(days)), BY_KEY[key].target(targets), labels)
        axes.set_xticks(range(len(days)), [""] * len(days))
    volume = figure.add_subplot(grid[2, :])
    created = [v or 0 for v in series.get("created", [None] * len(days))]
    solved = [v or 0 for v in series.get("solved", [None] * len(days))]
    positions = range(len(days))
    volume.bar([p - 0.2 for p in positions], created, width=0.4, color=CREATED, label="created")
    volume.bar([p + 0.2 for p in positions], solved, width=0.4, color=SOLVED, label="solved")
    volume.set_title("Tickets per day", fontsize=12)
    volume.set_ylim(0, max([*created, *solved, 1]) * 1.2)
    volume.yaxis.set_major_locator(MaxNLocator(integer=True))  # tickets come whole
    volume.set_xlim(*_x_limits(len(days)))
    volume.set_xticks(range(len(days)), labels, fontsize=9)
    volume.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)  # outside the axes
    volume.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return figure


def render(days: Sequence[date], series: Mapping[str, Sequence[float | None]], targets: KpiTargets,
           title: str) -> bytes:
    out = io.BytesIO()
    draw(days, series, targets, title).savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def trend_title(report: Report) -> str:
    return f"{report.team.name} · last {len(report.history)} days to {short_day(report.last)}"


def render_trend(report: Report) -> bytes:
    """The chart of a daily report's history (its `history_days`, oldest first)."""
    days = [f.first for f in report.history]
    series = {key: [f.values.get(key) for f in report.history] for key in (*HEADLINE, "created", "solved")}
    return render(days, series, report.team.config.kpi_targets, trend_title(report))
