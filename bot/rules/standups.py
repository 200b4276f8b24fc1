"""Stand-up rules (DESIGN.md 3.2): when each member is asked, reminded and summarised, in their own
timezone, and what the day's summary says. Pure: the caller passes the people, their days and `now`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.team_config import DAYS, StandupConfig

DEFAULT_QUESTIONS = (
    "What did you get done since your last stand-up?",
    "What will you do today?",
    "Anything blocking you?",
)
PLAN = 1
"""The question whose answer is shown as context the next day (the plan)."""
NO_BLOCKER = re.compile(r"^\s*(no(ne|pe|thing)?( \w+)?|n/?a|nil|-+|all good|nothing (yet|today)?)\s*[.!]*\s*$",
                        re.IGNORECASE)
MOOD_SHOWN_FROM = 3
"""Average mood is shown only when at least this many people gave one."""


@dataclass(frozen=True)
class Schedule:
    at: time
    days: frozenset[int]
    """Weekdays, Monday = 0."""
    reminder: timedelta
    window: timedelta
    holidays: frozenset[date]
    questions: tuple[str, ...]
    mood: bool

    @classmethod
    def from_config(cls, config: StandupConfig) -> Schedule:
        hours, minutes = (int(part) for part in config.time.split(":"))
        return cls(at=time(hours, minutes), days=frozenset(DAYS.index(day) for day in config.days),
                   reminder=timedelta(minutes=config.reminder_minutes), window=timedelta(hours=config.window_hours),
                   holidays=frozenset(config.holidays), questions=tuple(config.questions or DEFAULT_QUESTIONS),
                   mood=config.mood)

    @property
    def blocker_question(self) -> int | None:
        """The question about blockers: the one that says "block", else the third of the defaults."""
        for index, question in enumerate(self.questions):
            if "block" in question.lower():
                return index
        return None

    def is_team_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def opens(self, day: date, zone: ZoneInfo) -> datetime:
        """When a member in `zone` is asked for `day`, in UTC (a local time a DST change skips is read with
        the offset before the change, so it lands just after the change)."""
        return datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)

    def closes(self, day: date, zone: ZoneInfo) -> datetime:
        return self.opens(day, zone) + self.window

    def reminds(self, day: date, zone: ZoneInfo) -> datetime:
        return self.opens(day, zone) + self.reminder


@dataclass(frozen=True)
class Member:
    user_id: str
    zone: ZoneInfo
    away: tuple[tuple[date, date], ...] = ()
    """Days off they gave with `/standup away` (first, last)."""

    def is_away(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.away)


def local_day(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def open_day(schedule: Schedule, member: Member, now: datetime) -> date | None:
    """The stand-up day whose window is open for `member` at `now`, if any (a window may cross midnight)."""
    today = local_day(now, member.zone)
    for day in (today, today - timedelta(days=1)):
        if schedule.opens(day, member.zone) <= now < schedule.closes(day, member.zone):
            return day
    return None


def due_prompts(schedule: Schedule, members: Iterable[Member], now: datetime) -> list[tuple[str, date]]:
    """Who is to be asked now, and for which of their days: their window is open, it is a team day,
    not a holiday, and they did not say they are away. A prompt missed while the bot was down is still due
    while the window is open; the caller's claims make each one happen once."""
    due = []
    for member in members:
        day = open_day(schedule, member, now)
        if day is not None and schedule.is_team_day(day) and not member.is_away(day):
            due.append((member.user_id, day))
    return due


def reminder_due(schedule: Schedule, member: Member, day: date, now: datetime, *,
                 prompted_at: datetime | None = None) -> bool:
    """The one reminder: the reminder delay after the window opened (or after a late prompt was sent, so a
    prompt sent late is not followed by its reminder at once), while the window is still open."""
    if schedule.reminder <= timedelta(0):
        return False
    due = schedule.reminds(day, member.zone)
    if prompted_at is not None:
        due = max(due, prompted_at + schedule.reminder)
    return due <= now < schedule.closes(day, member.zone)


def summary_due(schedule: Schedule, zones: Iterable[ZoneInfo], day: date, now: datetime) -> bool:
    """The day's summary is due once the last member's window for it has closed."""
    closes = [schedule.closes(day, zone) for zone in zones]
    return bool(closes) and now >= max(closes)


def has_blocker(text: str) -> bool:
    return bool(text.strip()) and not NO_BLOCKER.match(text)


@dataclass(frozen=True)
class Entry:
    """One member's day as the summary sees it."""

    user_id: str
    status: str
    """prompted (and silent), answered, skipped or away."""
    answers: tuple[str, ...] = ()
    mood: int | None = None


@dataclass(frozen=True)
class Blocker:
    user_id: str
    text: str


@dataclass(frozen=True)
class Summary:
    day: date
    answered: list[str]
    skipped: list[str]
    away: list[str]
    missed: list[str]
    blockers: list[Blocker]
    mood: float | None
    moods: int
    expected: int
    """Everyone asked (or who answered): answered + skipped + missed."""
    entries: dict[str, Entry] = field(default_factory=dict)

    @property
    def progress(self) -> str:
        return f"{len(self.answered)} of {self.expected} answered"


def summarise(schedule: Schedule, day: date, entries: Sequence[Entry]) -> Summary:
    by_status: dict[str, list[str]] = {"answered": [], "skipped": [], "away": [], "prompted": []}
    for entry in entries:
        by_status.setdefault(entry.status, []).append(entry.user_id)
    blocker_at = schedule.blocker_question
    blockers = [Blocker(entry.user_id, entry.answers[blocker_at]) for entry in entries
                if entry.status == "answered" and blocker_at is not None and len(entry.answers) > blocker_at
                and has_blocker(entry.answers[blocker_at])]
    moods = [entry.mood for entry in entries if entry.status == "answered" and entry.mood is not None]
    mood = round(sum(moods) / len(moods), 1) if len(moods) >= MOOD_SHOWN_FROM else None
    expected = len(by_status["answered"]) + len(by_status["skipped"]) + len(by_status["prompted"])
    return Summary(day=day, answered=by_status["answered"], skipped=by_status["skipped"], away=by_status["away"],
                   missed=by_status["prompted"], blockers=blockers, mood=mood, moods=len(moods),
                   expected=expected, entries={entry.user_id: entry for entry in entries})


def reminder_text(answered: int, teammates: int) -> str:
    """"4 of your 6 teammates have answered": the nudge, with no names."""
    if teammates <= 0:
        return "Your stand-up is still open."
    return f"{answered} of your {teammates} teammate{'s' if teammates != 1 else ''} " \
           f"{'has' if answered == 1 else 'have'} answered."


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_away(words: Sequence[str], today: date) -> tuple[date, date] | str:
    """`away FIRST [LAST]` → the days, or what is wrong with them."""
    if not 1 <= len(words) <= 2:
        return "give the first day away, and the last if it is not the same: `/standup away 2026-12-24 2027-01-02`"
    days = [parse_day(word) for word in words]
    if any(day is None for day in days):
        return f"`{' '.join(words)}` is not a date like 2026-12-24"
    first, last = days[0], days[-1]
    assert first is not None and last is not None
    if last < first:
        return "the last day away comes before the first"
    if last < today:
        return "those days are already over"
    if (last - first).days > 366:
        return "that is more than a year away: give a shorter range"
    return first, last
