"""The on-call chain as a rule (bot.rules.oncall): which levels are due, whom to tell, the rotation's
handover and quiet hours, as tables of hand-worked times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.oncall import ChainState, Notice, awake_after, due, on_call
from bot.rules.oncall_config import OnCallConfig, WeeklyRotation
from bot.rules.team_config import ConfigError, parse_teams

NY = ZoneInfo("America/New_York")
CONFIG = OnCallConfig.model_validate({
    "rotation": {"weekly": ["U1ALICE", "U2BOB", "U3CAROL"], "starts": "2026-11-02", "handover": "09:00"},
    "chain": [{"notify": "owner", "after": "0m"}, {"notify": "on_call", "after": "10m"},
              {"notify": ["U9BOSS", "S0LEADS"], "after": "20m"}],
    "repeat": 2,
    "quiet_hours": {"from": "22:00", "to": "07:00", "except": ["P1"]},
})
"""Round length: the last level's 20 minutes plus 30: 50 minutes."""


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 time in New York (UTC-5 after 1 November)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=NY).astimezone(UTC)


def state(opened: datetime, *, priority: str = "P2", status: str = "open", owner: str | None = "U0OWNER") -> ChainState:
    return ChainState(priority=priority, status=status, owner=owner, opened_at=opened)


def places(notices: list[Notice]) -> list[tuple[int, int]]:
    return [(n.round, n.level) for n in notices]


OPENED = ny(2, 10)  # Monday 10:00, not quiet


@pytest.mark.parametrize(("minutes", "expected"), [
    (-1, []),
    (0, [(0, 0)]),
    (9, [(0, 0)]),
    (10, [(0, 0), (0, 1)]),
    (20, [(0, 0), (0, 1), (0, 2)]),
    (49, [(0, 0), (0, 1), (0, 2)]),
    (50, [(1, 0)]),  # round 2 begins: only its own levels
    (70, [(1, 0), (1, 1), (1, 2)]),
    (100, [(2, 0)]),
    (120, [(2, 0), (2, 1), (2, 2)]),
    (24 * 60, [(2, 0), (2, 1), (2, 2)]),  # repeat: 2 is the cap: no fourth round
])
def test_levels_due_round_by_round(minutes: int, expected: list[tuple[int, int]]) -> None:
    assert places(due(CONFIG, state(OPENED), NY, OPENED + timedelta(minutes=minutes))) == expected


@pytest.mark.parametrize("status", ["acknowledged", "resolved"])
def test_an_acknowledgement_or_resolution_stops_the_chain(status: str) -> None:
    assert due(CONFIG, state(OPENED, status=status), NY, OPENED + timedelta(minutes=30)) == []


def test_whom_each_level_tells() -> None:
    notices = due(CONFIG, state(OPENED), NY, OPENED + timedelta(minutes=20))
    assert [(n.people, n.groups) for n in notices] == [
        (("U0OWNER",), ()), (("U1ALICE",), ()), (("U9BOSS",), ("S0LEADS",))]
    assert notices[1].at == OPENED + timedelta(minutes=10)
    unowned = due(CONFIG, state(OPENED, owner=None), NY, OPENED + timedelta(minutes=20))
    assert places(unowned) == [(0, 1), (0, 2)]  # nobody to tell at the owner's level


@pytest.mark.parametrize(("at", "person"), [
    (ny(2, 8, 59), "U3CAROL"),  # before the first handover: the week before is the last person's
    (ny(2, 9, 0), "U1ALICE"),
    (ny(8, 23, 59), "U1ALICE"),
    (ny(9, 8, 59), "U1ALICE"),  # Monday morning, still Alice's week
    (ny(9, 9, 0), "U2BOB"),
    (ny(16, 9, 0), "U3CAROL"),
    (ny(23, 9, 0), "U1ALICE"),  # round again
])
def test_rotation_hands_over_weekly_at_its_time(at: datetime, person: str) -> None:
    assert CONFIG.rotation is not None
    assert on_call(CONFIG.rotation, NY, at) == person


def test_the_on_call_level_tells_whoever_is_on_call_when_it_is_due() -> None:
    opened = ny(9, 8, 55)  # Alice's last minutes; the on-call level, 10 minutes later, is Bob's
    notices = due(CONFIG, state(opened), NY, opened + timedelta(minutes=10))
    assert notices[1].people == ("U2BOB",)


def test_rotation_across_daylight_saving() -> None:
    rotation = WeeklyRotation(weekly=["U1ALICE", "U2BOB"], starts=datetime(2026, 10, 26).date(), handover="09:00")
    assert on_call(rotation, NY, datetime(2026, 11, 2, 9, 0, tzinfo=NY)) == "U2BOB"  # after the change to EST
    assert on_call(rotation, NY, datetime(2026, 11, 2, 8, 59, tzinfo=NY)) == "U1ALICE"


