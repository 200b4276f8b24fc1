"""Typed keys: the name of one message (or one unit of scheduled work) that must happen once.

A key is a small frozen value — its feature, its subject, its day, round or sequence — that renders to the
string stored in the database (`str(key)`, stable: changing one would send everything again) and knows how
long it must be remembered (`remembered`), so that retention asks the key instead of parsing it. `parse` reads
a stored string back (rows written before the keys were typed, and housekeeping's pages of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

STANDUP_LOOK_BACK = timedelta(days=3)  # handlers.standups.jobs.LOOK_BACK
PULSE_FOLLOW_UP = timedelta(days=2)  # handlers.pulse.jobs.FOLLOW_UP
PULSE_LONGEST_ROUND = timedelta(days=7)  # PulseConfig.close_after_hours is at most a week
BASELINE_PLAN = timedelta(days=30)  # bot.rules.kpi_plan.PLAN_DAYS


@dataclass(frozen=True)
class Remembered:
    """How long a key must be kept: while its escalation or pulse round may still want it, or up to a day."""

    escalation: int | None = None
    pulse_round: int | None = None
    last_day: date | None = None


class Key:
    """What every typed key offers."""

    def __str__(self) -> str:  # pragma: no cover - every key renders itself
        raise NotImplementedError

    @property
    def remembered(self) -> Remembered:  # pragma: no cover
        raise NotImplementedError


# --------------------------------------------------------------------------- escalations

@dataclass(frozen=True)
class EscalationKey(Key):
    """One message about escalation `escalation`: `part` names it within the escalation (card, reply, …)."""

    escalation: int
    part: tuple[str, ...]

    def __str__(self) -> str:
        return ":".join(("esc", str(self.escalation), *self.part))

    @property
    def remembered(self) -> Remembered:
        return Remembered(escalation=self.escalation)


def card(escalation: int, channel: str) -> EscalationKey:
    """The escalation's card in one channel."""
    return EscalationKey(escalation, ("card", channel))


def card_update(escalation: int, channel: str, version: str) -> EscalationKey:
    """One update of the card in `channel` (to the timeline up to an event, or to show a breach)."""
    return EscalationKey(escalation, ("card", channel, "update", version))


def event_reply(escalation: int, event: int, channel: str) -> EscalationKey:
    """The thread reply about one timeline event under the card in `channel`."""
    return EscalationKey(escalation, ("event", str(event), "reply", channel))


def event_dm(escalation: int, event: int, person: str) -> EscalationKey:
    """The DM to one person about one timeline event."""
    return EscalationKey(escalation, ("event", str(event), "dm", person))


def sla_reminder(escalation: int, clock: str, due: datetime, stage: str) -> EscalationKey:
    """One stage (warning, breach, repeat-N) of one run of an SLA clock: a restarted clock is a new run."""
    return EscalationKey(escalation, (clock, due.isoformat(), stage))


# --------------------------------------------------------------------------- stand-ups

def _standup(team_key: str, day: date, *part: str) -> DatedKey:
    return DatedKey("standup", day, (team_key,), part, keep_after=STANDUP_LOOK_BACK)


def standup_prompt(team_key: str, user_id: str, day: date) -> DatedKey:
    """One member's stand-up prompt (a DM) for one of their local days."""
    return _standup(team_key, day, "prompt", user_id)


def standup_prompt_update(team_key: str, user_id: str, day: date, state: str) -> DatedKey:
    """The prompt shown as `state` (answered, skipped): once per state."""
    return _standup(team_key, day, "prompt", user_id, state)


def standup_reminder(team_key: str, user_id: str, day: date) -> DatedKey:
    return _standup(team_key, day, "reminder", user_id)


def standup_parent(team_key: str, day: date) -> DatedKey:
    """The team's day message in the report channel."""
    return _standup(team_key, day, "parent")


