"""Waiting on the customer and holidays, as tables (issue 22, items 3 and 4).

The worked example (London, UTC+0 in December, so local times are UTC): business hours 09:00–17:00 Monday to
Friday; the team's own holiday Thursday 24 December 2026; England's public holidays (`holidays_country: GB`)
Friday 25 December (Christmas Day) and Monday 28 December (Boxing Day, observed). A P3 escalation opened
Wednesday 23 December 10:00: acknowledgement 4, customer update every 8, resolution 24 business hours.

- Resolution without a pause: Wed 10–17 (7 h), Thu–Mon closed, Tue 29 (8 h, 15 h), Wed 30 (8 h, 23 h), Thu 31
  09:00 + 1 h = **Thu 31 10:00**. (Without the holidays: Wed 7, Thu 8, Fri 8, Mon 28 10:00.)
- Update without a pause: Wed 10–17 (7 h), Tue 29 09:00 + 1 h = **Tue 29 10:00**.
- Waiting on customer from Wed 23 15:00 to Tue 29 11:00 (5 days 20 hours on the wall clock) covers 4 business
  hours (Wed 15–17, Tue 09–11): resolution **Thu 31 14:00** (19 h left at the pause: Tue 11–17 6 h, Wed 8 h,
  Thu 09:00 + 5 h); update **Tue 29 14:00** (3 h left at the pause: Tue 11:00 + 3 h).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules import escalation_changes as changes
from bot.rules.escalation_changes import EscalationState
from bot.rules.escalations import TeamPolicy, deadlines, next_due, running_clocks
from bot.rules.sla import DEFAULT_POLICIES, BusinessHours, add_business_time, business_time_between, paused_due
from bot.rules.team_config import EscalationPolicyConfig, parse_teams

LONDON = ZoneInfo("Europe/London")
CHRISTMAS = BusinessHours(holidays=frozenset({date(2026, 12, 24)}), country="GB")
PLAIN = BusinessHours()
P3, P1 = DEFAULT_POLICIES["P3"], DEFAULT_POLICIES["P1"]
H = timedelta(hours=1)


def dec(day: int, hhmm: str = "10:00") -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 12, day, hours, minutes, tzinfo=UTC)


OPENED, PAUSED, RESUMED = dec(23), dec(23, "15:00"), dec(29, "11:00")


# --------------------------------------------------------------------------- holidays close business hours

@pytest.mark.parametrize("hours, day, is_open", [
    (PLAIN, date(2026, 12, 24), True),
    (CHRISTMAS, date(2026, 12, 24), False),       # the team's own holiday
    (CHRISTMAS, date(2026, 12, 25), False),       # Christmas Day (GB)
    (CHRISTMAS, date(2026, 12, 28), False),       # Boxing Day, observed (GB)
    (CHRISTMAS, date(2026, 12, 29), True),
    (CHRISTMAS, date(2026, 12, 26), False),       # a Saturday anyway
    (BusinessHours(country="US"), date(2026, 11, 26), False),   # Thanksgiving
    (BusinessHours(country="GB"), date(2026, 11, 26), True),
])
def test_holidays_close_the_business_day(hours: BusinessHours, day: date, is_open: bool) -> None:
    assert hours.is_open_on(day) is is_open


@pytest.mark.parametrize("hours, start, duration, expected", [
    (PLAIN, OPENED, 24 * H, dec(28)),                      # no holidays: Monday 28 10:00
    (CHRISTMAS, OPENED, 24 * H, dec(31)),                  # team holiday + two public holidays: Thursday 31
    (BusinessHours(country="GB"), OPENED, 24 * H, dec(30)),  # the public holidays only: Wednesday 30
    (CHRISTMAS, OPENED, 8 * H, dec(29)),                   # the update clock
    (CHRISTMAS, dec(24), H, dec(29, "10:00")),             # started on a holiday: runs from the next opening
])
def test_holidays_stop_business_hours_clocks(hours: BusinessHours, start: datetime, duration: timedelta,
                                             expected: datetime) -> None:
    assert add_business_time(start, duration, LONDON, hours) == expected
    assert business_time_between(start, expected, LONDON, hours) == duration


def test_an_unknown_country_is_refused_with_its_code() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        BusinessHours(country="XX")


def test_the_team_policy_takes_the_stand_up_holidays_and_the_country() -> None:
    config = parse_teams("teams:\n  - {key: t, name: T, members: [], managers: [], holidays_country: GB,\n"
                         "     timezone: Europe/London, standup: {holidays: [2026-12-24]}}\n").teams[0]
    policy = TeamPolicy.from_config(config.escalation_policy, config.timezone, holidays=config.standup.holidays,
                                    holidays_country=config.holidays_country)
    assert policy.hours == CHRISTMAS
    assert policy.due(OPENED, 24 * H, "P3") == dec(31)
    assert TeamPolicy.from_config(EscalationPolicyConfig(), "Europe/London").due(OPENED, 24 * H, "P3") == dec(28)


# --------------------------------------------------------------------------- pauses move due times

@pytest.mark.parametrize("policy, hours, start, duration, pauses, expected", [
    # the worked example: a pause over a holiday weekend moves the due times by 4 business hours
    (P3, CHRISTMAS, OPENED, 24 * H, [(PAUSED, RESUMED)], dec(31, "14:00")),
    (P3, CHRISTMAS, OPENED, 8 * H, [(PAUSED, RESUMED)], dec(29, "14:00")),
    # the same pause without the holidays: Wed 15–17, Thu, Fri, Mon, Tue 09–11 = 28 business hours
    (P3, PLAIN, OPENED, 24 * H, [(PAUSED, RESUMED)], add_business_time(dec(28), 28 * H, LONDON, PLAIN)),
    # a pause entirely outside business hours moves nothing
    (P3, CHRISTMAS, OPENED, 24 * H, [(dec(23, "18:00"), dec(29, "08:00"))], dec(31)),
    # 24/7 clocks move by the wall-clock time paused
    (P1, PLAIN, dec(23, "10:00"), 4 * H, [(dec(23, "11:00"), dec(23, "12:30"))], dec(23, "15:30")),
    # two pauses add up
    (P1, PLAIN, dec(23, "10:00"), 4 * H, [(dec(23, "11:00"), dec(23, "12:00")), (dec(23, "13:00"),
                                                                               dec(23, "13:30"))], dec(23, "15:30")),
    # a pause that began once the clock had run out moves nothing: the breach stands
    (P1, PLAIN, dec(23, "10:00"), 4 * H, [(dec(23, "14:30"), dec(23, "18:00"))], dec(23, "14:00")),
    # a pause that began before the clock started counts from its start (a priority change while paused)
    (P1, PLAIN, dec(23, "10:00"), 4 * H, [(dec(23, "09:00"), dec(23, "11:00"))], dec(23, "15:00")),
    # a pause that ended before the clock started moves nothing
    (P1, PLAIN, dec(23, "10:00"), 4 * H, [(dec(23, "08:00"), dec(23, "09:00"))], dec(23, "14:00")),
])
def test_a_pause_moves_the_due_time_by_the_time_it_took(policy: object, hours: BusinessHours, start: datetime,
                                                        duration: timedelta, pauses: list[tuple[datetime, datetime]],
                                                        expected: datetime) -> None:
    assert paused_due(start, duration, policy, LONDON, hours, pauses) == expected  # type: ignore[arg-type]


POLICY = TeamPolicy(policies=dict(DEFAULT_POLICIES), hours=CHRISTMAS, tz=LONDON)


def state(**fields: object) -> EscalationState:
    base: dict[str, object] = {"id": 1, "priority": "P3", "status": "acknowledged", "owner": "U1", "opened_at": OPENED,
                               "priority_changed_at": OPENED, "acknowledged_at": dec(23, "11:00")}
    return EscalationState(**{**base, **fields})  # type: ignore[arg-type]


def test_waiting_on_the_customer_stops_the_update_and_resolution_clocks_not_the_acknowledgement() -> None:
    waiting = changes.wait_on_customer(state(status="open", acknowledged_at=None), "U1", PAUSED)
    assert waiting.state.paused_at == PAUSED and [e.kind for e in waiting.events] == ["paused"]
    due = waiting.state.due(POLICY)
    assert (due.update_due, due.resolve_due) == (dec(29), dec(31))  # as they stood at the pause
    assert due.stopped("update") and due.stopped("resolve") and not due.stopped("ack")
    assert [c.name for c in running_clocks(waiting.state, POLICY)] == ["ack"]
    assert due.left_when_paused("resolve") == dec(31) - PAUSED
    assert changes.wait_on_customer(waiting.state, "U2", RESUMED).changed is False   # already waiting


def test_resume_moves_the_due_times_by_the_pause() -> None:
    waiting = changes.wait_on_customer(state(), "U1", PAUSED).state
    resumed = changes.resume(waiting, "U2", RESUMED)
    assert resumed.state.paused_at is None and resumed.state.pauses == ((PAUSED, RESUMED),)
    assert [(e.kind, e.actor, e.note) for e in resumed.events] == [("resumed", "U2", None)]
    due = resumed.state.due(POLICY)
    assert (due.update_due, due.resolve_due) == (dec(29, "14:00"), dec(31, "14:00"))
    assert next_due("acknowledged", due, RESUMED) is not None
    assert changes.resume(resumed.state, "U2", RESUMED).changed is False


@pytest.mark.parametrize("make, kinds, resolve_due", [
    (lambda s: changes.post_update(s, "U2", "Still on it", RESUMED), ["resumed", "update"], dec(31, "14:00")),
    (lambda s: changes.customer_updated(s, "U2", "Dear ACME", RESUMED), ["resumed", "customer_update"],
     dec(31, "14:00")),
    (lambda s: changes.customer_replied(s, "ZD-4411", RESUMED), ["resumed"], dec(31, "14:00")),
    (lambda s: changes.resolve(s, "U2", outcome="Fixed", root_cause="product_bug", customer_told=True,
                               now=RESUMED), ["resolved"], dec(31, "14:00")),
])
def test_an_update_the_customer_s_reply_or_resolving_ends_the_wait(make: object, kinds: list[str],
                                                                    resolve_due: datetime) -> None:
    waiting = changes.wait_on_customer(state(), "U1", PAUSED).state
    made = make(waiting)  # type: ignore[operator]
    assert [e.kind for e in made.events] == kinds
    assert made.state.paused_at is None and made.state.pauses == ((PAUSED, RESUMED),)
    assert made.state.due(POLICY).resolve_due == resolve_due


def test_a_clock_already_overdue_at_the_pause_runs_on() -> None:
    late = dec(29, "12:00")  # the update was due Tue 10:00
    due = changes.wait_on_customer(state(), "U1", late).state.due(POLICY)
    assert not due.stopped("update") and due.stopped("resolve")
    found = next_due("acknowledged", due, late)
    assert found is not None and found.clock == "update" and found.overdue


def test_deadlines_without_pauses_are_unchanged() -> None:
    assert deadlines(POLICY, "P3", OPENED).resolve_due == dec(31)
    assert BusinessHours(start=time(9), end=time(17)).is_open_on(date(2026, 12, 24))
