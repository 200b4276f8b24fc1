"""Escalation priority matrix and SLA arithmetic, as tables."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.rules.escalations import TeamPolicy
from bot.rules.sla import (
    DEFAULT_POLICIES,
    IMPACT_LABELS,
    IMPACTS,
    PRIORITIES,
    PRIORITY_LABELS,
    SEVERITIES,
    SEVERITY_DEFINITIONS,
    SEVERITY_LABELS,
    URGENCIES,
    URGENCY_LABELS,
    BusinessHours,
    Impact,
    Priority,
    PriorityPolicy,
    Severity,
    Urgency,
    add_business_time,
    business_time_between,
    due_at,
    format_duration,
    format_sla_target,
    priority,
    reminder_times,
)
from bot.rules.team_config import ConfigError, EscalationPolicyConfig, parse_teams

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
OFFICE = BusinessHours()  # 09:00–17:00, Monday to Friday
EVERY_DAY = BusinessHours(days=frozenset(range(7)))
NIGHT_SHIFT = BusinessHours(start=time(0, 0), end=time(6, 0), days=frozenset(range(7)))
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    """'2026-01-16 23:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    "values, literal",
    [(SEVERITIES, Severity), (IMPACTS, Impact), (URGENCIES, Urgency), (PRIORITIES, Priority)],
)
def test_option_tuples_match_their_types(values: tuple[str, ...], literal: object) -> None:
    assert values == get_args(literal)


@pytest.mark.parametrize(
    "labels, values",
    [
        (SEVERITY_LABELS, SEVERITIES),
        (SEVERITY_DEFINITIONS, SEVERITIES),
        (IMPACT_LABELS, IMPACTS),
        (URGENCY_LABELS, URGENCIES),
        (PRIORITY_LABELS, PRIORITIES),
    ],
)
def test_every_value_has_a_label(labels: dict[str, str], values: tuple[str, ...]) -> None:
    assert tuple(labels) == values
    assert all(label.strip() for label in labels.values())


@pytest.mark.parametrize("severity", SEVERITIES)
def test_severity_definitions_fit_a_slack_option_description(severity: Severity) -> None:
    assert len(SEVERITY_DEFINITIONS[severity]) <= 75


@pytest.mark.parametrize(
    "mapping, key, expected",
    [
        (SEVERITY_LABELS, "critical", "Critical"),
        (SEVERITY_DEFINITIONS, "critical", "Service down or data at risk; no workaround"),
        (IMPACT_LABELS, "several", "Several customers"),
        (URGENCY_LABELS, "blocking", "Blocking now"),
        (PRIORITY_LABELS, "P1", "P1 · Critical"),
    ],
)
def test_labels(mapping: dict[str, str], key: str, expected: str) -> None:
    assert mapping[key] == expected


# --------------------------------------------------------------------------- matrix


@pytest.mark.parametrize(
    "severity, impact, urgency, expected",
    [
        # the rows the product brief requires
        ("critical", "widespread", "blocking", "P1"),
        ("high", "one", "today", "P3"),
        ("low", "one", "can_wait", "P4"),
        # the rest of the matrix, as documented in priority()'s docstring
        ("critical", "one", "can_wait", "P2"),
        ("critical", "one", "today", "P2"),
        ("critical", "one", "blocking", "P2"),
        ("critical", "several", "can_wait", "P2"),
        ("critical", "several", "today", "P2"),
        ("critical", "several", "blocking", "P1"),
        ("critical", "widespread", "can_wait", "P2"),
        ("critical", "widespread", "today", "P1"),
        ("high", "one", "can_wait", "P3"),
        ("high", "one", "blocking", "P2"),
        ("high", "several", "can_wait", "P3"),
        ("high", "several", "today", "P2"),
        ("high", "several", "blocking", "P2"),
        ("high", "widespread", "can_wait", "P2"),
        ("high", "widespread", "today", "P2"),
        ("high", "widespread", "blocking", "P1"),
        ("medium", "one", "can_wait", "P4"),
        ("medium", "one", "today", "P3"),
        ("medium", "one", "blocking", "P3"),
        ("medium", "several", "can_wait", "P3"),
        ("medium", "several", "today", "P3"),
        ("medium", "several", "blocking", "P2"),
        ("medium", "widespread", "can_wait", "P3"),
        ("medium", "widespread", "today", "P2"),
        ("medium", "widespread", "blocking", "P2"),
        ("low", "one", "today", "P4"),
        ("low", "one", "blocking", "P3"),
        ("low", "several", "can_wait", "P4"),
        ("low", "several", "today", "P3"),
        ("low", "several", "blocking", "P3"),
        ("low", "widespread", "can_wait", "P3"),
        ("low", "widespread", "today", "P3"),
        ("low", "widespread", "blocking", "P3"),
    ],
)
def test_priority_matrix(severity: str, impact: str, urgency: str, expected: str) -> None:
    assert priority(severity, impact, urgency) == expected


