"""Every KPI definition against values worked out by hand (SQLite and PostgreSQL).

The team is in New York. Sunday 1 November 2026 is the day clocks go back: the local day runs from
04:00 UTC to 05:00 UTC the next day (25 hours).

| ticket | created (UTC) | first response | solved (UTC)       | replies | reopens | CSAT | notes                    |
|--------|---------------|----------------|--------------------|---------|---------|------|--------------------------|
| T1     | 11-01 03:30   | 04:10 (40 min) | 11-01 06:30 (3 h)  | 1       | 0       | good | Saturday 23:30 local     |
| T2     | 11-01 10:00   | 10:30 (30 min) | 11-01 14:00 (4 h)  | 1       | 0       | good |                          |
| T3     | 11-01 11:00   | 12:00 (60 min) | 11-02 04:30 (17.5) | 3       | 0       | bad  | solved 23:30 local       |
| T4     | 11-01 12:00   | 12:10 (10 min) | 11-02 06:00        | 1       | 1       | —    | solved the next local day|
| T5     | 11-02 04:59   | —              | —                  | —       | 0       | —    | 23:59 local; SLA breached|
| T6     | 10-20 12:00   | —              | —                  | —       | 0       | —    | old backlog              |
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import Supportbot
from bot.rules.kpi_days import span_bounds
from storage import kpi
from storage.standup_models import StandupEntry
from tests.conftest import TeamPeople
from tests.kpi_steps import add_escalation, add_tickets, tier1, utc

TZ = "America/New_York"
SAT, SUN, MON, TUE = date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)

TICKETS = [
    {"id": "T1", "created": "2026-11-01T03:30", "first_response": "2026-11-01T04:10", "solved": "2026-11-01T06:30",
     "agent_replies": 1, "csat_good": True},
    {"id": "T2", "created": "2026-11-01T10:00", "first_response": "2026-11-01T10:30", "solved": "2026-11-01T14:00",
     "agent_replies": 1, "csat_good": True},
    {"id": "T3", "created": "2026-11-01T11:00", "first_response": "2026-11-01T12:00", "solved": "2026-11-02T04:30",
     "agent_replies": 3, "csat_good": False},
    {"id": "T4", "created": "2026-11-01T12:00", "first_response": "2026-11-01T12:10", "solved": "2026-11-02T06:00",
     "agent_replies": 1, "reopens": 1},
    {"id": "T5", "created": "2026-11-02T04:59", "sla_breached": True},
    {"id": "T6", "created": "2026-10-20T12:00"},
]


@pytest.fixture
async def data(app: Supportbot, team: TeamPeople) -> int:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *TICKETS)
    # E1 acknowledged late, resolved in time; E2 acknowledged in time, its resolution due passed unresolved.
    await add_escalation(app, profile, opened="2026-11-01T10:00", ack_due="2026-11-01T10:15",
                         acknowledged="2026-11-01T10:30", resolve_due="2026-11-01T14:00", resolved="2026-11-01T13:00",
                         summary="Refunds stuck")
    await add_escalation(app, profile, opened="2026-11-01T12:00", ack_due="2026-11-01T12:15",
                         acknowledged="2026-11-01T12:05", resolve_due="2026-11-02T00:00", summary="Login <loop>")
    return profile.id


async def figures(app: Supportbot, team_id: int, first: date, last: date | None = None) -> kpi.Figures:
    async with app.services.db() as session:
        return await kpi.figures(session, team_id, first, last or first, TZ)


def test_the_day_clocks_go_back_is_25_hours() -> None:
    start, end = span_bounds(SUN, SUN, TZ)
    assert (start, end) == (utc("2026-11-01T04:00"), utc("2026-11-02T05:00"))


@pytest.mark.parametrize("metric, expected", [
    ("created", 4),                       # T2-T5 (T1 was created on Saturday, local time)
    ("solved", 3),                        # T1, T2, T3 (T4 was solved on Monday, local time)
    ("backlog", 3),                       # T4 (solved after midnight), T5, T6
    ("sla_breaches", 1),                  # T5
    ("first_response_mean", 100 / 3),     # (30 + 60 + 10) / 3
    ("first_response_median", 30),
    ("first_response_p90", 54),           # 30 + 0.8 × (60 - 30)
    ("resolution_median", 4),             # T1 3 h, T2 4 h, T3 17.5 h
    ("resolution_p90", 14.8),             # 4 + 0.8 × 13.5
    ("fcr", 200 / 3),                     # T1, T2 of T1-T3 (T3 took three replies)
    ("csat", 200 / 3),                    # good T1, T2 of rated T1-T3
    ("escalations_opened", 2),
    ("escalations_resolved", 1),
    ("escalations_open", 1),              # E2
    ("escalation_sla", 50),               # ack 1 of 2 met, resolution 1 of 2 met
])
async def test_each_definition_on_the_day_clocks_go_back(app: Supportbot, data: int, metric: str,
                                                         expected: float) -> None:
    found = (await figures(app, data, SUN)).values[metric]
    assert found == pytest.approx(expected)


async def test_samples_say_how_many_tickets_each_value_rests_on(app: Supportbot, data: int) -> None:
    found = await figures(app, data, SUN)
    assert found.samples["first_response_median"] == 3 and found.samples["csat"] == 3
    assert found.samples["resolution_median"] == 3 and found.samples["escalation_sla"] == 4


async def test_a_ticket_created_before_local_midnight_counts_on_the_day_before(app: Supportbot, data: int) -> None:
    saturday = await figures(app, data, SAT)
    assert saturday.values["created"] == 1 and saturday.values["first_response_median"] == pytest.approx(40)
    assert saturday.values["solved"] == 0 and saturday.values["backlog"] == 2  # T1 (solved Sunday), T6


async def test_a_reopened_ticket_solved_the_next_day_counts_then_and_is_no_first_contact_resolution(
        app: Supportbot, data: int) -> None:
    monday = await figures(app, data, MON)
    assert monday.values["solved"] == 1 and monday.values["fcr"] == 0
    assert monday.values["csat"] is None  # T4 was not rated
    assert monday.values["created"] == 0 and monday.values["backlog"] == 2  # T5, T6


async def test_an_empty_day_has_counts_and_no_averages(app: Supportbot, data: int) -> None:
    tuesday = await figures(app, data, TUE)
    assert tuesday.values["created"] == 0 and tuesday.values["solved"] == 0 and tuesday.values["backlog"] == 2
    for metric in ("first_response_mean", "first_response_median", "resolution_p90", "fcr", "csat",
                   "escalation_sla"):
        assert tuesday.values[metric] is None, metric
    assert tuesday.empty and not (await figures(app, data, SUN)).empty


async def test_a_span_of_days_is_one_window(app: Supportbot, data: int) -> None:
    weekend = await figures(app, data, SAT, MON)
    assert weekend.values["created"] == 5 and weekend.values["solved"] == 4
    assert weekend.values["first_response_median"] == pytest.approx(35)  # 10, 30, 40, 60


@pytest.mark.parametrize("metric, expected", [
    ("first_response_median", ["T3", "T2", "T4"]),   # slowest first response first
    ("resolution_p90", ["T3", "T2", "T1"]),
    ("csat", ["T3"]),                                  # the badly rated tickets
    ("fcr", ["T3"]),
    ("sla_breaches", ["T5"]),
    ("escalation_sla", ["ESC-1", "ESC-2"]),
    ("created", []),
])
async def test_contributors_behind_a_red_number(app: Supportbot, data: int, metric: str,
                                                expected: list[str]) -> None:
    async with app.services.db() as session:
        found = await kpi.contributors(session, data, metric, SUN, SUN, TZ)
    assert [c.ref for c in found] == expected


async def test_logged_figures_are_per_day_and_replaced_when_logged_again(app: Supportbot, data: int) -> None:
    async with app.services.db() as session:
        assert not await kpi.log_metric(session, data, "nps", SUN, 31, by="U0MANAGER", now=utc("2026-11-02T14:00"))
        assert await kpi.log_metric(session, data, "nps", SUN, 35, by="U0MANAGER", now=utc("2026-11-02T14:01"))
        await kpi.log_metric(session, data, "nps", MON, 45, by="U0MANAGER", now=utc("2026-11-02T14:02"))
        await session.commit()
    assert (await figures(app, data, SUN)).values["nps"] == 35
    assert (await figures(app, data, SUN, MON)).values["nps"] == 40
    assert not (await figures(app, data, MON)).empty and (await figures(app, data, TUE)).empty


async def test_team_health_comes_from_stand_ups_and_pulse(app: Supportbot, data: int) -> None:
    async with app.services.db() as session:
        for user, status in (("U0AGENT1", "answered"), ("U0AGENT2", "prompted"), ("U0MANAGER", "away")):
            session.add(StandupEntry(team_id=data, user_id=user, day=SUN, status=status))
        await session.commit()
    sunday = await figures(app, data, SUN)
    assert sunday.values["standup_participation"] == 50 and sunday.samples["standup_participation"] == 2
    assert sunday.values["pulse_score"] is None and sunday.values["enps"] is None  # no round met its threshold
    assert (await figures(app, data, MON)).values["standup_participation"] is None
