"""Business hours: a team's local opening hours, its holidays and a country's public holidays, and business
time counted in them.

Pure: no Slack, no database, no clock. Every instant is a timezone-aware ``datetime`` passed in by the caller;
results are aware UTC datetimes. Business time is counted in the team's local wall-clock hours (``tz``), so a
clock that runs across a weekend, a holiday or a daylight-saving change ends at the local time a person would
expect.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class BusinessHours:
    """Local wall-clock opening hours, the same on every open day.

    ``days`` are weekday numbers, 0 = Monday … 6 = Sunday.
    """

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    holidays: frozenset[date] = frozenset()
    """The team's own days off (local dates): closed all day."""
    country: str | None = None
    """A country code of the `holidays` package (``GB``, ``US``, ``DE``…): its public holidays are closed too."""

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours are local wall-clock times; give them without a timezone")
        if not self.start < self.end:
            raise ValueError(f"business hours start {self.start:%H:%M} must be before end {self.end:%H:%M}")
        if not self.days:
            raise ValueError("business hours need at least one day")
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"business days must be weekday numbers 0–6, got {sorted(self.days)}")
        if self.country is not None:
            public_holidays(self.country)  # an unknown country is a ValueError now, not at the first clock

    def is_open_on(self, day: date) -> bool:
        """A business day: one of `days`, neither a team holiday nor a public holiday of `country`."""
        if day.weekday() not in self.days or day in self.holidays:
            return False
        return self.country is None or day not in public_holidays(self.country)

    @property
    def day_length(self) -> timedelta:
        """Length of one business day on the wall clock (8 h for 09:00–17:00)."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


@lru_cache(maxsize=32)
def public_holidays(country: str) -> Container[date]:
    """The public holidays of `country` (a code of the `holidays` package), any year, filled in as asked.
    ValueError for a country the package does not know."""
    code, _, subdivision = country.partition("-")
    try:
        return holidays.country_holidays(code, subdiv=subdivision or None)
    except NotImplementedError:
        raise ValueError(f"unknown country {country!r} for public holidays: expected a code like GB, US or "
                         "DE (or a subdivision like US-CA)") from None


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")


def _window(day: date, tz: ZoneInfo, hours: BusinessHours) -> tuple[datetime, datetime] | None:
    """The UTC instants that open and close business hours on local ``day``, or None if closed.

    Wall-clock times that do not exist (skipped by a spring-forward) resolve to the
    moment after the jump; ambiguous ones (repeated by a fall-back) to the first.
    """
    if not hours.is_open_on(day):
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
    require_aware(start, "start")
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
    require_aware(start, "start")
    require_aware(end, "end")
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