ALL_COMBINATIONS = list(itertools.product(SEVERITIES, IMPACTS, URGENCIES))


def test_matrix_table_above_covers_every_combination() -> None:
    assert len(ALL_COMBINATIONS) == 36
    assert {priority(*combo) for combo in ALL_COMBINATIONS} == set(PRIORITIES)


URGENCY_RANK: dict[str, int] = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}  # higher is more urgent


def _rank(value: str) -> int:
    return URGENCY_RANK[value]


@pytest.mark.parametrize("severity, impact, urgency", ALL_COMBINATIONS)
def test_raising_any_one_dimension_never_lowers_the_priority(
    severity: str, impact: str, urgency: str
) -> None:
    here = _rank(priority(severity, impact, urgency))
    severities: tuple[str, ...] = SEVERITIES  # most severe first
    impacts: tuple[str, ...] = IMPACTS  # narrowest first
    urgencies: tuple[str, ...] = URGENCIES  # least urgent first
    more_severe = severities[: severities.index(severity)]
    wider = impacts[impacts.index(impact) + 1 :]
    sooner = urgencies[urgencies.index(urgency) + 1 :]
    assert (
        more_severe
        or wider
        or sooner
        or (severity, impact, urgency) == ("critical", "widespread", "blocking")
    )
    for higher in more_severe:
        assert _rank(priority(higher, impact, urgency)) >= here
    for higher in wider:
        assert _rank(priority(severity, higher, urgency)) >= here
    for higher in sooner:
        assert _rank(priority(severity, impact, higher)) >= here


@pytest.mark.parametrize("impact, urgency", list(itertools.product(IMPACTS, URGENCIES)))
def test_critical_is_never_below_p2_and_low_never_above_p3(impact: str, urgency: str) -> None:
    assert priority("critical", impact, urgency) in ("P1", "P2")
    assert priority("low", impact, urgency) in ("P3", "P4")


