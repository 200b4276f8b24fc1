"""Business hours as tables: their YAML config and the business-time arithmetic across weekends and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.escalations import TeamPolicy
from bot.rules.sla import (
    DEFAULT_POLICIES,
    BusinessHours,
    add_business_time,
    business_time_between,
    due_at,
)
from bot.rules.team_config import EscalationPolicyConfig
from tests.sla_tables import EVERY_DAY, HOUR, LONDON, MIN, NEW_YORK, NIGHT_SHIFT, OFFICE, config_error, utc

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
