"""KPI figures per team per local day (or span of days), computed in SQL; the tickets and escalations behind
a red number; manual metrics, alert states and baselines. (Targets are team settings: `storage.teams.apply`.)

The figures themselves are `storage.kpi_series`: a few grouped, indexed queries per team for any number of
consecutive windows (tickets created in them: `ix_tickets_team_created`; solved in them:
`ix_tickets_team_solved`; unsolved at their ends: `ix_tickets_team_solved_created`, covering). Percentiles are
read from the two closest ranks (ROW_NUMBER() per window), interpolated like numpy's default, so both SQLite
and PostgreSQL answer them without loading the tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.kpi_days import span_bounds
from bot.rules.kpi_plan import Baseline
from storage import dialect, kpi_series
from storage.escalations import sla_of
from storage.kpi_models import Ticket
from storage.kpi_types import Figures, first_contact, minutes_between
from storage.metric_models import ManualMetric, MetricAlertState, MetricBaseline
from storage.models import Escalation

__all__ = ["CONTRIBUTORS", "Contributor", "Figures", "baselines", "contributors", "daily_figures", "figures",
           "log_metric", "minutes_between", "pin_baseline", "red_metrics", "set_red"]

CONTRIBUTORS = 3


async def figures(session: AsyncSession, team_id: int, first: date, last: date, timezone: str) -> Figures:
    """Every metric over the local days `first`..`last` (one day when they are equal)."""
    return (await kpi_series.series(session, team_id, [(first, last)], timezone))[0]


async def daily_figures(session: AsyncSession, team_id: int, days: Sequence[date], timezone: str) -> list[Figures]:
    """Every metric on each of the local days `days` (any order; the result is in the same order), with a
    few queries for all of them: the digest's day and the 13 before it."""
    ordered = sorted(set(days))
    if len(ordered) != len(days):
        raise ValueError("the days must differ")
    found: list[Figures] = []
    run: list[date] = []
    for day in ordered:  # each run of consecutive days is one stretch
        if run and (day - run[-1]).days != 1:
            found += await kpi_series.series(session, team_id, [(d, d) for d in run], timezone)
            run = []
        run.append(day)
    found += await kpi_series.series(session, team_id, [(d, d) for d in run], timezone)
    by_day = {f.first: f for f in found}
    return [by_day[day] for day in days]


# --------------------------------------------------------------------------- contributors

@dataclass(frozen=True)
class Contributor:
    """A ticket or escalation behind a red number: its reference, and its own value (minutes, hours)."""

    ref: str
    value: float | None = None
    note: str | None = None
    card: tuple[str, str] | None = None
    """An escalation's card: the channel and ts of its first post."""
    url: str | None = None
    """Where it is read: the ticket in its helpdesk, the escalation's card (set by the report, not here)."""
    escalation: str | None = None
    """The open escalation this ticket is linked to (`ESC-4`; set by the report, not here)."""