@pytest.mark.parametrize(
    "severity, impact, urgency, named",
    [
        ("urgent", "one", "today", "severity"),
        ("high", "everyone", "today", "impact"),
        ("high", "one", "yesterday", "urgency"),
        ("Critical", "one", "today", "severity"),
        ("", "one", "today", "severity"),
    ],
)
def test_unknown_matrix_values_are_rejected(severity: str, impact: str, urgency: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        priority(severity, impact, urgency)


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


def policies_from(overrides: dict[str, object] | None) -> dict[str, PriorityPolicy]:
    """A team's policies as `escalation_policy.priorities` in its YAML sets them."""
    config = EscalationPolicyConfig.model_validate({"priorities": overrides or {}})
    return dict(TeamPolicy.from_config(config, "UTC").policies)


def config_error(escalation_policy: dict[str, object]) -> str:
    """The `config apply` message for a team whose escalation_policy is this."""
    text = yaml.safe_dump({"teams": [{"key": "t", "name": "T", "escalation_policy": escalation_policy}]})
    with pytest.raises(ConfigError) as raised:
        parse_teams(text)
    return str(raised.value)


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


# --------------------------------------------------------------------------- business hours config


@pytest.mark.parametrize(
    "config, expected",
    [
        ({}, BusinessHours(time(9), time(17), frozenset({0, 1, 2, 3, 4}))),
        ({"start": "08:30"}, BusinessHours(start=time(8, 30))),
        ({"start": "07:00", "end": "19:45"}, BusinessHours(start=time(7), end=time(19, 45))),
        ({"days": ["mon", "tue"]}, BusinessHours(days=frozenset({0, 1}))),
        ({"days": ["sat", "sun", "sun"]}, BusinessHours(days=frozenset({5, 6}))),
    ],
)
def test_business_hours_from_yaml(config: dict[str, object], expected: BusinessHours) -> None:
    policy = TeamPolicy.from_config(EscalationPolicyConfig.model_validate({"business_hours": config}), "UTC")
    assert policy.hours == expected


@pytest.mark.parametrize(
    "config, named",
    [
        ({"start": "9am"}, "business_hours.start: expected HH:MM"),
        ({"start": "24:00"}, "business_hours.start: expected HH:MM"),
        ({"end": "17:60"}, "business_hours.end: expected HH:MM"),
        ({"end": 1020}, "business_hours.end: expected HH:MM (quote"),  # YAML reads an unquoted 17:00 as 1020
        ({"start": "18:00", "end": "09:00"}, "business_hours: start must be before end"),
        ({"start": "09:00", "end": "09:00"}, "business_hours: start must be before end"),
        ({"days": "mon"}, "business_hours.days"),
        ({"days": []}, "business_hours.days"),
        ({"days": ["mon", "funday"]}, "business_hours.days[1]"),
        ({"days": [1]}, "business_hours.days[0]"),
        ({"timezone": "UTC"}, "business_hours.timezone: unknown key"),
    ],
)
def test_bad_business_hours_name_the_field(config: dict[str, object], named: str) -> None:
    assert named in config_error({"business_hours": config})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start": time(17), "end": time(9)}, "before"),
        ({"start": time(9), "end": time(9)}, "before"),
        ({"days": frozenset()}, "at least one day"),
        ({"days": frozenset({7})}, "0–6"),
    ],
)
def test_business_hours_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessHours(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- business time arithmetic

# (case, start UTC, duration, tz, hours, due UTC). Local times in the comments.
BUSINESS_TIME_ROWS = [
    # January 2026: New York is UTC-5.
    ("Friday evening waits for Monday", "2026-01-16 23:00", 4 * HOUR, NEW_YORK, OFFICE, "2026-01-19 18:00"),
    ("Saturday waits for Monday", "2026-01-17 17:00", HOUR, NEW_YORK, OFFICE, "2026-01-19 15:00"),
    ("exactly at opening", "2026-01-19 14:00", 8 * HOUR, NEW_YORK, OFFICE, "2026-01-19 22:00"),
    ("exactly at closing", "2026-01-19 22:00", HOUR, NEW_YORK, OFFICE, "2026-01-20 15:00"),
    ("before opening", "2026-01-19 12:00", 30 * MIN, NEW_YORK, OFFICE, "2026-01-19 14:30"),
    ("across a night", "2026-01-19 21:00", 4 * HOUR, NEW_YORK, OFFICE, "2026-01-20 17:00"),
    ("across a weekend", "2026-01-16 20:00", 8 * HOUR, NEW_YORK, OFFICE, "2026-01-19 20:00"),
    ("Friday closing plus a minute", "2026-01-16 22:00", MIN, NEW_YORK, OFFICE, "2026-01-19 14:01"),
    # Tuesday 02:00 UTC is still Monday 21:00 in New York: the local day decides.
    ("UTC and local dates differ", "2026-01-20 02:00", HOUR, NEW_YORK, OFFICE, "2026-01-20 15:00"),
    ("five business days", "2026-01-19 14:00", 40 * HOUR, NEW_YORK, OFFICE, "2026-01-23 22:00"),
    ("zero duration keeps start", "2026-01-17 17:00", timedelta(0), NEW_YORK, OFFICE, "2026-01-17 17:00"),
    # 2026-03-08: New York springs forward (EST UTC-5 -> EDT UTC-4) on a Sunday.
    ("weekend over spring forward", "2026-03-06 21:00", 2 * HOUR, NEW_YORK, OFFICE, "2026-03-09 14:00"),
    ("open on spring-forward Sunday", "2026-03-07 21:00", 2 * HOUR, NEW_YORK, EVERY_DAY, "2026-03-08 14:00"),
    # 00:00–06:00 on 2026-03-08 is only five real hours long.
    ("hours span spring forward", "2026-03-08 05:00", 6 * HOUR, NEW_YORK, NIGHT_SHIFT, "2026-03-09 05:00"),
    # 2026-11-01: New York falls back (EDT UTC-4 -> EST UTC-5) on a Sunday.
    ("weekend over fall back", "2026-10-30 20:00", 2 * HOUR, NEW_YORK, OFFICE, "2026-11-02 15:00"),
    ("open on fall-back Sunday", "2026-10-31 20:00", 2 * HOUR, NEW_YORK, EVERY_DAY, "2026-11-01 15:00"),
    # ... and 00:00–06:00 on 2026-11-01 is seven real hours long.
    ("hours span fall back", "2026-11-01 04:00", 7 * HOUR, NEW_YORK, NIGHT_SHIFT, "2026-11-01 11:00"),
    # London: BST starts 2026-03-29 and ends 2026-10-25.
    ("London weekend into BST", "2026-03-27 16:00", 2 * HOUR, LONDON, OFFICE, "2026-03-30 09:00"),
    ("London weekend out of BST", "2026-10-23 15:00", 2 * HOUR, LONDON, OFFICE, "2026-10-26 10:00"),
    ("London in winter is UTC", "2026-01-19 08:00", 9 * HOUR, LONDON, OFFICE, "2026-01-20 10:00"),
]


@pytest.mark.parametrize(
    "case, start, duration, tz, hours, expected",
    BUSINESS_TIME_ROWS,
    ids=[row[0] for row in BUSINESS_TIME_ROWS],
)
def test_add_business_time(
    case: str, start: str, duration: timedelta, tz: ZoneInfo, hours: BusinessHours, expected: str
) -> None:
    due = add_business_time(utc(start), duration, tz, hours)
    assert due == utc(expected)
    assert due.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "case, start, duration, tz, hours, expected",
    BUSINESS_TIME_ROWS,
    ids=[row[0] for row in BUSINESS_TIME_ROWS],
)
def test_business_time_between_inverts_add(
    case: str, start: str, duration: timedelta, tz: ZoneInfo, hours: BusinessHours, expected: str
) -> None:
    assert business_time_between(utc(start), utc(expected), tz, hours) == duration