def standup_parent_update(team_key: str, day: date, answers: int) -> DatedKey:
    """The day message shown as of `answers` answers and edits (each raises the count by one)."""
    return _standup(team_key, day, "parent", "update", str(answers))


def standup_summary(team_key: str, day: date) -> DatedKey:
    """The day message turned into the summary at the window's close."""
    return _standup(team_key, day, "summary")


def standup_reply(team_key: str, day: date, user_id: str) -> DatedKey:
    """One member's answer, a thread reply under the day message."""
    return _standup(team_key, day, "reply", user_id)


def standup_reply_update(team_key: str, day: date, user_id: str, version: int) -> DatedKey:
    """The reply shown as of the answer's `version` (an edit)."""
    return _standup(team_key, day, "reply", user_id, str(version))


# --------------------------------------------------------------------------- dated and per-round keys

@dataclass(frozen=True)
class DatedKey(Key):
    """A unit of one feature for one day: `feature:<subject…>:<day>:<part…>` in the order `layout` says."""

    feature: str
    day: date
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    keep_after: timedelta = timedelta(0)
    """How long after `day` the unit may still recur (its job's look-back)."""

    def __str__(self) -> str:
        return ":".join((self.feature, *self.before, self.day.isoformat(), *self.after))

    @property
    def remembered(self) -> Remembered:
        return Remembered(last_day=self.day + self.keep_after)


@dataclass(frozen=True)
class RoundKey(Key):
    """A unit of one pulse round."""

    round_id: int
    part: tuple[str, ...]

    def __str__(self) -> str:
        return ":".join(("pulse", str(self.round_id), *self.part))

    @property
    def remembered(self) -> Remembered:
        return Remembered(pulse_round=self.round_id)


@dataclass(frozen=True)
class StoredKey(Key):
    """A stored string read back, with what it must be remembered for (None: unknown, kept for ever)."""

    text: str
    known: Remembered | None

    def __str__(self) -> str:
        return self.text

    @property
    def remembered(self) -> Remembered:
        return self.known or Remembered()


def parse(stored: str) -> Key | None:
    """The key behind a stored string; None for a string of unknown shape (kept for ever)."""
    parts = stored.split(":")
    kind = parts[0]
    try:
        if kind == "esc" and len(parts) >= 3:
            return EscalationKey(int(parts[1]), tuple(parts[2:]))
        if kind == "pulse" and len(parts) >= 3:
            return RoundKey(int(parts[1]), tuple(parts[2:]))
        if kind == "standup" and len(parts) >= 4:
            return DatedKey("standup", date.fromisoformat(parts[2]), (parts[1],), tuple(parts[3:]), STANDUP_LOOK_BACK)
        if kind == "kpi-digest" and len(parts) >= 3:
            return DatedKey(kind, date.fromisoformat(parts[2]), (parts[1],), tuple(parts[3:]), timedelta(days=1))
        if kind == "kpi-alert" and len(parts) == 5:
            return DatedKey(kind, date.fromisoformat(parts[3]), tuple(parts[1:3]), (parts[4],), timedelta(days=1))
        if kind == "kpi-baseline" and len(parts) == 5:
            return DatedKey(kind, date.fromisoformat(parts[3]), tuple(parts[1:3]), (parts[4],),
                            BASELINE_PLAN + timedelta(days=1))
        if kind == "escalation-review" and len(parts) == 3:
            return DatedKey(kind, date.fromisoformat(parts[2]), (parts[1],))  # the Monday that ends the week
        if kind == "slack-event" and len(parts) >= 3:
            return DatedKey(kind, date.fromisoformat(parts[1]), (), tuple(parts[2:]))
        if kind == "pulse-rollup" and len(parts) == 3:
            return StoredKey(stored, Remembered(last_day=_week_end(parts[1]) + PULSE_LONGEST_ROUND + PULSE_FOLLOW_UP))
    except ValueError:
        return None
    return None


def _week_end(iso_week: str) -> date:
    """The Sunday of `2026-W45`."""
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 7)