@pytest.mark.parametrize(("opened", "priority", "minutes", "expected"), [
    (ny(2, 23), "P3", 0, []),  # 23:00: quiet, nothing for a P3 ...
    (ny(2, 23), "P3", 7 * 60 + 59, []),
    (ny(2, 23), "P3", 8 * 60, [(0, 0)]),  # ... until 07:00, when its chain starts
    (ny(2, 23), "P3", 8 * 60 + 10, [(0, 0), (0, 1)]),
    (ny(2, 23), "P1", 0, [(0, 0)]),  # a P1 pages through quiet hours
    (ny(2, 23), "P1", 10, [(0, 0), (0, 1)]),
    (ny(2, 21, 55), "P3", 5, [(0, 0)]),  # 21:55: the owner at once; the on-call level waits for the night
    (ny(2, 21, 55), "P3", 9 * 60 + 9, [(0, 0)]),  # 07:04: 9 awake minutes (5 before 22:00, 4 after 07:00)
    (ny(2, 21, 55), "P3", 9 * 60 + 10, [(0, 0), (0, 1)]),  # 07:05: 10 awake minutes
])
def test_quiet_hours_stop_the_clock_for_priorities_that_allow_it(opened: datetime, priority: str, minutes: int,
                                                                   expected: list[tuple[int, int]]) -> None:
    assert places(due(CONFIG, state(opened, priority=priority), NY, opened + timedelta(minutes=minutes))) == expected


@pytest.mark.parametrize(("start", "minutes", "expected"), [
    (ny(2, 21, 50), 5, ny(2, 21, 55)),
    (ny(2, 21, 50), 10, ny(3, 7, 0)),  # the window starts exactly then: wait for its end
    (ny(2, 21, 50), 15, ny(3, 7, 5)),
    (ny(3, 3, 0), 0, ny(3, 7, 0)),
    (ny(3, 6, 59), 61, ny(3, 8, 1)),
    (ny(2, 12), 24 * 60, ny(3, 21, 0)),  # a day awake: 10 h up to 22:00, the other 14 h from 07:00
])
def test_awake_time_skips_quiet_windows(start: datetime, minutes: int, expected: datetime) -> None:
    assert awake_after(start, timedelta(minutes=minutes), CONFIG.quiet_hours, NY) == expected


def test_daytime_quiet_hours_within_one_day() -> None:
    lunch = OnCallConfig.model_validate({"chain": [{"notify": "owner"}, {"notify": ["U9BOSS"], "after": "1h"}],
                                         "quiet_hours": {"from": "12:00", "to": "13:00"}})
    assert lunch.quiet_hours is not None
    assert awake_after(ny(2, 11, 30), timedelta(hours=1), lunch.quiet_hours, NY) == ny(2, 13, 30)


@pytest.mark.parametrize(("on_call_yaml", "problem"), [
    ("chain: [{notify: on_call}]", "a level notifies `on_call` but there is no `rotation"),
    ("chain: [{notify: support-leads}]", "notify: expected a Slack user ID like U0123ABCD or a user group ID"),
    ("chain: [{notify: owner, after: soon}]", 'after: expected a delay like "10m" or "1h"'),
    ("chain: [{notify: owner, after: 20m}, {notify: [U9BOSS], after: 10m}]", "must be in the order they are told"),
    ("chain: [{notify: owner, after: 20m}]\n        repeat_every: 15m", "repeat_every (15 min) must be longer"),
    ("chain: [{notify: owner}]\n        repeat: 11", "repeat: Input should be less than or equal to 10"),
    ("chain: [{notify: owner}]\n        quiet_hours: {from: '22:00', to: '22:00'}", "not start and end at the same"),
    ("chain: [{notify: owner}]\n        quiet_hours: {from: '22:00', to: '07:00', except: [P5]}", "except[0]"),
    ("chain: []", "chain: List should have at least 1 item"),
    ("chain: [{notify: owner}]\n        rotation: {weekly: [], starts: 2026-11-02}", "rotation.weekly"),
])
def test_bad_chains_are_refused_with_their_path(on_call_yaml: str, problem: str) -> None:
    text = ("teams:\n  - key: t\n    name: T\n    members: []\n    managers: []\n    escalation_policy:\n"
            f"      on_call:\n        {on_call_yaml}\n")
    with pytest.raises(ConfigError) as refused:
        parse_teams(text)
    assert any(line.startswith("teams[0].escalation_policy.on_call") and problem in line
               for line in refused.value.problems), refused.value.problems


def test_a_team_without_a_chain_is_still_valid() -> None:
    parsed = parse_teams("teams:\n  - key: t\n    name: T\n    members: []\n    managers: []\n")
    assert parsed.teams[0].escalation_policy.on_call is None
