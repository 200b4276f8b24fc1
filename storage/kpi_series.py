"""KPI figures of several consecutive windows of local days at once (`storage.kpi.figures` for one window,
`storage.kpi.daily_figures` for the digest's 14 days): five statements in all, whatever the number of
windows (one for every ticket figure, one for every escalation figure, one each for stand-ups, pulse rounds
and logged figures), instead of some twenty per window.

Each query reads the whole stretch once and sorts its rows into the windows with a CASE over the windows'
UTC bounds (local days, DST-correct: `bot.rules.kpi_days.span_bounds`); the figures are the ones each
window's own queries would give, computed in SQL, except escalation SLA attainment: the escalation rows
come back one each (a team opens a handful a day) and `bot.rules.sla_attainment` decides, as it does for
`/escalate stats`. FCR and stand-up participation are counted in SQL with their definitions' own conditions
(`storage.kpi_types.first_contact`, `storage.standups.answered_and_asked`). A percentile takes the two
closest ranks of its window (ROW_NUMBER() OVER (PARTITION BY window ORDER BY value)), interpolated like
numpy's default. The statements are built once per number of windows, with bound parameters, and reused
(building them costs more than SQLite takes to answer them).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import first_contact as fcr
from bot.rules import participation
from bot.rules.kpi_days import span_bounds
from bot.rules.percentiles import percentile
from bot.rules.sla_attainment import SlaRecord, attainment
from storage import pulse
from storage.escalations import SLA_COLUMNS, sla_record
from storage.kpi_models import Ticket
from storage.kpi_types import Figures, first_contact, minutes_between
from storage.metric_models import ManualMetric
from storage.models import Escalation
from storage.pulse_models import PulseRound
from storage.standup_models import StandupEntry
from storage.standups import ASKED, answered_and_asked

Query = Select[*tuple[Any, ...]]
Window = tuple[date, date]
"""First and last local day, both included."""
BY_WINDOW = text("1")
"""GROUP BY the first column, the window: PostgreSQL would not match a repeated CASE of bound parameters."""
QUANTILES = (50, 90)


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


# --------------------------------------------------------------------------- statements, built once per size

def _time(name: str) -> BindParameter[datetime]:
    return bindparam(name, type_=Ticket.created_at.type)


def _day(name: str) -> BindParameter[date]:
    return bindparam(name, type_=Date())


def _window(column: Any, n: int) -> ColumnElement[int]:
    """Which of the n windows (ends :e0 … :e{n-1}) a time of the stretch falls in."""
    return case(*((column < _time(f"e{i}"), i) for i in range(n)), else_=n - 1)


def _window_end(column: Any, n: int) -> ColumnElement[datetime]:
    return case(*((column < _time(f"e{i}"), _time(f"e{i}")) for i in range(n)), else_=_time(f"e{n - 1}"))


def _day_window(column: Any, n: int) -> ColumnElement[int]:
    """Which window (last days :d0 … :d{n-1}) a local day falls in."""
    return case(*((column <= _day(f"d{i}"), i) for i in range(n)), else_=n - 1)


def _ranked(rows: Any, partition: Sequence[ColumnElement[Any]], count: Any) -> Any:
    """`rows` (columns w, v, …) with each v's rank (from 0) among its window's values, and how many values the
    window has. (The window and the value are computed once below, not again in each OVER; both OVERs are
    the same, so SQLite sorts once.)"""
    return select(*rows.c, (func.row_number().over(partition_by=list(partition), order_by=rows.c.v) - 1).label("rank"),
                  count.over(partition_by=list(partition), order_by=rows.c.v, rows=(None, None)).label("n")).subquery()


def _picks(v: Any, rank: Any, n: Any) -> list[ColumnElement[Any]]:
    """Per quantile: the values at the two closest ranks (`percentiles.percentile` interpolates)."""
    found: list[ColumnElement[Any]] = []
    for q in QUANTILES:
        lower = ((n - 1) * q).op("/")(100)  # integer division on both engines: floor((n - 1) q / 100)
        upper = case((lower + 1 < n, lower + 1), else_=n - 1)
        found += [func.max(case((and_(v.is_not(None), rank == lower), v))),
                  func.max(case((and_(v.is_not(None), rank == upper), v)))]
    return found


def _created(n: int) -> Query:
    """Per window of creation: created, SLA breaches, responded, mean first response, its percentile ranks."""
    response = minutes_between(Ticket.created_at, Ticket.first_response_at)
    base = select(_window(Ticket.created_at, n).label("w"), Ticket.sla_breached.label("breached"),
                  response.label("v")).where(
        Ticket.team_id == bindparam("team"), Ticket.created_at >= _time("start"), Ticket.created_at < _time("end"),
    ).subquery()
    rows = _ranked(base, [base.c.w, base.c.v.is_(None)], func.count(base.c.v))
    return select(rows.c.w, func.count(), func.sum(case((rows.c.breached.is_(True), 1), else_=0)),
                  func.count(rows.c.v), func.avg(rows.c.v), *_picks(rows.c.v, rows.c.rank, rows.c.n)
                  ).group_by(rows.c.w)


def _solved(n: int) -> Query:
    """Per window of solving: solved, FCR known and met, rated, good, resolution percentile ranks."""
    resolution = minutes_between(Ticket.created_at, Ticket.solved_at) / 60.0
    base = select(_window(Ticket.solved_at, n).label("w"), Ticket.agent_replies, Ticket.reopens, Ticket.csat_good,
                  resolution.label("v")).where(
        Ticket.team_id == bindparam("team"), Ticket.solved_at >= _time("start"), Ticket.solved_at < _time("end"),
    ).subquery()
    rows = _ranked(base, [base.c.w], func.count())
    return select(rows.c.w, func.count(), func.count(rows.c.agent_replies),
                  func.sum(case((first_contact(rows.c.agent_replies, rows.c.reopens), 1), else_=0)),
                  func.count(rows.c.csat_good), func.sum(case((rows.c.csat_good.is_(True), 1), else_=0)),
                  *_picks(rows.c.v, rows.c.rank, rows.c.n)).group_by(rows.c.w)


def _open_spans(opened: Any, closed: Any, team: Any, n: int, pad: int, *also: Any) -> Query:
    """Rows open at some window's end (opened before it, not closed by it), counted by (window opened in,
    window closed in): -1 when opened before the stretch, n when still open or closed after it. A row is
    open at the end of window i when it was opened in window i or before and closed after it. Rows of kind
    2, padded with `pad` NULLs."""
    start = case((opened < _time("start"), -1), *((opened < _time(f"e{i}"), i) for i in range(n)), else_=n - 1)
    end = case((closed.is_(None), n), *((closed < _time(f"e{i}"), i) for i in range(n)), else_=n)
    return select(literal_column("2"), start, end, func.count(), *[null()] * pad).where(
        team == bindparam("team"), opened < _time("end"), or_(closed.is_(None), closed >= _time("e0")), *also,
    ).group_by(text("2"), text("3"))


def _spans_into(counts: list[int], start: int, end: int, count: int) -> None:
    for i in range(max(start, 0), min(end, len(counts))):
        counts[i] += count


def _tickets_statement(n: int) -> Query:
    """Every ticket figure of the n windows in one statement (one round trip): rows of kind 0 are
    `_created`'s, 1 `_solved`'s, 2 `_open_spans`'s, padded to the same columns."""
    created, solved = _created(n).subquery(), _solved(n).subquery()
    nothing = null().cast(Integer)  # typed, or PostgreSQL reads two NULL columns as text
    first = select(literal_column("0"), created.c[0], nothing, *list(created.c)[1:5], nothing, *list(created.c)[5:])
    second = select(literal_column("1"), solved.c[0], null(), *list(solved.c)[1:])
    return cast(Query, union_all(first, second, _open_spans(Ticket.created_at, Ticket.solved_at, Ticket.team_id, n, 8)))


