"""One home for each definition (issue 20, item 5): SLA attainment, stand-up participation and its streak, and
first-contact resolution, each a pure rule tested as a table here; then the readers that show them agree on
the same data: `/escalate stats` (`storage.escalations.stats`), the KPI series (`kpi.figures`: `/kpi`, the
App Home tiles), the digest's days (`kpi.daily_figures`) and the digest's contributors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import case, select

from bot.app import Supportbot
from bot.rules.first_contact import first_contact_resolved
from bot.rules.kpi_days import span_bounds
from bot.rules.participation import counts, streak
from bot.rules.sla_attainment import Attainment, SlaRecord, attainment, clock_result, paused_time, time_to_resolve
from storage import escalations, kpi, standups
from storage.kpi_models import Ticket
from storage.kpi_types import first_contact
from storage.models import Escalation
from storage.standup_models import StandupEntry
from tests.conftest import TeamPeople
from tests.kpi_steps import add_tickets, tier1


def at(hhmm: str, day: int = 1) -> datetime:
    """`10:15` on 1 November 2026 (or `day`), UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=UTC)


# --------------------------------------------------------------------------- SLA attainment, as a table

@pytest.mark.parametrize("due, done, until, paused_at, expected", [
    (at("10:15"), at("10:10"), at("23:59"), None, "met"),
    (at("10:15"), at("10:15"), at("23:59"), None, "met"),            # on the minute is on time
    (at("10:15"), at("10:30"), at("23:59"), None, "missed"),
    (at("10:15"), at("10:30"), at("10:20"), None, "missed"),         # stopped late, even after the window
    (at("10:15"), None, at("23:59"), None, "missed"),                # due passed, never stopped
    (at("10:15"), None, at("10:00"), None, None),                    # still running at the window's end
    (at("10:15"), None, at("10:15"), None, None),                    # due exactly at the end: not yet passed
    (at("14:00"), None, at("23:59"), at("12:00"), None),             # paused before its due time: not elapsed
    (at("14:00"), None, at("23:59"), at("15:00"), "missed"),         # paused once already overdue: missed
    (at("14:00"), None, at("13:00"), at("20:00"), None),             # paused after the window: running then
    (at("14:00"), None, at("16:00"), at("18:00"), "missed"),         # overdue at the end, paused later
])
def test_a_clock_is_met_missed_or_not_counted(due: datetime, done: datetime | None, until: datetime,
                                              paused_at: datetime | None, expected: str | None) -> None:
    assert clock_result(due, done, until, paused_at) == expected


def test_attainment_counts_both_clocks_of_every_escalation() -> None:
    records = [
        SlaRecord(at("10:15"), at("10:30"), at("14:00"), at("13:00")),            # ack missed, resolve met
        SlaRecord(at("12:15"), at("12:05"), at("23:00"), None),                   # ack met, resolve running
        SlaRecord(at("12:15"), None, at("13:00"), None, paused_at=at("12:30")),   # ack missed, resolve paused
        SlaRecord(at("12:15"), at("12:10"), at("13:00"), None),                   # ack met, resolve missed
    ]
    found = attainment(records, until=at("20:00"))
    assert found.ack == Attainment(2, 4) and found.resolve == Attainment(1, 2)
    assert found.both == Attainment(3, 6) and found.both.percent == 50.0
    assert Attainment(0, 0).percent is None


@pytest.mark.parametrize("pauses, paused_at, expected", [
    ((), None, timedelta(0)),
    (((at("11:00"), at("12:00")),), None, timedelta(hours=1)),
    (((at("09:00"), at("11:00")),), None, timedelta(hours=1)),              # only the part after opening
    (((at("11:00"), at("12:00")), (at("13:00"), at("13:30"))), None, timedelta(minutes=90)),
    ((), at("14:00"), timedelta(hours=2)),                                  # the pause going on, to the end
])
def test_paused_time_between_two_instants(pauses: tuple[tuple[datetime, datetime], ...], paused_at: datetime | None,
                                          expected: timedelta) -> None:
    assert paused_time(at("10:00"), at("16:00"), pauses, paused_at) == expected