def test_start_in_another_timezone_gives_utc() -> None:
    start = datetime(2026, 1, 16, 18, 0, tzinfo=NEW_YORK)  # Friday evening, local
    due = add_business_time(start, 4 * HOUR, NEW_YORK, OFFICE)
    assert due == utc("2026-01-19 18:00")
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    "start, end, tz, hours, expected",
    [
        ("2026-01-16 22:00", "2026-01-19 14:00", NEW_YORK, OFFICE, timedelta(0)),  # Fri close to Mon open
        ("2026-01-19 13:00", "2026-01-19 15:00", NEW_YORK, OFFICE, HOUR),  # 08:00–10:00 local
        ("2026-01-19 05:00", "2026-01-26 05:00", NEW_YORK, OFFICE, 40 * HOUR),  # a whole week
        ("2026-01-19 15:00", "2026-01-19 14:00", NEW_YORK, OFFICE, -HOUR),  # backwards is negative
        ("2026-01-19 15:00", "2026-01-19 15:00", NEW_YORK, OFFICE, timedelta(0)),
        ("2026-03-08 05:00", "2026-03-09 04:00", NEW_YORK, NIGHT_SHIFT, 5 * HOUR),  # local midnights
        ("2026-11-01 04:00", "2026-11-02 05:00", NEW_YORK, NIGHT_SHIFT, 7 * HOUR),  # local midnights
    ],
)
def test_business_time_between(
    start: str, end: str, tz: ZoneInfo, hours: BusinessHours, expected: timedelta
) -> None:
    assert business_time_between(utc(start), utc(end), tz, hours) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(datetime(2026, 1, 19, 9), HOUR, NEW_YORK, OFFICE),
        lambda: business_time_between(datetime(2026, 1, 19, 9), utc("2026-01-20 09:00"), NEW_YORK, OFFICE),
        lambda: business_time_between(utc("2026-01-19 09:00"), datetime(2026, 1, 20, 9), NEW_YORK, OFFICE),
        lambda: due_at(datetime(2026, 1, 19, 9), HOUR, DEFAULT_POLICIES["P1"], NEW_YORK, OFFICE),
    ],
)
def test_naive_datetimes_are_rejected(call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()  # type: ignore[operator]


def test_negative_durations_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(utc("2026-01-19 14:00"), -HOUR, NEW_YORK, OFFICE)


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