async def contributors(session: AsyncSession, team_id: int, metric: str, first: date, last: date,
                       timezone: str) -> list[Contributor]:
    """Up to three tickets or escalations that pulled `metric` the wrong way over the span."""
    start, end = span_bounds(first, last, timezone)
    created_in = (Ticket.team_id == team_id, Ticket.created_at >= start, Ticket.created_at < end)
    solved_in = (Ticket.team_id == team_id, Ticket.solved_at >= start, Ticket.solved_at < end)
    query: Any
    slowest: ColumnElement[float]
    if metric.startswith("first_response"):
        slowest = minutes_between(Ticket.created_at, Ticket.first_response_at)
        query = select(Ticket.external_id, slowest).where(*created_in, Ticket.first_response_at.is_not(None)) \
            .order_by(slowest.desc(), Ticket.external_id)
    elif metric.startswith("resolution"):
        slowest = minutes_between(Ticket.created_at, Ticket.solved_at) / 60.0
        query = select(Ticket.external_id, slowest).where(*solved_in).order_by(slowest.desc(), Ticket.external_id)
    elif metric == "csat":
        query = select(Ticket.external_id, null()).where(*solved_in, Ticket.csat_good.is_(False)) \
            .order_by(Ticket.solved_at, Ticket.external_id)
    elif metric == "fcr":
        query = select(Ticket.external_id, Ticket.reopens).where(  # known, and not resolved at first contact
            *solved_in, Ticket.agent_replies.is_not(None), ~first_contact(Ticket.agent_replies, Ticket.reopens)) \
            .order_by(Ticket.reopens.desc(), Ticket.agent_replies.desc(), Ticket.external_id)
    elif metric == "sla_breaches":
        query = select(Ticket.external_id, null()).where(*created_in, Ticket.sla_breached.is_(True)) \
            .order_by(Ticket.created_at, Ticket.external_id)
    elif metric == "escalation_sla":
        return await _breached_escalations(session, team_id, start, end)
    else:
        return []
    rows = (await session.execute(query.limit(CONTRIBUTORS))).all()
    return [Contributor(str(ref), float(value) if value is not None else None) for ref, value in rows]


async def _breached_escalations(session: AsyncSession, team_id: int, start: datetime,
                                end: datetime) -> list[Contributor]:
    """The escalations opened in the span that missed an SLA (`bot.rules.sla_attainment`, as the figure counts
    them), most urgent first."""
    opened = await session.scalars(
        select(Escalation).where(Escalation.team_id == team_id, Escalation.opened_at >= start,
                                 Escalation.opened_at < end, Escalation.merged_into.is_(None))
        .order_by(Escalation.priority, Escalation.opened_at))
    found = [e for e in opened.all() if sla_of(e).missed(end)]
    return [Contributor(e.ref, None, e.summary, (e.posts[0].channel, e.posts[0].ts) if e.posts else None)
            for e in found[:CONTRIBUTORS]]


# --------------------------------------------------------------------------- manual metrics, alerts, baselines

async def log_metric(session: AsyncSession, team_id: int, metric: str, day: date, value: float, *,
                     by: str, now: datetime) -> bool:
    """Store a logged figure (not committed); True when it replaced one already logged for that day."""
    replaced = await dialect.put(session, ManualMetric, {
        "team_id": team_id, "metric": metric, "day": day, "value": value, "logged_by": by, "logged_at": now},
        ("team_id", "metric", "day"))
    return replaced


async def red_metrics(session: AsyncSession, team_id: int) -> set[str]:
    """The team's metrics whose last announced state is red."""
    rows = await session.scalars(select(MetricAlertState.metric).where(
        MetricAlertState.team_id == team_id, MetricAlertState.red.is_(True)))
    return set(rows.all())


async def set_red(session: AsyncSession, team_id: int, metric: str, red: bool, day: date) -> None:
    """Note the metric's announced state (not committed: the alert is written with it): one upsert, so replicas
    racing the first alert both succeed."""
    await dialect.upsert(session, MetricAlertState, {"team_id": team_id, "metric": metric, "red": red, "day": day},
                         ("team_id", "metric"))


async def pin_baseline(session: AsyncSession, team_id: int, baseline: Baseline, *, by: str, now: datetime) -> None:
    """Start (or restart) the metric's 30-day plan (not committed)."""
    await dialect.upsert(session, MetricBaseline, {
        "team_id": team_id, "metric": baseline.metric, "value": baseline.value, "pinned_on": baseline.pinned_on,
        "pinned_by": by, "pinned_at": now}, ("team_id", "metric"))


async def baselines(session: AsyncSession, team_id: int) -> list[Baseline]:
    rows = await session.scalars(select(MetricBaseline).where(MetricBaseline.team_id == team_id)
                                 .order_by(MetricBaseline.metric))
    return [Baseline(row.metric, row.value, row.pinned_on) for row in rows.all()]

