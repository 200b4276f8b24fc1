"""Scorecard storage: initiatives and each person's scores (decisions and arithmetic: `bot.rules.scorecard`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.team_config import CRITERIA
from storage import dialect, kpi_series
from storage.kpi_types import Figures
from storage.scorecard_models import Initiative, InitiativeScore

Scores = dict[str, dict[str, int]]
"""scorer -> criterion -> 1..5"""


async def propose(session: AsyncSession, team_id: int, *, title: str, description: str, link: str | None,
                  proposer: str, now: datetime, owner: str | None = None, target_date: date | None = None,
                  kpi: str | None = None) -> Initiative:
    initiative = Initiative(team_id=team_id, title=title, description=description, link=link, proposer=proposer,
                            status="open", created_at=now, owner=owner, target_date=target_date, kpi=kpi)
    session.add(initiative)
    await session.flush()
    return initiative


async def score(session: AsyncSession, initiative_id: int, user_id: str, scores: Mapping[str, int], *,
                now: datetime) -> bool:
    """Store (or replace) one person's scores (not committed); True when they had scored it before."""
    again = await dialect.put(session, InitiativeScore, {
        "initiative_id": initiative_id, "user_id": user_id, "updated_at": now,
        **{criterion: scores[criterion] for criterion in CRITERIA}}, ("initiative_id", "user_id"))
    return again


async def get(session: AsyncSession, initiative_id: int) -> Initiative | None:
    return await session.get(Initiative, initiative_id)


async def open_for_team(session: AsyncSession, team_id: int) -> list[tuple[Initiative, Scores]]:
    """The team's open initiatives with everyone's scores: two queries, whatever their number."""
    initiatives = list(await session.scalars(select(Initiative).where(
        Initiative.team_id == team_id, Initiative.status == "open").order_by(Initiative.id)))
    rows = await session.scalars(select(InitiativeScore).where(
        InitiativeScore.initiative_id.in_([i.id for i in initiatives])))
    scores: dict[int, Scores] = {}
    for row in rows:
        scores.setdefault(row.initiative_id, {})[row.user_id] = {c: int(getattr(row, c)) for c in CRITERIA}
    return [(i, scores.get(i.id, {})) for i in initiatives]


async def close(session: AsyncSession, initiative: Initiative, *, status: str, outcome: str, now: datetime) -> None:
    """Staged: the caller commits."""
    initiative.status, initiative.outcome, initiative.closed_at = status, outcome, now


async def track(session: AsyncSession, initiative: Initiative, *, owner: str | None, target_date: date | None,
                kpi: str | None) -> None:
    """Set (or clear) an initiative's owner, target date and KPI (staged: the caller commits)."""
    initiative.owner, initiative.target_date, initiative.kpi = owner, target_date, kpi


Window = tuple[date, date]


async def kpi_figures(session: AsyncSession, team_id: int, windows: Iterable[Window],
                      timezone: str) -> dict[Window, Figures]:
    """Every KPI over each of the windows of local days, computed in SQL by `storage.kpi_series`: one series
    (five statements) for each run of distinct windows that follow one another, whatever the initiatives."""
    runs: list[list[Window]] = []
    for window in sorted(set(windows)):
        if runs and runs[-1][-1][1] + timedelta(days=1) == window[0]:
            runs[-1].append(window)
        else:
            runs.append([window])
    found: dict[Window, Figures] = {}
    for run in runs:
        found.update(zip(run, await kpi_series.series(session, team_id, run, timezone), strict=True))
    return found
