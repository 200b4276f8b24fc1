"""SLA policies as tables: defaults and team overrides, due times, reminders and formatting.

The priority matrix is in test_priority_matrix.py, business hours and their arithmetic in
test_business_hours.py; the shared constants in tests/sla_tables.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.rules.escalations import TeamPolicy
from bot.rules.sla import (
    DEFAULT_POLICIES,
    PRIORITIES,
    Priority,
    PriorityPolicy,
    due_at,
    format_duration,
    format_sla_target,
    reminder_times,
)
from bot.rules.team_config import EscalationPolicyConfig
from tests.sla_tables import HOUR, MIN, NEW_YORK, OFFICE, config_error, utc

# --------------------------------------------------------------------------- policies


@pytest.mark.parametrize(
    "prio, ack, update_every, resolve, business_hours",
    [
        ("P1", 15 * MIN, 60 * MIN, 4 * HOUR, False),
        ("P2", 30 * MIN, 2 * HOUR, 8 * HOUR, False),
        ("P3", 4 * HOUR, 8 * HOUR, 24 * HOUR, True),
        ("P4", 8 * HOUR, 16 * HOUR, 40 * HOUR, True),
    ],
)
def test_default_policies(
    prio: Priority, ack: timedelta, update_every: timedelta, resolve: timedelta, business_hours: bool
) -> None:
    assert DEFAULT_POLICIES[prio] == PriorityPolicy(ack, update_every, resolve, business_hours)


def test_policies_cannot_have_empty_targets() -> None:
    with pytest.raises(ValueError, match="ack"):
        PriorityPolicy(timedelta(0), HOUR, HOUR, False)


def policies_from(overrides: dict[str, object] | None) -> dict[Priority, PriorityPolicy]:
    """A team's policies as `escalation_policy.priorities` in its YAML sets them."""
    config = EscalationPolicyConfig.model_validate({"priorities": overrides or {}})
    return dict(TeamPolicy.from_config(config, "UTC").policies)


@pytest.mark.parametrize(
    "overrides, prio, expected",
    [
        (None, "P3", DEFAULT_POLICIES["P3"]),
        ({}, "P1", DEFAULT_POLICIES["P1"]),
        ({"P3": {"ack_minutes": 120}}, "P3", PriorityPolicy(2 * HOUR, 8 * HOUR, 24 * HOUR, True)),
        ({"P3": {"ack_minutes": 120}}, "P4", DEFAULT_POLICIES["P4"]),
        (
            {
                "P3": {
                    "ack_minutes": 120,
                    "update_minutes": 480,
                    "resolve_minutes": 1440,
                    "business_hours": False,
                }
            },
            "P3",
            PriorityPolicy(2 * HOUR, 8 * HOUR, 24 * HOUR, False),
        ),
        ({"P1": {"business_hours": True}}, "P1", PriorityPolicy(15 * MIN, HOUR, 4 * HOUR, True)),
        ({"P2": {"resolve_minutes": 720}}, "P2", PriorityPolicy(30 * MIN, 2 * HOUR, 12 * HOUR, False)),
        ({"P4": {}}, "P4", DEFAULT_POLICIES["P4"]),
    ],
)
def test_policy_overrides(
    overrides: dict[str, object] | None, prio: Priority, expected: object
) -> None:
    policies = policies_from(overrides)
    assert set(policies) == set(PRIORITIES)
    assert policies[prio] == expected


def test_overrides_leave_the_defaults_alone() -> None:
    policies_from({"P1": {"ack_minutes": 5}})
    assert DEFAULT_POLICIES["P1"].ack == 15 * MIN


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"P5": {"ack_minutes": 10}}, "priorities.P5"),
        ({"p1": {"ack_minutes": 10}}, "priorities.p1"),
        ({"P3": {"ack_hours": 2}}, "P3.ack_hours: unknown key"),
        ({"P3": {"ack_minutes": "2h"}}, "P3.ack_minutes"),
        ({"P3": {"update_minutes": 0}}, "P3.update_minutes"),
        ({"P3": {"resolve_minutes": -60}}, "P3.resolve_minutes"),
        ({"P3": {"resolve_minutes": 90.5}}, "P3.resolve_minutes"),
        ({"P3": {"ack_minutes": True}}, "P3.ack_minutes"),
        ({"P2": {"business_hours": "yes"}}, "P2.business_hours"),
        ({"P2": 30}, "priorities.P2"),
    ],
)
def test_bad_overrides_name_the_problem(overrides: dict[str, object], named: str) -> None:
    assert named in config_error({"priorities": overrides})


# --------------------------------------------------------------------------- due times


