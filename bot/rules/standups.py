"""Stand-up rules (DESIGN.md 3.2): when each member is asked, reminded and summarised, in their own
timezone, and what the day's summary says. Pure: the caller passes the people, their days and `now`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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


NOT_RUNNING = "the bot was not running at their time"
NOT_YET = "their stand-up has not opened yet"
OPEN_NOW = "their prompt is on its way"
DAY_OFF = "day off"
"""Why a member was not asked (no row for the day): what `not_asked_why` says."""


@dataclass(frozen=True)
class NotAsked:
    user_id: str
    why: str
    expected: bool
    """Counted in the day's `N of M`: they should have been asked (a day off is not)."""


def not_asked_why(schedule: Schedule, member: Member, day: date, now: datetime,
                  refused: str | None = None) -> NotAsked | None:
    """Why a member with no row for `day` has none; None when they count as away (days off they gave)."""
    if member.is_away(day):
        return None
    if not schedule.is_team_day(day):
        return NotAsked(member.user_id, DAY_OFF, expected=False)
    if now < schedule.opens(day, member.zone):
        return NotAsked(member.user_id, NOT_YET, expected=True)
    if refused:
        return NotAsked(member.user_id, f"Slack refused their prompt ({refused})", expected=True)
    if now < schedule.closes(day, member.zone):
        return NotAsked(member.user_id, OPEN_NOW, expected=True)
    return NotAsked(member.user_id, NOT_RUNNING, expected=True)


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
    """The members expected that day: answered + skipped + missed + not asked (a day off aside)."""
    entries: dict[str, Entry] = field(default_factory=dict)
    not_asked: list[NotAsked] = field(default_factory=list)
    """Members of the team with no row for the day, each with why."""

    @property
    def progress(self) -> str:
        return f"{len(self.answered)} of {self.expected} answered"


def summarise(schedule: Schedule, day: date, entries: Sequence[Entry], members: Sequence[Member] = (),
              now: datetime | None = None, refused: Mapping[str, str] | None = None) -> Summary:
    """The day as the summary tells it. Every one of `members` is in exactly one list: answered, skipped,
    away, missed (asked, silent) or not asked (with why; `refused` holds the Slack errors of prompts that
    could not be sent). Someone no longer a member is listed by their row. `now` defaults to after every window."""
    by_status: dict[str, list[str]] = {"answered": [], "skipped": [], "away": [], "prompted": []}
    for entry in entries:
        by_status.setdefault(entry.status, []).append(entry.user_id)
    seen = {entry.user_id for entry in entries}
    not_asked: list[NotAsked] = []
    for member in members:
        if member.user_id in seen:
            continue
        seen.add(member.user_id)
        why = not_asked_why(schedule, member, day, now or datetime.max.replace(tzinfo=UTC),
                            (refused or {}).get(member.user_id))
        if why is None:
            by_status["away"].append(member.user_id)
        else:
            not_asked.append(why)
    blocker_at = schedule.blocker_question
    blockers = [Blocker(entry.user_id, entry.answers[blocker_at]) for entry in entries
                if entry.status == "answered" and blocker_at is not None and len(entry.answers) > blocker_at
                and has_blocker(entry.answers[blocker_at])]
    moods = [entry.mood for entry in entries if entry.status == "answered" and entry.mood is not None]
    mood = round(sum(moods) / len(moods), 1) if len(moods) >= MOOD_SHOWN_FROM else None
    expected = len(by_status["answered"]) + len(by_status["skipped"]) + len(by_status["prompted"]) \
        + sum(why.expected for why in not_asked)
    return Summary(day=day, answered=by_status["answered"], skipped=by_status["skipped"], away=by_status["away"],
                   missed=by_status["prompted"], blockers=blockers, mood=mood, moods=len(moods),
                   expected=expected, entries={entry.user_id: entry for entry in entries}, not_asked=not_asked)


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
