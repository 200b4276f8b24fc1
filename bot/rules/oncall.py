"""The on-call chain: levels of people DMed one after another until someone acknowledges.

A team without a paging product configures `escalation_policy.on_call` (`OnCallConfig`): each level (the
owner, whoever is on call this week, a list of people or a user group) is told `after` its delay from the
escalation's opening while it is still unacknowledged; the whole chain runs again `repeat` times, one round
every `repeat_every`. During the team's quiet hours the chain's clock stops, except for the priorities that
page through them (P1 by default): a P3 opened at 23:00 reaches its first level at 07:00.

Pure: the configuration, what the chain reads of an escalation and `now` in; the levels due and whom to tell
out. Each notice has a stable place (its round and level), which the flow turns into one outbox key per
person: a restart or a second replica never tells anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.oncall_config import OnCallConfig, QuietHours, WeeklyRotation

ROUND_GAP = timedelta(minutes=30)
"""A round lasts its last level's delay plus this, unless the team sets `repeat_every`."""


@dataclass(frozen=True)
class ChainState:
    """What the chain reads of an escalation (the stored row has these fields)."""

    priority: str
    status: str
    owner: str | None
    opened_at: datetime


@dataclass(frozen=True)
class Notice:
    """One level of one round of the chain, due `at`: the people to DM and the user groups to expand."""

    round: int
    level: int
    at: datetime
    people: tuple[str, ...]
    groups: tuple[str, ...] = ()


def on_call(rotation: WeeklyRotation, tz: ZoneInfo, at: datetime) -> str:
    """Who is on call at `at`: weeks count from `starts` at `handover`, team time; the list goes round."""
    local = at.astimezone(tz)
    days = (local.date() - rotation.starts).days
    if local.time() < time.fromisoformat(rotation.handover):
        days -= 1  # the handover day belongs to the week before until the handover
    return rotation.weekly[(days // 7) % len(rotation.weekly)]


def _windows(quiet: QuietHours, tz: ZoneInfo, around: datetime) -> list[tuple[datetime, datetime]]:
    """The quiet windows [from, to) starting the day before `around` up to two days after, in UTC."""
    start, end = time.fromisoformat(quiet.from_), time.fromisoformat(quiet.to)
    day = around.astimezone(tz).date()
    found = []
    for offset in (-1, 0, 1, 2):
        opens = day + timedelta(days=offset)
        closes = opens if end > start else opens + timedelta(days=1)
        found.append((datetime.combine(opens, start, tzinfo=tz).astimezone(UTC),
                      datetime.combine(closes, end, tzinfo=tz).astimezone(UTC)))
    return found


def is_quiet(quiet: QuietHours, tz: ZoneInfo, at: datetime) -> bool:
    return any(opens <= at < closes for opens, closes in _windows(quiet, tz, at))


def awake_after(start: datetime, delay: timedelta, quiet: QuietHours | None, tz: ZoneInfo) -> datetime:
    """`start` plus `delay` on a clock that stops during quiet hours (a start in them waits for their end)."""
    at, left = start.astimezone(UTC), delay
    if quiet is None:
        return at + left
    while True:
        opens, closes = next((o, c) for o, c in _windows(quiet, tz, at) if c > at)
        if opens <= at:  # quiet now: wait for the end
            at = closes
        elif at + left < opens:
            return at + left
        else:
            left -= opens - at
            at = closes


def round_length(config: OnCallConfig) -> timedelta:
    if config.repeat_every is not None:
        return timedelta(minutes=config.repeat_every)
    return timedelta(minutes=config.chain[-1].after) + ROUND_GAP


def quiet_for(config: OnCallConfig, priority: str) -> QuietHours | None:
    """The quiet hours that hold for this priority (none for a priority that pages through them)."""
    quiet = config.quiet_hours
    return None if quiet is None or priority in quiet.except_ else quiet


def schedule(config: OnCallConfig, priority: str, opened_at: datetime, tz: ZoneInfo) -> list[tuple[int, int, datetime]]:
    """Every (round, level, time) of the chain for an escalation opened at `opened_at`, in order."""
    quiet, length = quiet_for(config, priority), round_length(config)
    return [(number, index, awake_after(opened_at, number * length + timedelta(minutes=level.after), quiet, tz))
            for number in range(config.repeat + 1) for index, level in enumerate(config.chain)]


def due(config: OnCallConfig, state: ChainState, tz: ZoneInfo, now: datetime) -> list[Notice]:
    """The levels of the latest round that has begun whose time has come, while the escalation is still
    unacknowledged (an acknowledgement or a resolution stops the chain). Levels of earlier rounds a stopped
    scheduler missed are not told late: the current round says it all."""
    if state.status != "open":
        return []
    passed = [(number, index, at) for number, index, at in schedule(config, state.priority, state.opened_at, tz)
              if at <= now]
    if not passed:
        return []
    latest = passed[-1][0]
    found = []
    for number, index, at in passed:
        if number == latest:
            notice = _notice(config, state, tz, number, index, at)
            if notice.people or notice.groups:
                found.append(notice)
    return found


def _notice(config: OnCallConfig, state: ChainState, tz: ZoneInfo, number: int, index: int,
            at: datetime) -> Notice:
    notify = config.chain[index].notify
    if notify == "owner":
        return Notice(number, index, at, (state.owner,) if state.owner else ())
    if notify == "on_call":
        assert config.rotation is not None  # OnCallConfig refuses an on_call level without one
        return Notice(number, index, at, (on_call(config.rotation, tz, at),))
    listed = [notify] if isinstance(notify, str) else notify
    return Notice(number, index, at, tuple(p for p in listed if not p.startswith("S")),
                  tuple(g for g in listed if g.startswith("S")))
