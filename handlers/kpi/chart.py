"""The 14-day trend chart: small multiples of the headline metrics, each with its target line, as a PNG
readable at Slack's preview size (1200 × 600 px). Rendering takes a while: jobs call it in a thread."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from bot.rules.kpi import BY_KEY, HEADLINE
from bot.rules.team_config import KpiTargets
from handlers.kpi.report import Report
from handlers.kpi.views import short_day

WIDTH, HEIGHT, DPI = 1200, 600, 100
UNITS = {"minutes": "min", "hours": "h", "percent": "%", "count": "", "score": "", "number": ""}


def render(days: Sequence[date], series: Mapping[str, Sequence[float | None]], targets: KpiTargets,
           title: str) -> bytes:
    """`series[metric]` holds one value (or None) per day of `days`, oldest first."""
    # Imported here, when a chart is drawn: matplotlib and numpy are about 50 MB and a second of start-up
    # that `supportbot run` and every other `jobs run` would otherwise pay (`bench/footprint.py`).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=15)
    labels = [f"{d.day} {d:%b}" for d in days]
    for index, key in enumerate(HEADLINE):
        metric = BY_KEY[key]
        axes = figure.add_subplot(2, 2, index + 1)
        values = series.get(key, [None] * len(days))
        points = [(n, v) for n, v in enumerate(values) if v is not None]
        if points:
            axes.plot([n for n, _ in points], [v for _, v in points], marker="o", linewidth=2, color="#1f6feb")
        target = metric.target(targets)
        if target is not None:
            axes.axhline(target, color="#d1242f", linestyle="--", linewidth=1.5, label=f"target {target:g}")
            axes.legend(loc="upper left", fontsize=9, frameon=False)
        axes.set_title(f"{metric.label} ({UNITS[metric.unit]})".replace(" ()", ""), fontsize=12)
        axes.set_xticks(range(len(days)), labels, fontsize=8, rotation=45)
        axes.set_xlim(-0.5, len(days) - 0.5)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def trend_title(report: Report) -> str:
    return f"{report.team.name} · last {len(report.history)} days to {short_day(report.last)}"


def render_trend(report: Report) -> bytes:
    """The chart of a daily report's history (its `history_days`, oldest first)."""
    days = [f.first for f in report.history]
    series = {key: [f.values.get(key) for f in report.history] for key in HEADLINE}
    return render(days, series, report.team.config.kpi_targets, trend_title(report))
