"""Escalation rules as tables: deadlines, running clocks, the reminder due at a moment, stats helpers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.escalations import (
    Attainment,
    Durations,
    TeamPolicy,
    by_customer,
    change,
    customer_key,
    deadlines,
    due_reminders,
    repeat_customers,
    running_clocks,
)
from bot.rules.sla import DEFAULT_POLICIES, BusinessHours
from bot.rules.team_config import EscalationPolicyConfig

NEW_YORK = TeamPolicy(DEFAULT_POLICIES, BusinessHours(), ZoneInfo("America/New_York"))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("priority", "opened", "expected"), [
    ("P1", "2026-01-17 03:00", ("2026-01-17 03:15", "2026-01-17 04:00", "2026-01-17 07:00")),
    ("P2", "2026-01-17 03:00", ("2026-01-17 03:30", "2026-01-17 05:00", "2026-01-17 11:00")),
    # Friday 16:00 in New York: one business hour on Friday, then Monday, Tuesday, Wednesday.
    ("P3", "2026-01-16 21:00", ("2026-01-19 17:00", "2026-01-19 21:00", "2026-01-21 21:00")),
    ("P4", "2026-01-16 21:00", ("2026-01-19 21:00", "2026-01-20 21:00", "2026-01-23 21:00")),
    # The Friday before the clocks go back (2026-11-01): Monday 16:00 is 21:00 UTC, not 20:00.
    ("P4", "2026-10-30 20:00", ("2026-11-02 21:00", "2026-11-03 21:00", "2026-11-06 21:00")),
])
def test_deadlines(priority: str, opened: str, expected: tuple[str, str, str]) -> None:
    due = deadlines(NEW_YORK, priority, utc(opened))
    assert (due.ack_due, due.update_due, due.resolve_due) == tuple(utc(t) for t in expected)


def test_the_update_cadence_counts_from_the_latest_update() -> None:
    due = deadlines(NEW_YORK, "P1", utc("2026-01-17 03:00"), last_update_at=utc("2026-01-17 03:40"))
    assert due.update_due == utc("2026-01-17 04:40")
    assert due.ack_due == utc("2026-01-17 03:15")  # the other clocks do not move


def test_team_overrides_and_business_hours_apply() -> None:
    team = TeamPolicy.from_config(EscalationPolicyConfig.model_validate({
        "priorities": {"P1": {"ack_minutes": 5}},
        "business_hours": {"start": "08:00", "end": "12:00", "days": ["mon", "tue"]}}), "Europe/London")
    assert deadlines(team, "P1", utc("2026-01-17 03:00")).ack_due == utc("2026-01-17 03:05")
    # P3 acknowledgement is 4 business hours: a whole Monday morning in London
    assert deadlines(team, "P3", utc("2026-01-16 15:00")).ack_due == utc("2026-01-19 12:00")
    assert team.policies == {**DEFAULT_POLICIES, "P1": replace(DEFAULT_POLICIES["P1"], ack=timedelta(minutes=5))}


OPENED = datetime(2026, 1, 17, 3, 0, tzinfo=UTC)


@dataclass
class State:
    status: str = "open"
    priority: str = "P1"
    priority_changed_at: datetime = OPENED
    last_update_at: datetime | None = None
    id: int = 7
    paused_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = ()


@pytest.mark.parametrize(("state", "clocks"), [
    (State(), ["ack", "update", "resolve"]),
    (State(status="acknowledged"), ["update", "resolve"]),
    (State(status="resolved"), []),
])
def test_which_clocks_run(state: State, clocks: list[str]) -> None:
    assert [clock.name for clock in running_clocks(state, NEW_YORK)] == clocks


@pytest.mark.parametrize(("minutes", "expected"), [
    (11, []),
    (12, [("ack", "warning")]),
    (15, [("ack", "breach")]),
    (44, [("ack", "breach")]),  # the same reminder: the claim keeps it single
    (45, [("ack", "repeat-1")]),
    (48, [("ack", "repeat-1"), ("update", "warning")]),
    (600, [("ack", "repeat-3"), ("update", "repeat-3"), ("resolve", "repeat-3")]),  # catch-up: the latest
])
def test_the_reminder_due_for_each_clock(minutes: int, expected: list[tuple[str, str]]) -> None:
    now = utc("2026-01-17 03:00") + timedelta(minutes=minutes)
    assert [(r.clock, r.stage) for r in due_reminders(State(), NEW_YORK, now)] == expected


def test_a_reminder_key_changes_when_the_clock_restarts() -> None:
    before = due_reminders(State(), NEW_YORK, utc("2026-01-17 03:12"))[0]
    restarted = due_reminders(State(priority_changed_at=utc("2026-01-17 03:10")), NEW_YORK,
                              utc("2026-01-17 03:22"))[0]
    assert before.stage == restarted.stage == "warning" and before.key != restarted.key


@pytest.mark.parametrize(("minutes", "median", "p90"), [
    ([], None, None),
    ([10], 10, 10),
    ([10, 20, 40, 5], 15, 34),
])
def test_durations(minutes: list[int], median: int | None, p90: int | None) -> None:
    found = Durations.of([timedelta(minutes=m) for m in minutes])
    assert found.median == (timedelta(minutes=median) if median is not None else None)
    assert found.p90 == (timedelta(minutes=p90) if p90 is not None else None)


@pytest.mark.parametrize(("met", "total", "percent"), [(0, 0, None), (3, 4, 75.0), (2, 3, 66.7)])
def test_attainment(met: int, total: int, percent: float | None) -> None:
    assert Attainment(met, total).percent == percent


@pytest.mark.parametrize(("now", "before", "expected"), [
    (5, 2, 150.0), (2, 2, 0.0), (1, 2, -50.0), (3, 0, None), (None, 2, None), (3, None, None)])
def test_week_over_week_change(now: float | None, before: float | None, expected: float | None) -> None:
    assert change(now, before) == expected


@pytest.mark.parametrize(("names", "expected"), [
    ({"ACME Corp": 2, "ACME Corp (account 4411)": 1}, {"ACME Corp": 3}),
    ({"acme corp": 1, "ACME  Corp": 1, "Acme Corp [EU]": 1}, {"acme corp": 3}),
    ({"Globex": 1, "Globex Industries": 1}, {"Globex": 1, "Globex Industries": 1}),  # different names stay apart
    ({"(internal)": 2}, {"(internal)": 2}),  # a name that is only a note is still a name
])
def test_customers_are_keyed_by_name_without_a_trailing_note(names: dict[str, int],
                                                               expected: dict[str, int]) -> None:
    merged = by_customer(names)
    assert sorted(merged.values()) == sorted(expected.values())
    assert {customer_key(name) for name in merged} == {customer_key(name) for name in expected}


def test_the_merged_customer_shows_the_name_most_often_typed() -> None:
    assert by_customer({"ACME Corp (account 4411)": 3, "ACME Corp": 1}) == {"ACME Corp (account 4411)": 4}
    assert repeat_customers(by_customer({"ACME Corp": 1, "ACME Corp (account 4411)": 1, "Hooli": 1})) == {
        "ACME Corp": 2}
