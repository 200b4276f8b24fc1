"""KPI figures per team per local day (or span of days), computed in SQL; the tickets and escalations behind
a red number; manual metrics, alert states and baselines. (Targets are team settings: `storage.teams.apply`.)

Every aggregate is one indexed query on one team's window: tickets created in it (`ix_tickets_team_created`),
solved in it (`ix_tickets_team_solved`), unsolved at its end (`ix_tickets_team_solved_created`, covering). Percentiles
are read with ORDER BY … OFFSET (the two closest ranks, interpolated like numpy's default), so both
SQLite and PostgreSQL answer them without loading a day's tickets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.rules.kpi import BY_KEY
from bot.rules.kpi_days import span_bounds
from bot.rules.kpi_plan import Baseline
from bot.rules.percentiles import percentile
from storage import escalations, pulse, standups
from storage.kpi_models import Ticket
from storage.metric_models import ManualMetric, MetricAlertState, MetricBaseline
from storage.models import Escalation

CONTRIBUTORS = 3


class minutes_between(FunctionElement[float]):
    """Minutes from the first timestamp to the second, in SQL on either engine."""

    type = Float()
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"((julianday({compiler.process(second, **kw)}) - julianday({compiler.process(first, **kw)})) * 1440.0)"


@compiles(minutes_between, "postgresql")
def _minutes_postgres(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(second, **kw)} - {compiler.process(first, **kw)})) / 60.0)"


@dataclass(frozen=True)
class Figures:
    """Every metric's value over a span of local days, and how many tickets (ratings, escalations) each
    value rests on."""

    first: date
    last: date
    values: dict[str, float | None] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No ticket or escalation activity and no logged figure in the span."""
        activity = ("created", "solved", "escalations_opened", "escalations_resolved")
        logged = any(n for key, n in self.samples.items() if key not in BY_KEY)
        return not logged and not any(self.values.get(key) for key in activity)


async def _ranked(session: AsyncSession, expression: ColumnElement[float], where: Sequence[ColumnElement[bool]],
                  count: int, q: float) -> float | None:
    """The q-th percentile of `expression` over `count` rows, from the two closest ranks."""
    if count == 0:
        return None
    position = (count - 1) * q / 100
    lower = math.floor(position)
    rows = [float(v) for v in (await session.scalars(
        select(expression).where(*where).order_by(expression).offset(lower).limit(2))).all()]
    if not rows:
        return None
    return percentile([rows[0], rows[-1]], 100 * (position - lower))


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


async def _tickets(session: AsyncSession, team_id: int, start: datetime, end: datetime, out: Figures) -> None:
    created_in = (Ticket.team_id == team_id, Ticket.created_at >= start, Ticket.created_at < end)
    solved_in = (Ticket.team_id == team_id, Ticket.solved_at >= start, Ticket.solved_at < end)
    first_response = minutes_between(Ticket.created_at, Ticket.first_response_at)
    resolution = minutes_between(Ticket.created_at, Ticket.solved_at) / 60.0

    created, breaches, responded, response_mean = (await session.execute(select(
        func.count(), func.sum(case((Ticket.sla_breached.is_(True), 1), else_=0)),
        func.count(Ticket.first_response_at), func.avg(first_response),
    ).where(*created_in))).one()
    solved, fcr_known, fcr_met, rated, good = (await session.execute(select(
        func.count(), func.count(Ticket.agent_replies),
        func.sum(case((and_(Ticket.agent_replies <= 1, Ticket.reopens == 0), 1), else_=0)),
        func.count(Ticket.csat_good), func.sum(case((Ticket.csat_good.is_(True), 1), else_=0)),
    ).where(*solved_in))).one()
    unsolved = await session.scalar(select(func.count()).where(
        Ticket.team_id == team_id, Ticket.solved_at.is_(None), Ticket.created_at < end))
    solved_later = await session.scalar(select(func.count()).where(
        Ticket.team_id == team_id, Ticket.solved_at >= end, Ticket.created_at < end))

    responded, solved, created = int(responded or 0), int(solved or 0), int(created or 0)
    with_response = (*created_in, Ticket.first_response_at.is_not(None))
    out.values.update({
        "created": created, "solved": solved, "backlog": int(unsolved or 0) + int(solved_later or 0),
        "sla_breaches": int(breaches or 0),
        "first_response_mean": float(response_mean) if response_mean is not None else None,
        "first_response_median": await _ranked(session, first_response, with_response, responded, 50),
        "first_response_p90": await _ranked(session, first_response, with_response, responded, 90),
        "resolution_median": await _ranked(session, resolution, solved_in, solved, 50),
        "resolution_p90": await _ranked(session, resolution, solved_in, solved, 90),
        "fcr": _percent(int(fcr_met or 0), int(fcr_known or 0)),
        "csat": _percent(int(good or 0), int(rated or 0)),
    })
    out.samples.update({
        "created": created, "solved": solved, "backlog": created, "sla_breaches": created,
        "first_response_mean": responded, "first_response_median": responded, "first_response_p90": responded,
        "resolution_median": solved, "resolution_p90": solved, "fcr": int(fcr_known or 0), "csat": int(rated or 0),
    })


async def _escalations(session: AsyncSession, team_id: int, start: datetime, end: datetime, out: Figures) -> None:
    stats = await escalations.stats(session, [team_id], start, end)  # attainment as `/escalate stats` counts it
    met = stats.ack_attainment.met + stats.resolve_attainment.met
    due = stats.ack_attainment.total + stats.resolve_attainment.total
    still_open = await session.scalar(select(func.count()).where(
        Escalation.team_id == team_id, Escalation.opened_at < end,
        or_(Escalation.resolved_at.is_(None), Escalation.resolved_at >= end)))
    out.values.update({"escalations_opened": stats.opened, "escalations_resolved": stats.resolved,
                       "escalations_open": int(still_open or 0), "escalation_sla": _percent(met, due)})
    out.samples.update({"escalations_opened": stats.opened, "escalations_resolved": stats.resolved,
                        "escalations_open": int(still_open or 0), "escalation_sla": due})