SEPARATE = Escalation.merged_into.is_(None)
"""A duplicate merged into another escalation is not counted on its own."""


def _escalations_statement(n: int) -> Query:
    """Every escalation figure of the n windows in one statement: kind 0, one row per escalation opened in the
    stretch, with its window and the columns SLA attainment reads (`storage.escalations.SLA_COLUMNS`: the rule
    `bot.rules.sla_attainment` decides, as for `/escalate stats`); kind 1, resolved per window; kind 2, the
    spans of those open at the windows' ends."""
    opened: Any = select(
        literal_column("0"), _window(Escalation.opened_at, n), null().cast(Integer), literal_column("1"),
        *SLA_COLUMNS,
    ).where(Escalation.team_id == bindparam("team"), Escalation.opened_at >= _time("start"),
            Escalation.opened_at < _time("end"), SEPARATE)
    pad = len(SLA_COLUMNS)
    resolved: Any = select(literal_column("1"), _window(Escalation.resolved_at, n), null(), func.count(),
                      *[null()] * pad).where(
        Escalation.team_id == bindparam("team"), Escalation.resolved_at >= _time("start"),
        Escalation.resolved_at < _time("end"), SEPARATE).group_by(text("2"))
    spans = _open_spans(Escalation.opened_at, Escalation.resolved_at, Escalation.team_id, n, pad, SEPARATE)
    return cast(Query, union_all(opened, resolved, spans))


