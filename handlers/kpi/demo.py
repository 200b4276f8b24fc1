"""What `supportbot demo` shows of the KPI feature: a team's digest as text, and its chart written to a file
(for `bot/demo.py`, which seeds the tickets)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi import HEADLINE
from handlers.blocks import as_text
from handlers.kpi import chart, report, views


async def show_digest(session: AsyncSession, team: TeamProfile, day: date, chart_file: Path) -> str:
    """The digest for `day` as a terminal shows it; its 14-day chart is written to `chart_file`."""
    built = await report.daily(session, team, day, title=views.day_title(day))
    if built.figures.empty:
        return views.no_data(team, built.title)
    days = [f.first for f in built.history]
    series = {m: [f.values.get(m) for f in built.history] for m in HEADLINE}
    png = await asyncio.to_thread(chart.render, days, series, team.config.kpi_targets,
                                  f"{team.name} · last {len(days)} days to {views.short_day(day)}")
    await asyncio.to_thread(chart_file.write_bytes, png)
    _, blocks = views.digest(built)
    return as_text(blocks)