async def _manual(session: AsyncSession, team_id: int, first: date, last: date, out: Figures) -> None:
    rows = await session.execute(
        select(ManualMetric.metric, func.avg(ManualMetric.value), func.count())
        .where(ManualMetric.team_id == team_id, ManualMetric.day >= first, ManualMetric.day <= last)
        .group_by(ManualMetric.metric).order_by(ManualMetric.metric))
    for metric, value, count in rows.all():
        out.values[str(metric)] = float(value)
        out.samples[str(metric)] = int(count)


async def _team_health(session: AsyncSession, team_id: int, first: date, last: date, end: datetime,
                       out: Figures) -> None:
    """Stand-up participation over the span; the latest pulse round closed by its end that met the
    anonymity threshold (`storage.pulse.latest_result` returns no other)."""
    people = await standups.participation(session, team_id, first, last)
    answered, expected = sum(p.answered for p in people), sum(p.expected for p in people)
    latest = await pulse.latest_result(session, team_id, end)
    out.values.update({"standup_participation": _percent(answered, expected),
                       "pulse_score": latest.score if latest else None,
                       "enps": float(latest.enps) if latest and latest.enps is not None else None})
    respondents = latest.respondents if latest else 0
    out.samples.update({"standup_participation": expected, "pulse_score": respondents, "enps": respondents})


async def figures(session: AsyncSession, team_id: int, first: date, last: date, timezone: str) -> Figures:
    """Every metric over the local days `first`..`last` (one day when they are equal)."""
    start, end = span_bounds(first, last, timezone)
    out = Figures(first, last)
    await _tickets(session, team_id, start, end, out)
    await _escalations(session, team_id, start, end, out)
    await _team_health(session, team_id, first, last, end, out)
    await _manual(session, team_id, first, last, out)
    return out


# --------------------------------------------------------------------------- contributors

@dataclass(frozen=True)
class Contributor:
    """A ticket or escalation behind a red number: its reference, and its own value (minutes, hours)."""

    ref: str
    value: float | None = None
    note: str | None = None


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
        query = select(Ticket.external_id, Ticket.reopens).where(
            *solved_in, or_(Ticket.reopens > 0, Ticket.agent_replies > 1)) \
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
    late_ack = or_(Escalation.acknowledged_at > Escalation.ack_due,
                   and_(Escalation.acknowledged_at.is_(None), Escalation.ack_due < end))
    late_resolve = or_(Escalation.resolved_at > Escalation.resolve_due,
                       and_(Escalation.resolved_at.is_(None), Escalation.resolve_due < end))
    found = await session.scalars(
        select(Escalation).where(Escalation.team_id == team_id, Escalation.opened_at >= start,
                                 Escalation.opened_at < end, or_(late_ack, late_resolve))
        .order_by(Escalation.priority, Escalation.opened_at).limit(CONTRIBUTORS))
    return [Contributor(e.ref, None, e.summary) for e in found.all()]


# --------------------------------------------------------------------------- manual metrics, alerts, baselines

async def log_metric(session: AsyncSession, team_id: int, metric: str, day: date, value: float, *,
                     by: str, now: datetime) -> bool:
    """Store a logged figure; True when it replaced one already logged for that day."""
    existing = await session.scalar(select(ManualMetric).where(
        ManualMetric.team_id == team_id, ManualMetric.metric == metric, ManualMetric.day == day))
    if existing is None:
        session.add(ManualMetric(team_id=team_id, metric=metric, day=day, value=value, logged_by=by, logged_at=now))
    else:
        existing.value, existing.logged_by, existing.logged_at = value, by, now
    await session.commit()
    return existing is not None


async def red_metrics(session: AsyncSession, team_id: int) -> set[str]:
    """The team's metrics whose last announced state is red."""
    rows = await session.scalars(select(MetricAlertState.metric).where(
        MetricAlertState.team_id == team_id, MetricAlertState.red.is_(True)))
    return set(rows.all())


async def set_red(session: AsyncSession, team_id: int, metric: str, red: bool, day: date) -> None:
    state = await session.get(MetricAlertState, (team_id, metric))
    if state is None:
        session.add(MetricAlertState(team_id=team_id, metric=metric, red=red, day=day))
    else:
        state.red, state.day = red, day
    await session.commit()


async def pin_baseline(session: AsyncSession, team_id: int, baseline: Baseline, *, by: str, now: datetime) -> None:
    """Start (or restart) the metric's 30-day plan."""
    existing = await session.scalar(select(MetricBaseline).where(
        MetricBaseline.team_id == team_id, MetricBaseline.metric == baseline.metric))
    if existing is None:
        session.add(MetricBaseline(team_id=team_id, metric=baseline.metric, value=baseline.value,
                                   pinned_on=baseline.pinned_on, pinned_by=by, pinned_at=now))
    else:
        existing.value, existing.pinned_on, existing.pinned_by, existing.pinned_at = (
            baseline.value, baseline.pinned_on, by, now)
    await session.commit()


async def baselines(session: AsyncSession, team_id: int) -> list[Baseline]:
    rows = await session.scalars(select(MetricBaseline).where(MetricBaseline.team_id == team_id)
                                 .order_by(MetricBaseline.metric))
    return [Baseline(row.metric, row.value, row.pinned_on) for row in rows.all()]

