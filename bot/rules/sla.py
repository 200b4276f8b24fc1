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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

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

# --------------------------------------------------------------------------- business hours

@dataclass(frozen=True)
class BusinessHours:
    """Local wall-clock opening hours, the same on every open day.

    ``days`` are weekday numbers, 0 = Monday … 6 = Sunday.
    """

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours are local wall-clock times; give them without a timezone")
        if not self.start < self.end:
            raise ValueError(f"business hours start {self.start:%H:%M} must be before end {self.end:%H:%M}")
        if not self.days:
            raise ValueError("business hours need at least one day")
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"business days must be weekday numbers 0–6, got {sorted(self.days)}")

    @property
    def day_length(self) -> timedelta:
        """Length of one business day on the wall clock (8 h for 09:00–17:00)."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")


def _window(day: date, tz: ZoneInfo, hours: BusinessHours) -> tuple[datetime, datetime] | None:
    """The UTC instants that open and close business hours on local ``day``, or None if closed.

    Wall-clock times that do not exist (skipped by a spring-forward) resolve to the
    moment after the jump; ambiguous ones (repeated by a fall-back) to the first.
    """
    if day.weekday() not in hours.days:
        return None
    opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
    closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
    return (opens, closes) if opens < closes else None


def add_business_time(start: datetime, duration: timedelta, tz: ZoneInfo, hours: BusinessHours) -> datetime:
    """The instant at which ``duration`` of business time has passed since ``start``.

    Starting outside business hours, the clock starts at the next opening. A result
    that lands exactly on closing time is closing time (not the next opening).
    A zero duration returns ``start`` unchanged, even outside business hours.
    ``start`` must be timezone-aware; the result is aware UTC.
    """
    _require_aware(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    current = start.astimezone(UTC)
    if duration == timedelta(0):
        return current
    remaining = duration
    day = current.astimezone(tz).date()
    while True:
        window = _window(day, tz, hours)
        if window is not None:
            opens, closes = window
            begin = max(opens, current)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)


def business_time_between(start: datetime, end: datetime, tz: ZoneInfo, hours: BusinessHours) -> timedelta:
    """Business time between two instants: the inverse of :func:`add_business_time`.

    Signed like plain subtraction: negative when ``end`` is before ``start``.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -business_time_between(end, start, tz, hours)
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    day, last = begin.astimezone(tz).date(), finish.astimezone(tz).date()
    while day <= last:
        window = _window(day, tz, hours)
        if window is not None:
            overlap = min(window[1], finish) - max(window[0], begin)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def due_at(
    start: datetime, duration: timedelta, policy: PriorityPolicy, tz: ZoneInfo, hours: BusinessHours
) -> datetime:
    """When a clock of ``duration`` started at ``start`` runs out under ``policy`` (aware UTC)."""
    _require_aware(start, "start")
    if policy.business_hours:
        return add_business_time(start, duration, tz, hours)
    return start.astimezone(UTC) + duration


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
) -> list[tuple[str, datetime]]:
    """The reminders for one SLA clock, in order.

    ``("warning", …)`` when ``warn_fraction`` of the duration has passed (in business
    time for a business-hours policy), ``("breach", …)`` when it runs out, then
    ``("repeat-1", …)`` … ``("repeat-N", …)`` every ``repeat_every`` of wall-clock time
    after the breach, at most ``max_repeats``. The names are stable: callers use
    them to claim each reminder once.
    """
    if not 0 < warn_fraction < 1:
        raise ValueError(f"warn_fraction must be between 0 and 1, got {warn_fraction}")
    if max_repeats < 0:
        raise ValueError(f"max_repeats must not be negative, got {max_repeats}")
    if max_repeats and repeat_every <= timedelta(0):
        raise ValueError(f"repeat_every must be positive, got {repeat_every}")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration}")
    breach = due_at(started, duration, policy, tz, hours)
    schedule = [
        ("warning", due_at(started, duration * warn_fraction, policy, tz, hours)),
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
