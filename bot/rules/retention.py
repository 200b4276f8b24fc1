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

The outbox's rows are keyed the same way and forgotten by the same test (`sent_deletable`): a sent (or
superseded) row goes once its key no longer needs remembering, since a plan that wrote the key again would send
it again. A row a waiting message takes a value from (a card whose update or thread reply still waits for its
`ts`) stays whatever its age; escalation keys, cards included, are remembered while the escalation may still
want them (`KEEP` after it was resolved), so the card stays as long as its updates and replies may come.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from bot.rules.keys import BASELINE_PLAN, PULSE_FOLLOW_UP, PULSE_LONGEST_ROUND, STANDUP_LOOK_BACK, Remembered, parse

__all__ = ["BASELINE_PLAN", "PULSE_FOLLOW_UP", "PULSE_LONGEST_ROUND", "STANDUP_LOOK_BACK"]

KEEP = timedelta(days=30)
"""Completed claims are kept at least this long, far beyond any job's look-back."""

MARGIN = timedelta(days=2)
"""Keys carry local dates: a day or two of slack covers every timezone and a late tick."""

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Facts:
    """What the database knows about the units behind a batch of keys."""

    resolved: Mapping[int, datetime | None] = field(default_factory=dict)
    """Escalation id -> when it was resolved (None while open); a missing id is an escalation that is gone."""
    closes: Mapping[int, datetime] = field(default_factory=dict)
    """Pulse round id -> when it closes."""


Unit = Remembered
"""What a key is about: an escalation, a pulse round, or a day after which it cannot recur (the key says)."""


def unit_of(key: str) -> Unit | None:
    """What the stored key `key` must be remembered for; None for a key of unknown shape (kept)."""
    typed = parse(key)
    return typed.remembered if typed is not None else None


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


def sent_deletable(key: str, sent_at: datetime | None, facts: Facts, now: datetime, *,
                   waited_on: Collection[str] = frozenset(), keep: timedelta = KEEP) -> bool:
    """True when the outbox row `key`, sent (or superseded) at `sent_at`, can be deleted at `now`: no waiting
    message takes a value from it (`waited_on`: the keys waiting rows' references name) and its key no longer
    needs remembering (the claims' test)."""
    return key not in waited_on and deletable(key, sent_at, facts, now, keep=keep)


def escalations_in(keys: list[str]) -> set[int]:
    """The escalations a batch of keys is about, for the facts to look up."""
    return {unit.escalation for key in keys if (unit := unit_of(key)) and unit.escalation is not None}


def rounds_in(keys: list[str]) -> set[int]:
    return {unit.pulse_round for key in keys if (unit := unit_of(key)) and unit.pulse_round is not None}