def _standups(n: int) -> Query:
    """Per window: answered and expected stand-ups (as `storage.standups.participation` sums them)."""
    return select(_day_window(StandupEntry.day, n), *answered_and_asked()).where(
        StandupEntry.team_id == bindparam("team"), StandupEntry.day.between(_day("first"), _day(f"d{n - 1}")),
        StandupEntry.status.in_(ASKED)).group_by(BY_WINDOW)


def _manual(n: int) -> Query:
    return select(_day_window(ManualMetric.day, n), ManualMetric.metric, func.avg(ManualMetric.value),
                  func.count()).where(
        ManualMetric.team_id == bindparam("team"), ManualMetric.day >= _day("first"),
        ManualMetric.day <= _day(f"d{n - 1}")).group_by(BY_WINDOW, ManualMetric.metric).order_by(ManualMetric.metric)


_PULSE = select(PulseRound.closes_at).where(
    PulseRound.team_id == bindparam("team"), PulseRound.closes_at <= _time("end"),
    PulseRound.ballots >= PulseRound.min_responses).order_by(PulseRound.closes_at.desc())
_BUILT: dict[tuple[str, int], Query] = {}


def _statement(build: Callable[[int], Query], n: int) -> Query:
    key = (build.__name__, n)
    if key not in _BUILT:
        _BUILT[key] = build(n)
    return _BUILT[key]


# --------------------------------------------------------------------------- the figures

def _interpolated(count: int, picks: Sequence[Any]) -> list[float | None]:
    """Each quantile of a window's `count` values, from `_picks`'s pairs."""
    found: list[float | None] = []
    for n, q in enumerate(QUANTILES):
        low, high = picks[2 * n], picks[2 * n + 1]
        if not count or low is None or high is None:
            found.append(None)
            continue
        position = (count - 1) * q / 100
        found.append(percentile([float(low), float(high)], 100 * (position - math.floor(position))))
    return found


async def _tickets(session: AsyncSession, params: dict[str, Any], out: list[Figures]) -> None:
    n = len(out)
    created: dict[int, Sequence[Any]] = {}
    solved: dict[int, Sequence[Any]] = {}
    backlog = [0] * n
    for kind, w, later, *cells in (await session.execute(_statement(_tickets_statement, n), params)).all():
        if kind == 0:
            created[int(w)] = [*cells[:4], *cells[5:]]
        elif kind == 1:
            solved[int(w)] = cells
        else:  # the covering index (team_id, solved_at, created_at) answers these
            _spans_into(backlog, int(w), int(later), int(cells[0]))
    for i, figures in enumerate(out):
        made, breaches, responded, mean, *response_picks = created.get(i, (0, 0, 0, None, *[None] * 4))
        done, fcr_known, fcr_met, rated, good, *resolution_picks = solved.get(i, (0, 0, 0, 0, 0, *[None] * 4))
        made, responded, done, fcr_known, rated = int(made), int(responded), int(done), int(fcr_known), int(rated)
        response_median, response_p90 = _interpolated(responded, response_picks)
        resolution_median, resolution_p90 = _interpolated(done, resolution_picks)
        figures.values.update({
            "created": made, "solved": done, "backlog": backlog[i], "sla_breaches": int(breaches or 0),
            "first_response_mean": float(mean) if mean is not None else None,
            "first_response_median": response_median, "first_response_p90": response_p90,
            "resolution_median": resolution_median, "resolution_p90": resolution_p90,
            "fcr": fcr.percent(int(fcr_met or 0), fcr_known), "csat": _percent(int(good or 0), rated),
        })
        figures.samples.update({
            "created": made, "solved": done, "backlog": made, "sla_breaches": made, "first_response_mean": responded,
            "first_response_median": responded, "first_response_p90": responded, "resolution_median": done,
            "resolution_p90": done, "fcr": fcr_known, "csat": rated,
        })


