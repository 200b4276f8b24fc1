"""Pulse surveys (DESIGN.md 3.4): the questions a round asks, when it opens, reminds and closes, and the
names of its units of work. Pure: no Slack, no SQL; time is an argument.

The schedule, one round per team per ISO week:
- The round's day is the team's pulse weekday in that week. Each member is asked on that day at the
  pulse time in their own timezone (their Slack `tz`, else the team's).
- The round opens at the team's first ask (the earliest of those local times) and closes
  `close_after_hours` later. Halfway to the close, non-responders get one reminder.
- Someone whose local pulse time falls at or after the halfway point (a short window and a team spread
  over many timezones) is asked at the opening instead, so everyone is asked before the reminder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.rules.team_config import DAYS, PulseConfig

DEFAULT_QUESTIONS: tuple[str, ...] = (
    "How do you feel about work this week?",
    "My workload is manageable",
    "I have the tools and support I need to help customers",
    "I feel recognised for my work",
)
ENPS_QUESTION = "How likely are you to recommend this team as a place to work?"
COMMENT_MAX = 2000
"""The optional comment's length limit, in characters."""


@dataclass(frozen=True)
class Question:
    text: str
    low: int = 1
    high: int = 5

    @property
    def is_enps(self) -> bool:
        return (self.low, self.high) == (0, 10)

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "low": self.low, "high": self.high}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(text=str(data["text"]), low=int(data["low"]), high=int(data["high"]))


def questions_of(config: PulseConfig) -> tuple[Question, ...]:
    """What a new round asks: the team's 1–5 questions (or the defaults), then the eNPS question."""
    texts = config.questions or DEFAULT_QUESTIONS
    return (*(Question(text) for text in texts), Question(ENPS_QUESTION, 0, 10))


def questions_from_json(stored: Sequence[dict[str, Any]]) -> tuple[Question, ...]:
    """The questions a round was asked with, as it stored them."""
    return tuple(Question.from_json(item) for item in stored)


# --------------------------------------------------------------------------- schedule

@dataclass(frozen=True)
class Window:
    """One round's time: the pulse day, the first ask, the reminder and the close (UTC)."""

    day: date
    opens_at: datetime
    closes_at: datetime

    @property
    def week(self) -> str:
        """The round's name: its ISO week, e.g. `2026-W45`."""
        return week_of(self.day)

    @property
    def reminder_at(self) -> datetime:
        return self.opens_at + (self.closes_at - self.opens_at) / 2

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def pulse_day(weekday: str, in_week_of: date) -> date:
    """The pulse weekday (`fri`) of the ISO week that contains `in_week_of`."""
    monday = in_week_of - timedelta(days=in_week_of.weekday())
    return monday + timedelta(days=DAYS.index(weekday))


def local_ask(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """`day` at `hhmm` in `zone`, in UTC (a time skipped by a DST change falls an hour later)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=zone)
    return local.astimezone(UTC)


def window(day: date, config: PulseConfig, zones: Iterable[ZoneInfo]) -> Window:
    """The round of `day` for a team whose members live in `zones` (at least one: the team's)."""
    opens = min(local_ask(day, config.time, zone) for zone in zones)
    return Window(day=day, opens_at=opens, closes_at=opens + timedelta(hours=config.close_after_hours))


def current_window(now: datetime, config: PulseConfig, zones: Sequence[ZoneInfo]) -> Window | None:
    """The latest round that has opened by `now` (open or already closed), looking a week either side."""
    today = now.astimezone(UTC).date()
    candidates = [window(pulse_day(config.day, today + timedelta(days=7 * offset)), config, zones)
                  for offset in (-1, 0, 1)]
    opened = [w for w in candidates if w.opens_at <= now]
    return max(opened, key=lambda w: w.opens_at) if opened else None


def ask_at(round_window: Window, hhmm: str, zone: ZoneInfo) -> datetime:
    """When a member in `zone` is asked: their local pulse time, unless that is at or after the halfway
    reminder (then at the opening)."""
    local = local_ask(round_window.day, hhmm, zone)
    if local < round_window.opens_at or local >= round_window.reminder_at:
        return round_window.opens_at
    return local