def test_time_to_resolve_does_not_count_paused_time() -> None:
    assert time_to_resolve(at("10:00"), at("16:00"), ((at("11:00"), at("13:00")),)) == timedelta(hours=4)


# --------------------------------------------------------------------------- participation and streak

@pytest.mark.parametrize("statuses, expected", [
    ([], (0, 0)),
    (["answered", "answered", "prompted"], (2, 3)),       # a missed day counts as asked
    (["answered", "skipped"], (1, 2)),                    # a skip was asked, not answered
    (["answered", "away", "away"], (1, 1)),               # away days are not counted
])
def test_participation_is_answered_of_asked(statuses: list[str], expected: tuple[int, int]) -> None:
    assert counts(statuses) == expected


@pytest.mark.parametrize("newest_first, expected", [
    ([], 0),
    (["answered", "answered", "answered"], 3),
    (["prompted", "answered", "answered"], 0),            # missed the latest day
    (["answered", "skipped", "answered"], 2),             # a skip does not break it
    (["answered", "away", "answered", "prompted", "answered"], 2),   # nor an away day; a miss does
])
def test_the_streak_counts_answered_days_back_to_the_first_miss(newest_first: list[str], expected: int) -> None:
    assert streak(newest_first) == expected


# --------------------------------------------------------------------------- first-contact resolution

FCR_TABLE = [  # agent replies, reopens, resolved at first contact?
    (0, 0, True), (1, 0, True), (2, 0, False), (1, 1, False), (0, 2, False), (None, 0, None), (None, 3, None),
]


@pytest.mark.parametrize("replies, reopens, expected", FCR_TABLE)
def test_first_contact_resolution_of_a_solved_ticket(replies: int | None, reopens: int, expected: bool | None) -> None:
    assert first_contact_resolved(replies, reopens) is expected


async def test_fcr_in_sql_is_the_rule_row_by_row_and_its_contributors_are_its_misses(
        app: Supportbot, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *[
        {"id": f"F{n}", "created": "2026-11-02T15:00", "solved": "2026-11-02T16:00", "agent_replies": replies,
         "reopens": reopens} for n, (replies, reopens, _) in enumerate(FCR_TABLE)])
    async with app.services.db() as session:
        rows = (await session.execute(select(
            Ticket.external_id, case((Ticket.agent_replies.is_(None), None),
                                     (first_contact(Ticket.agent_replies, Ticket.reopens), True), else_=False))
            .where(Ticket.team_id == profile.id).order_by(Ticket.external_id))).all()
        figures = await kpi.figures(session, profile.id, date(2026, 11, 2), date(2026, 11, 2), "America/New_York")
        misses = await kpi.contributors(session, profile.id, "fcr", date(2026, 11, 2), date(2026, 11, 2),
                                        "America/New_York")
    assert [(ref, None if met is None else bool(met)) for ref, met in rows] == [
        (f"F{n}", expected) for n, (_, _, expected) in enumerate(FCR_TABLE)]
    assert figures.values["fcr"] == pytest.approx(100 * 2 / 5) and figures.samples["fcr"] == 5
    # Not resolved at first contact, with replies known (F5 and F6 are not counted, reopened or not).
    assert {c.ref for c in misses} <= {"F2", "F3", "F4"} and len(misses) == 3


# --------------------------------------------------------------------------- every reader agrees

TZ = "America/New_York"
MON = date(2026, 11, 2)  # 05:00 UTC Monday to 05:00 UTC Tuesday


async def _escalation(session: object, team: object, number: int, **times: datetime | None) -> None:
    opened = times.pop("opened")
    assert opened is not None
    session.add(Escalation(  # type: ignore[attr-defined]
        team_id=team.id, path_id=team.active_paths[0].id, submission_key=f"def-{number}",  # type: ignore[attr-defined]
        reporter="U0AGENT1", owner=None, customer=f"Customer {number}", summary="Checkout fails", details="",
        tickets=[], severity="high", impact="one", urgency="today", priority="P2",
        status="resolved" if times.get("resolved_at") else "acknowledged" if times.get("acknowledged_at") else "open",
        opened_at=opened, priority_changed_at=opened, last_update_at=None, update_due=times["resolve_due"],
        **times))