async def _escalations(session: AsyncSession, params: dict[str, Any], ends: Sequence[datetime],
                       out: list[Figures]) -> None:
    n = len(out)
    opened: list[list[SlaRecord]] = [[] for _ in range(n)]
    resolved: dict[int, int] = {}
    still_open = [0] * n
    for kind, w, later, count, *cells in (await session.execute(_statement(_escalations_statement, n), params)).all():
        if kind == 0:
            opened[int(w)].append(sla_record(*cells))
        elif kind == 1:
            resolved[int(w)] = int(count)
        else:
            _spans_into(still_open, int(w), int(later), int(count))
    for i, figures in enumerate(out):
        met = attainment(opened[i], ends[i]).both
        still = still_open[i]
        figures.values.update({"escalations_opened": len(opened[i]), "escalations_resolved": resolved.get(i, 0),
                               "escalations_open": still, "escalation_sla": _percent(met.met, met.total)})
        figures.samples.update({"escalations_opened": len(opened[i]), "escalations_resolved": resolved.get(i, 0),
                                "escalations_open": still, "escalation_sla": met.total})


async def _team_health(session: AsyncSession, team_id: int, params: dict[str, Any], ends: Sequence[datetime],
                       out: list[Figures]) -> None:
    """Stand-up participation in each window; the latest pulse round closed by each window's end that met
    the anonymity threshold (`storage.pulse.latest_result`, asked once per round found)."""
    standups = {int(w): (int(done or 0), int(total))
                for w, done, total in (await session.execute(_statement(_standups, len(out)), params)).all()}
    closings = (await session.scalars(_PULSE, params)).all()
    results: dict[datetime, pulse.PulseScore | None] = {}
    for i, figures in enumerate(out):
        closing = next((c for c in closings if c <= ends[i]), None)
        if closing is not None and closing not in results:
            results[closing] = await pulse.latest_result(session, team_id, closing)
        latest = results[closing] if closing is not None else None
        answered, expected = standups.get(i, (0, 0))
        figures.values.update({"standup_participation": participation.percent(answered, expected),
                               "pulse_score": latest.score if latest else None,
                               "enps": float(latest.enps) if latest and latest.enps is not None else None})
        respondents = latest.respondents if latest else 0
        figures.samples.update({"standup_participation": expected, "pulse_score": respondents,
                                "enps": respondents})


async def series(session: AsyncSession, team_id: int, windows: Sequence[Window], timezone: str) -> list[Figures]:
    """Every metric in each window (consecutive, oldest first), in the same order."""
    if not windows:
        return []
    bounds = [span_bounds(first, last, timezone) for first, last in windows]
    if any(end != start for (_, end), (start, _) in itertools.pairwise(bounds)):
        raise ValueError("the windows must follow one another")
    params: dict[str, Any] = {"team": team_id, "start": bounds[0][0], "end": bounds[-1][1], "first": windows[0][0]}
    for i, ((_, last), (_, end)) in enumerate(zip(windows, bounds, strict=True)):
        params[f"e{i}"], params[f"d{i}"] = end, last
    out = [Figures(first, last) for first, last in windows]
    await _tickets(session, params, out)
    await _escalations(session, params, [end for _, end in bounds], out)
    await _team_health(session, team_id, params, [end for _, end in bounds], out)
    for w, metric, value, count in (await session.execute(_statement(_manual, len(out)), params)).all():
        out[w].values[str(metric)] = float(value)
        out[w].samples[str(metric)] = int(count)
    return out
