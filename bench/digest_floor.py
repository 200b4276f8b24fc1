"""The floor of `bench.digest_scale`: one hand-written SQL statement giving the ticket figures the KPI digest
shows for a team's local days (each day as [start, end) in UTC), on SQLite or PostgreSQL, and the check that
its numbers are supportbot's."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi_days import day_bounds

FIGURES = ("created", "solved", "backlog", "sla_breaches", "first_response_mean", "first_response_median",
           "first_response_p90", "resolution_median", "resolution_p90", "fcr", "csat")


def _stamp(value: Any) -> str | None:
    """How SQLAlchemy writes a datetime into SQLite."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def floor_sql(dialect: str, days: int) -> str:
    """One statement: the ticket figures of `days` local days ([:s<i>, :e<i>) in UTC) of team :team."""
    if dialect == "sqlite":
        bound = "{}"
        minutes = "((julianday({1}) - julianday({0})) * 1440.0)"
    else:
        bound = "CAST({} AS timestamptz)"
        minutes = "(EXTRACT(EPOCH FROM ({1} - {0})) / 60.0)"
    values = ", ".join(f"({i}, {bound.format(f':s{i}')}, {bound.format(f':e{i}')})" for i in range(days))
    fr = minutes.format("t.created_at", "t.first_response_at")
    res = minutes.format("t.created_at", "t.solved_at") + " / 60.0"

    def ranks(name: str, source: str, value: str) -> str:
        pos50, pos90 = "(n - 1) * 50 / 100.0", "(n - 1) * 90 / 100.0"
        lo50, lo90 = "((n - 1) * 50 / 100)", "((n - 1) * 90 / 100)"  # integer division on both engines

        def at(lower: str) -> str:
            return f"MAX(CASE WHEN rn = {lower} THEN {value} END)"

        def above(lower: str) -> str:
            return f"MAX(CASE WHEN rn = (CASE WHEN {lower} + 1 < n THEN {lower} + 1 ELSE n - 1 END) THEN {value} END)"

        return f"""{name} AS (
  SELECT idx,
         {at(lo50)} AS lo50, {above(lo50)} AS hi50, MAX({pos50} - {lo50}) AS f50,
         {at(lo90)} AS lo90, {above(lo90)} AS hi90, MAX({pos90} - {lo90}) AS f90
  FROM (SELECT idx, {value}, ROW_NUMBER() OVER (PARTITION BY idx ORDER BY {value}) - 1 AS rn,
               COUNT(*) OVER (PARTITION BY idx) AS n FROM {source} WHERE {value} IS NOT NULL) ranked
  GROUP BY idx)"""

    return f"""WITH days (idx, s, e) AS (VALUES {values}),
created AS (
  SELECT d.idx, t.sla_breached, {fr} AS fr
  FROM days d JOIN tickets t ON t.team_id = :team AND t.created_at >= d.s AND t.created_at < d.e),
solved AS (
  SELECT d.idx, t.agent_replies, t.reopens, t.csat_good, {res} AS res
  FROM days d JOIN tickets t ON t.team_id = :team AND t.solved_at >= d.s AND t.solved_at < d.e),
c AS (SELECT idx, COUNT(*) AS created, SUM(CASE WHEN sla_breached THEN 1 ELSE 0 END) AS breaches,
             AVG(fr) AS fr_mean FROM created GROUP BY idx),
s AS (SELECT idx, COUNT(*) AS solved, COUNT(agent_replies) AS fcr_known,
             SUM(CASE WHEN agent_replies <= 1 AND reopens = 0 THEN 1 ELSE 0 END) AS fcr_met,
             COUNT(csat_good) AS rated, SUM(CASE WHEN csat_good THEN 1 ELSE 0 END) AS good
      FROM solved GROUP BY idx),
{ranks("frp", "created", "fr")},
{ranks("rsp", "solved", "res")},
open_at_end AS (
  SELECT d.idx, (SELECT COUNT(*) FROM tickets t WHERE t.team_id = :team AND t.solved_at IS NULL
                   AND t.created_at < d.e)
              + (SELECT COUNT(*) FROM tickets t WHERE t.team_id = :team AND t.solved_at >= d.e
                   AND t.created_at < d.e) AS backlog
  FROM days d)
SELECT d.idx, COALESCE(c.created, 0), COALESCE(s.solved, 0), o.backlog, COALESCE(c.breaches, 0), c.fr_mean,
       frp.lo50, frp.hi50, frp.f50, frp.lo90, frp.hi90, frp.f90,
       rsp.lo50, rsp.hi50, rsp.f50, rsp.lo90, rsp.hi90, rsp.f90,
       s.fcr_met, s.fcr_known, s.good, s.rated
FROM days d JOIN open_at_end o ON o.idx = d.idx LEFT JOIN c ON c.idx = d.idx LEFT JOIN s ON s.idx = d.idx
LEFT JOIN frp ON frp.idx = d.idx LEFT JOIN rsp ON rsp.idx = d.idx
ORDER BY d.idx"""


def floor_params(dialect: str, team: TeamProfile, days: list[date]) -> dict[str, Any]:
    params: dict[str, Any] = {"team": team.id}
    for i, day in enumerate(days):
        start, end = day_bounds(day, team.timezone)
        params[f"s{i}"], params[f"e{i}"] = (_stamp(start), _stamp(end)) if dialect == "sqlite" else (start, end)
    return params


def _lerp(low: float | None, high: float | None, fraction: float | None) -> float | None:
    if low is None or high is None or fraction is None:
        return None
    return float(low) + (float(high) - float(low)) * float(fraction)


def _share(part: Any, whole: Any) -> float | None:
    return 100 * int(part or 0) / int(whole) if whole else None


async def floor(session: AsyncSession, statement: str, params: dict[str, Any]) -> list[dict[str, float | None]]:
    """The floor's figures, one dict per day, in the order of the days given."""
    rows = (await session.execute(text(statement), params)).all()
    out = []
    for row in rows:
        (_idx, created, solved, backlog, breaches, fr_mean, f_lo50, f_hi50, f_f50, f_lo90, f_hi90, f_f90,
         r_lo50, r_hi50, r_f50, r_lo90, r_hi90, r_f90, fcr_met, fcr_known, good, rated) = row
        out.append({
            "created": created, "solved": solved, "backlog": backlog, "sla_breaches": breaches,
            "first_response_mean": None if fr_mean is None else float(fr_mean),
            "first_response_median": _lerp(f_lo50, f_hi50, f_f50), "first_response_p90": _lerp(f_lo90, f_hi90, f_f90),
            "resolution_median": _lerp(r_lo50, r_hi50, r_f50), "resolution_p90": _lerp(r_lo90, r_hi90, r_f90),
            "fcr": _share(fcr_met, fcr_known), "csat": _share(good, rated),
        })
    return out


def same(app: float | None, hand: float | None) -> bool:
    if app is None or hand is None:
        return app is None and hand is None
    return math.isclose(float(app), float(hand), rel_tol=1e-9, abs_tol=1e-9)


