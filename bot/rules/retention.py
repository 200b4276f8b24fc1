"""Which claims may be forgotten: the claims table would otherwise grow by a row per message for ever.

A claim is what stops a unit of work (a prompt, a digest, a reminder) from being done twice, so it may
only go once nothing could ever want that unit again. A completed claim is deletable when it is older
than `KEEP` and its unit can no longer recur:
- escalation claims (`esc:42:...`) once the escalation was resolved more than `KEEP` ago (a resolved
  escalation's follow-ups are sent for two days; actions on an old card make new events, new keys);
- dated claims (stand-ups, KPI digests and alerts, the weekly review, baseline summaries, pulse
  roll-ups) once their day is past the look-back of the job that sends them;
- pulse claims (`pulse:7:...`) once their round closed past the pulse job's follow-up;
- Events API deliveries (`slack-event:<day>:<event id>`, one per App Home opening) after their day.
A claim never completed is kept (its work may still be retried, and it shows what failed), and so is
any key this module does not recognise: forgetting a claim too early sends its message again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

KEEP = timedelta(days=30)
"""Completed claims are kept at least this long, far beyond any job's look-back."""

MARGIN = timedelta(days=2)
"""Keys carry local dates: a day or two of slack covers every timezone and a late tick."""

STANDUP_LOOK_BACK = timedelta(days=3)  # handlers.standups.jobs.LOOK_BACK
PULSE_FOLLOW_UP = timedelta(days=2)  # handlers.pulse.jobs.FOLLOW_UP
PULSE_LONGEST_ROUND = timedelta(days=7)  # PulseConfig.close_after_hours is at most a week
BASELINE_PLAN = timedelta(days=30)  # bot.rules.kpi_plan.PLAN_DAYS
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Facts:
    """What the database knows about the units behind a batch of keys."""

    resolved: Mapping[int, datetime | None] = field(default_factory=dict)
    """Escalation id -> when it was resolved (None while open); a missing id is an escalation that is gone."""
    closes: Mapping[int, datetime] = field(default_factory=dict)
    """Pulse round id -> when it closes."""


@dataclass(frozen=True)
class Unit:
    """What a key is about: an escalation, a pulse round, or a day after which it cannot recur."""

    escalation: int | None = None
    pulse_round: int | None = None
    last_day: date | None = None


def unit_of(key: str) -> Unit | None:
    """The unit of work behind `key`; None for a key of unknown shape (kept)."""
    parts = key.split(":")
    kind = parts[0]
    try:
        if kind == "esc" and len(parts) >= 3:
            return Unit(escalation=int(parts[1]))
        if kind == "pulse" and len(parts) >= 3:
            return Unit(pulse_round=int(parts[1]))
        if kind == "standup" and len(parts) >= 4:
            return Unit(last_day=date.fromisoformat(parts[2]) + STANDUP_LOOK_BACK)
        if kind == "kpi-digest" and len(parts) >= 3:
            return Unit(last_day=date.fromisoformat(parts[2]) + timedelta(days=1))  # the day after it, only
        if kind == "kpi-alert" and len(parts) == 5:
            return Unit(last_day=date.fromisoformat(parts[3]) + timedelta(days=1))
        if kind == "kpi-baseline" and len(parts) == 5:
            return Unit(last_day=date.fromisoformat(parts[3]) + BASELINE_PLAN + timedelta(days=1))
        if kind == "escalation-review" and len(parts) == 3:
            return Unit(last_day=date.fromisoformat(parts[2]))  # the Monday that ends the week
        if kind == "slack-event" and len(parts) >= 3:
            return Unit(last_day=date.fromisoformat(parts[1]))  # Slack retries a delivery within minutes
        if kind == "pulse-rollup" and len(parts) == 3:
            return Unit(last_day=_week_end(parts[1]) + PULSE_LONGEST_ROUND + PULSE_FOLLOW_UP)
    except ValueError:
        return None
    return None


def _week_end(iso_week: str) -> date:
    """The Sunday of `2026-W45`."""
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 7)


def recurs_until(unit: Unit, facts: Facts) -> datetime | None:
    """The last moment anything could want the unit again; None when nobody can say yet (kept)."""
    if unit.escalation is not None:
        if unit.escalation not in facts.resolved:
            return None  # not looked up, or deleted: keep rather than guess
        resolved = facts.resolved[unit.escalation]
        return resolved + KEEP if resolved is not None else None
    if unit.pulse_round is not None:
        closes = facts.closes.get(unit.pulse_round)
        return closes + PULSE_FOLLOW_UP if closes is not None else None
    if unit.last_day is not None:
        return datetime.combine(unit.last_day, time(0), tzinfo=UTC) + timedelta(days=1) + MARGIN
    return None


def deletable(key: str, done_at: datetime | None, facts: Facts, now: datetime, *, keep: timedelta = KEEP) -> bool:
    """True when the claim `key`, completed at `done_at`, can be deleted at `now` without any job redoing it."""
    if done_at is None or done_at > now - keep:
        return False
    unit = unit_of(key)
    if unit is None:
        return False
    until = recurs_until(unit, facts)
    return until is not None and until < now


def escalations_in(keys: list[str]) -> set[int]:
    """The escalations a batch of keys is about, for the facts to look up."""
    return {unit.escalation for key in keys if (unit := unit_of(key)) and unit.escalation is not None}


def rounds_in(keys: list[str]) -> set[int]:
    return {unit.pulse_round for key in keys if (unit := unit_of(key)) and unit.pulse_round is not None}