@pytest.mark.parametrize(
    "prio, start, duration, expected",
    [
        # 24/7 policies ignore nights and weekends: Saturday 03:00 UTC.
        ("P1", "2026-01-17 03:00", 15 * MIN, "2026-01-17 03:15"),
        ("P2", "2026-01-17 03:00", 8 * HOUR, "2026-01-17 11:00"),
        # Across spring forward a 24/7 clock counts real time.
        ("P1", "2026-03-08 06:30", HOUR, "2026-03-08 07:30"),
        # Business-hours policies: Friday 16:00 New York.
        ("P3", "2026-01-16 21:00", 4 * HOUR, "2026-01-19 17:00"),
        ("P4", "2026-01-16 21:00", 8 * HOUR, "2026-01-19 21:00"),
    ],
)
def test_due_at(prio: Priority, start: str, duration: timedelta, expected: str) -> None:
    assert due_at(utc(start), duration, DEFAULT_POLICIES[prio], NEW_YORK, OFFICE) == utc(expected)


# --------------------------------------------------------------------------- reminders


@pytest.mark.parametrize(
    "prio, started, duration, kwargs, expected",
    [
        (
            "P1",
            "2026-01-19 10:00",
            15 * MIN,
            {},
            [
                ("warning", "2026-01-19 10:12"),
                ("breach", "2026-01-19 10:15"),
                ("repeat-1", "2026-01-19 10:45"),
                ("repeat-2", "2026-01-19 11:15"),
                ("repeat-3", "2026-01-19 11:45"),
            ],
        ),
        (
            # Friday 16:00 New York: 80 % of 4 business hours is 1 h Friday + 2 h 12 min Monday;
            # repeats after the breach are wall-clock.
            "P3",
            "2026-01-16 21:00",
            4 * HOUR,
            {},
            [
                ("warning", "2026-01-19 16:12"),
                ("breach", "2026-01-19 17:00"),
                ("repeat-1", "2026-01-19 17:30"),
                ("repeat-2", "2026-01-19 18:00"),
                ("repeat-3", "2026-01-19 18:30"),
            ],
        ),
        (
            "P2",
            "2026-01-19 10:00",
            HOUR,
            {"warn_fraction": 0.5, "repeat_every": HOUR, "max_repeats": 1},
            [
                ("warning", "2026-01-19 10:30"),
                ("breach", "2026-01-19 11:00"),
                ("repeat-1", "2026-01-19 12:00"),
            ],
        ),
        (
            "P1",
            "2026-01-19 10:00",
            HOUR,
            {"max_repeats": 0},
            [("warning", "2026-01-19 10:48"), ("breach", "2026-01-19 11:00")],
        ),
    ],
)
def test_reminder_schedule(
    prio: Priority,
    started: str,
    duration: timedelta,
    kwargs: dict[str, object],
    expected: list[tuple[str, str]],
) -> None:
    schedule = reminder_times(utc(started), duration, DEFAULT_POLICIES[prio], NEW_YORK, OFFICE, **kwargs)  # type: ignore[arg-type]
    assert schedule == [(name, utc(at)) for name, at in expected]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"warn_fraction": 0}, "warn_fraction"),
        ({"warn_fraction": 1.0}, "warn_fraction"),
        ({"max_repeats": -1}, "max_repeats"),
        ({"repeat_every": timedelta(0)}, "repeat_every"),
    ],
)
def test_bad_reminder_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reminder_times(utc("2026-01-19 10:00"), HOUR, DEFAULT_POLICIES["P1"], NEW_YORK, OFFICE, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- status and labels


@pytest.mark.parametrize(
    "duration, expected",
    [
        (15 * MIN, "15 min"),
        (4 * HOUR, "4 h"),
        (90 * MIN, "1 h 30 min"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=1, hours=4), "1 d 4 h"),
        (timedelta(days=2, minutes=5), "2 d 5 min"),
        (timedelta(0), "0 min"),
        (timedelta(seconds=10), "< 1 min"),
        (timedelta(seconds=30), "1 min"),
        (timedelta(minutes=59, seconds=40), "1 h"),
    ],
)
def test_format_duration(duration: timedelta, expected: str) -> None:
    assert format_duration(duration) == expected


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError):
        format_duration(-MIN)


@pytest.mark.parametrize(
    "prio, duration, expected",
    [
        ("P1", 15 * MIN, "15 min"),
        ("P2", 8 * HOUR, "8 h"),
        ("P3", 4 * HOUR, "4 business hours"),
        ("P3", HOUR, "1 business hour"),
        ("P3", 8 * HOUR, "1 business day"),
        ("P3", 24 * HOUR, "3 business days"),
        ("P4", 16 * HOUR, "2 business days"),
        ("P4", 90 * MIN, "1 h 30 min of business time"),
    ],
)
def test_format_sla_target(prio: Priority, duration: timedelta, expected: str) -> None:
    assert format_sla_target(duration, DEFAULT_POLICIES[prio], OFFICE) == expected