async def test_escalate_stats_the_kpi_series_and_the_digest_agree_on_sla_attainment(
        app: Supportbot, team: TeamPeople) -> None:
    profile = await tier1(app)
    rows = [  # Monday, UTC; the window ends 05:00 UTC Tuesday
        dict(opened=at("14:00", 2), ack_due=at("14:15", 2), acknowledged_at=at("14:30", 2),
             resolve_due=at("18:00", 2), resolved_at=at("17:00", 2)),                    # ack missed, resolve met
        dict(opened=at("15:00", 2), ack_due=at("15:15", 2), acknowledged_at=at("15:05", 2),
             resolve_due=at("19:00", 2)),                                                 # resolve missed
        dict(opened=at("16:00", 2), ack_due=at("16:15", 2), acknowledged_at=at("16:10", 2),
             resolve_due=at("20:00", 2), paused_at=at("17:00", 2)),                       # paused: not counted
        dict(opened=at("22:00", 2), ack_due=at("22:15", 2), acknowledged_at=at("22:05", 2),
             resolve_due=at("10:00", 3)),                                                 # running at the end
        dict(opened=at("12:00", 3), ack_due=at("12:15", 3), resolve_due=at("16:00", 3)),  # Tuesday: not in it
    ]
    async with app.services.db() as session:
        for number, row in enumerate(rows):
            await _escalation(session, profile, number, **row)
        await session.commit()
    start, end = span_bounds(MON, MON, TZ)
    async with app.services.db() as session:
        stats = await escalations.stats(session, [profile.id], start, end)
        series = await kpi.figures(session, profile.id, MON, MON, TZ)
        digest_days = await kpi.daily_figures(session, profile.id, [MON - timedelta(days=1), MON], TZ)
        behind = await kpi.contributors(session, profile.id, "escalation_sla", MON, MON, TZ)
    assert stats.ack_attainment == Attainment(3, 4) and stats.resolve_attainment == Attainment(1, 2)
    assert stats.attainment.percent == pytest.approx(100 * 4 / 6, abs=0.05)
    assert series.values["escalation_sla"] == pytest.approx(100 * 4 / 6)
    assert series.samples["escalation_sla"] == stats.attainment.total == 6
    assert digest_days[1].values["escalation_sla"] == series.values["escalation_sla"]
    assert series.values["escalations_opened"] == stats.opened == 4
    assert sorted(c.ref for c in behind) == ["ESC-1", "ESC-2"]  # the two that missed a clock


async def test_the_app_home_and_the_kpi_series_agree_on_participation(app: Supportbot, team: TeamPeople) -> None:
    profile = await tier1(app)
    days = [date(2026, 11, d) for d in (2, 3, 4, 5, 6)]
    statuses = {"U0AGENT1": ["answered", "answered", "skipped", "answered", "answered"],
                "U0AGENT2": ["answered", "prompted", "away", "answered", "prompted"]}
    async with app.services.db() as session:
        for user_id, each in statuses.items():
            session.add_all(StandupEntry(team_id=profile.id, user_id=user_id, day=day, status=status, answers=[])
                            for day, status in zip(days, each, strict=True))
        await session.commit()
    async with app.services.db() as session:
        members = await standups.participation(session, profile.id, days[0], days[-1])
        series = await kpi.figures(session, profile.id, days[0], days[-1], TZ)
    by_user = {p.user_id: p for p in members}
    assert (by_user["U0AGENT1"].answered, by_user["U0AGENT1"].expected, by_user["U0AGENT1"].streak) == (4, 5, 4)
    assert (by_user["U0AGENT2"].answered, by_user["U0AGENT2"].expected, by_user["U0AGENT2"].streak) == (2, 4, 0)
    assert series.values["standup_participation"] == pytest.approx(100 * 6 / 9)
    assert series.samples["standup_participation"] == sum(p.expected for p in members) == 9
