"""Escalation priority matrix and SLA arithmetic.

Pure rules: no Slack, no database, no clock. Every instant is a timezone-aware
``datetime`` passed in by the caller; results are aware UTC datetimes.

Business time is counted in the team's local wall-clock hours (``tz``), so an
SLA that runs across a weekend or a daylight-saving change ends at the local
time a person would expect. Durations are real elapsed time inside those hours:
on a day where the clocks change *during* business hours the window is an hour
shorter or longer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from bot.rules.business_hours import (
    BusinessHours,
    add_business_time,
    business_time_between,
    public_holidays,
    require_aware,
)

Severity = Literal["critical", "high", "medium", "low"]
Impact = Literal["one", "several", "widespread"]
Urgency = Literal["can_wait", "today", "blocking"]
Priority = Literal["P1", "P2", "P3", "P4"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
IMPACTS: tuple[Impact, ...] = ("one", "several", "widespread")
URGENCIES: tuple[Urgency, ...] = ("can_wait", "today", "blocking")
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")

SEVERITY_LABELS: Mapping[Severity, str] = MappingProxyType(
    {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
)
#: One line each, short enough for a Slack option description (≤ 75 characters).
SEVERITY_DEFINITIONS: Mapping[Severity, str] = MappingProxyType(
    {
        "critical": "Service down or data at risk; no workaround",
        "high": "Major feature broken or badly degraded; workaround is painful",
        "medium": "Feature partly broken or slow; a reasonable workaround exists",
        "low": "Minor issue, question or cosmetic problem; little business effect",
    }
)
IMPACT_LABELS: Mapping[Impact, str] = MappingProxyType(
    {"one": "One customer", "several": "Several customers", "widespread": "Widespread"}
)
URGENCY_LABELS: Mapping[Urgency, str] = MappingProxyType(
    {"can_wait": "Can wait", "today": "Needed today", "blocking": "Blocking now"}
)
PRIORITY_LABELS: Mapping[Priority, str] = MappingProxyType(
    {"P1": "P1 · Critical", "P2": "P2 · High", "P3": "P3 · Medium", "P4": "P4 · Low"}
)


__all__ = ["BusinessHours", "add_business_time", "business_time_between", "public_holidays"]  # their home:
# `bot.rules.business_hours`; re-exported for the callers that know them from here.

_T = TypeVar("_T", bound=str)


def _narrow(value: object, allowed: tuple[_T, ...], what: str) -> _T:
    for candidate in allowed:
        if value == candidate:
            return candidate
    raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def as_severity(value: object) -> Severity:
    """``value`` as a Severity (e.g. from a form), or ValueError."""
    return _narrow(value, SEVERITIES, "severity")


def as_impact(value: object) -> Impact:
    return _narrow(value, IMPACTS, "impact")


def as_urgency(value: object) -> Urgency:
    return _narrow(value, URGENCIES, "urgency")


def as_priority(value: object) -> Priority:
    return _narrow(value, PRIORITIES, "priority")


# --------------------------------------------------------------------------- matrix

_SEVERITY_POINTS: Mapping[Severity, int] = {"critical": 3, "high": 2, "medium": 1, "low": 0}
_IMPACT_POINTS: Mapping[Impact, int] = {"one": 0, "several": 1, "widespread": 2}
_URGENCY_POINTS: Mapping[Urgency, int] = {"can_wait": 0, "today": 1, "blocking": 2}


def priority(severity: str, impact: str, urgency: str) -> Priority:
    """Map severity × customer impact × time sensitivity to a priority.

    Scoring rule: severity critical 3 / high 2 / medium 1 / low 0, plus impact
    one 0 / several 1 / widespread 2, plus urgency can wait 0 / today 1 /
    blocking 2. A score of 6–7 is P1, 4–5 P2, 2–3 P3, 0–1 P4. Then two floors:
    critical is never below P2, and low is never above P3. Each step is
    monotonic, so raising any one dimension never lowers the priority.

    The resulting table (rows severity, columns impact / urgency)::

                    one                  several              widespread
                    wait  today  block   wait  today  block   wait  today  block
        critical    P2    P2     P2      P2    P2     P1      P2    P1     P1
        high        P3    P3     P2      P3    P2     P2      P2    P2     P1
        medium      P4    P3     P3      P3    P3     P2      P3    P2     P2
        low         P4    P4     P3      P4    P3     P3      P3    P3     P3

    Raises ValueError for an unknown severity, impact or urgency.
    """
    score = (
        _SEVERITY_POINTS[as_severity(severity)]
        + _IMPACT_POINTS[as_impact(impact)]
        + _URGENCY_POINTS[as_urgency(urgency)]
    )
    rank = 1 if score >= 6 else 2 if score >= 4 else 3 if score >= 2 else 4
    if severity == "critical":
        rank = min(rank, 2)
    elif severity == "low":
        rank = max(rank, 3)
    return PRIORITIES[rank - 1]


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class PriorityPolicy:
    """SLA targets for one priority.

    ``business_hours`` False means the clocks run 24/7; True means only time
    inside the team's business hours counts.
    """

    ack: timedelta
    update_every: timedelta
    resolve: timedelta
    business_hours: bool

    def __post_init__(self) -> None:
        for name in ("ack", "update_every", "resolve"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")


def _min(n: int) -> timedelta:
    return timedelta(minutes=n)


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


DEFAULT_POLICIES: Mapping[Priority, PriorityPolicy] = MappingProxyType(
    {
        # 24/7 clocks.
        "P1": PriorityPolicy(ack=_min(15), update_every=_hours(1), resolve=_hours(4), business_hours=False),
        "P2": PriorityPolicy(ack=_min(30), update_every=_hours(2), resolve=_hours(8), business_hours=False),
        # Business-time clocks: 8 business hours = one business day with the default 09:00–17:00.
        "P3": PriorityPolicy(ack=_hours(4), update_every=_hours(8), resolve=_hours(24), business_hours=True),
        "P4": PriorityPolicy(ack=_hours(8), update_every=_hours(16), resolve=_hours(40), business_hours=True),
    }
)

def due_at(
    start: datetime, duration: timedelta, policy: PriorityPolicy, tz: ZoneInfo, hours: BusinessHours
) -> datetime:
    """When a clock of ``duration`` started at ``start`` runs out under ``policy`` (aware UTC)."""
    require_aware(start, "start")
    if policy.business_hours:
        return add_business_time(start, duration, tz, hours)
    return start.astimezone(UTC) + duration


Pause = tuple[datetime, datetime]
"""A pause that ended: (paused at, resumed at)."""


def paused_due(start: datetime, duration: timedelta, policy: PriorityPolicy, tz: ZoneInfo, hours: BusinessHours,
               pauses: Sequence[Pause] = ()) -> datetime:
    """When a clock of ``duration`` started at ``start`` runs out, moved by the pauses that ended (aware UTC).

    Paused time is not elapsed: a pause that begins before the clock runs out moves its due time by the time
    the pause took (business time for a business-hours policy, so a pause over a weekend or a holiday moves it
    by nothing more than the business time it covered). A pause that begins once the clock has run out moves
    nothing: the breach stands. A pause that began before ``start`` counts from ``start``.
    """
    due = due_at(start, duration, policy, tz, hours)
    for paused, resumed in sorted(pauses):
        require_aware(paused, "paused")
        require_aware(resumed, "resumed")
        paused = max(paused.astimezone(UTC), start.astimezone(UTC))
        if resumed <= paused:
            continue
        if paused >= due:
            break
        if policy.business_hours:
            due = add_business_time(resumed, business_time_between(paused, due, tz, hours), tz, hours)
        else:
            due += resumed - paused
    return due


def reminder_times(
    started: datetime,
    duration: timedelta,
    policy: PriorityPolicy,
    tz: ZoneInfo,
    hours: BusinessHours,
    *,
    warn_fraction: float = 0.8,
    repeat_every: timedelta = timedelta(minutes=30),
    max_repeats: int = 3,
    pauses: Sequence[Pause] = (),
) -> list[tuple[str, datetime]]:
    """The reminders for one SLA clock, in order.

    ``("warning", …)`` when ``warn_fraction`` of the duration has passed (in business
    time for a business-hours policy), ``("breach", …)`` when it runs out, then
    ``("repeat-1", …)`` … ``("repeat-N", …)`` every ``repeat_every`` of wall-clock time
    after the breach, at most ``max_repeats``. The names are stable: callers use
    them to claim each reminder once. Ended ``pauses`` move each of them (:func:`paused_due`).
    """
    if not 0 < warn_fraction < 1:
        raise ValueError(f"warn_fraction must be between 0 and 1, got {warn_fraction}")
    if max_repeats < 0:
        raise ValueError(f"max_repeats must not be negative, got {max_repeats}")
    if max_repeats and repeat_every <= timedelta(0):
        raise ValueError(f"repeat_every must be positive, got {repeat_every}")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration}")
    breach = paused_due(started, duration, policy, tz, hours, pauses)
    schedule = [
        ("warning", paused_due(started, duration * warn_fraction, policy, tz, hours, pauses)),
        ("breach", breach),
    ]
    schedule.extend((f"repeat-{n}", breach + repeat_every * n) for n in range(1, max_repeats + 1))
    return schedule


# --------------------------------------------------------------------------- labels


def format_duration(td: timedelta) -> str:
    """A short label: ``15 min``, ``4 h``, ``1 h 30 min``, ``3 d``, ``1 d 4 h``.

    Rounded to the nearest minute; a positive duration under half a minute is ``< 1 min``.
    """
    if td < timedelta(0):
        raise ValueError(f"cannot format a negative duration {td}")
    minutes_total = (td + timedelta(seconds=30)) // timedelta(minutes=1)  # half a minute rounds up
    if minutes_total == 0:
        return "< 1 min" if td > timedelta(0) else "0 min"
    days, rest = divmod(minutes_total, 24 * 60)
    hours_, minutes = divmod(rest, 60)
    parts = [(days, "d"), (hours_, "h"), (minutes, "min")]
    return " ".join(f"{amount} {unit}" for amount, unit in parts if amount)


def format_sla_target(td: timedelta, policy: PriorityPolicy, hours: BusinessHours) -> str:
    """A target as people read it: ``15 min`` for 24/7 clocks, ``4 business hours`` or
    ``3 business days`` for business-hours clocks (so 24 business hours is not "1 d")."""
    if not policy.business_hours:
        return format_duration(td)

    def plural(n: int, word: str) -> str:
        return f"{n} business {word}{'' if n == 1 else 's'}"

    day = hours.day_length
    if td > timedelta(0) and td % day == timedelta(0):
        return plural(td // day, "day")
    if td > timedelta(0) and td % timedelta(hours=1) == timedelta(0):
        return plural(td // timedelta(hours=1), "hour")
    return f"{format_duration(td)} of business time"
