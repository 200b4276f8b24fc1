"""Escalation rules beyond the SLA arithmetic: which clocks run, which reminder is due, the stats.

Pure: no Slack, no SQL. Time comes in as `now`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from bot.rules import keys
from bot.rules.percentiles import median, percentile
from bot.rules.sla import (
    DEFAULT_POLICIES,
    BusinessHours,
    Pause,
    Priority,
    PriorityPolicy,
    as_priority,
    format_duration,
    paused_due,
    reminder_times,
)
from bot.rules.sla_attainment import Attainment
from bot.rules.team_config import DAYS, EscalationPolicyConfig

Status = Literal["open", "acknowledged", "resolved"]
ClockName = Literal["ack", "update", "resolve"]

ROOT_CAUSES: Mapping[str, str] = {
    "product_bug": "Product bug",
    "how_to": "How-to question",
    "billing": "Billing",
    "outage": "Outage",
    "feature_gap": "Feature gap",
    "other": "Other",
}
CLOCK_LABELS: Mapping[ClockName, str] = {
    "ack": "acknowledgement",
    "update": "customer update",
    "resolve": "resolution",
}
REPEAT_EVERY = timedelta(minutes=30)
MAX_REPEATS = 3


@dataclass(frozen=True)
class TeamPolicy:
    """A team's SLA policies, business hours and timezone."""

    policies: Mapping[Priority, PriorityPolicy]
    hours: BusinessHours
    tz: ZoneInfo

    @classmethod
    def from_config(cls, config: EscalationPolicyConfig, timezone: str, *, holidays: Iterable[date] = (),
                    holidays_country: str | None = None) -> TeamPolicy:
        """The team's policy from its validated configuration (`TeamConfig.escalation_policy`): the
        defaults, with each override the team set; the team's holidays and its country's public holidays
        (`TeamConfig.standup.holidays`, `TeamConfig.holidays_country`) close the business-hours clocks."""
        policies = dict(DEFAULT_POLICIES)
        for priority, override in config.priorities.items():
            base = policies[priority]
            policies[priority] = PriorityPolicy(
                ack=_minutes(override.ack_minutes, base.ack),
                update_every=_minutes(override.update_minutes, base.update_every),
                resolve=_minutes(override.resolve_minutes, base.resolve),
                business_hours=base.business_hours if override.business_hours is None else override.business_hours,
            )
        hours = config.business_hours
        return cls(
            policies=policies,
            hours=BusinessHours(start=time.fromisoformat(hours.start), end=time.fromisoformat(hours.end),
                                days=frozenset(DAYS.index(day) for day in hours.days),
                                holidays=frozenset(holidays), country=holidays_country),
            tz=ZoneInfo(timezone),
        )

    @classmethod
    def default(cls, timezone: str = "UTC") -> TeamPolicy:
        return cls.from_config(EscalationPolicyConfig(), timezone)

    def of(self, priority: str) -> PriorityPolicy:
        return self.policies.get(as_priority(priority), DEFAULT_POLICIES[as_priority(priority)])

    def due(self, start: datetime, duration: timedelta, priority: str, pauses: Sequence[Pause] = ()) -> datetime:
        return paused_due(start, duration, self.of(priority), self.tz, self.hours, pauses)


class SlaState(Protocol):
    """What the rules need to know of an escalation (the stored model satisfies it)."""

    @property
    def id(self) -> int: ...
    @property
    def priority(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def priority_changed_at(self) -> datetime: ...
    @property
    def last_update_at(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def pauses(self) -> Sequence[Pause]: ...


@dataclass(frozen=True)
class Deadlines:
    """The SLA due times. While the escalation waits on the customer (`paused_at`), the update and resolution
    due times are those the clocks had when the pause began, and a clock that had not run out by then is
    stopped: it runs again, its due time moved by the pause, when the pause ends."""

    ack_due: datetime
    update_due: datetime
    resolve_due: datetime
    paused_at: datetime | None = None

    def stopped(self, clock: ClockName) -> bool:
        """The clock is paused (the acknowledgement never is; a clock already overdue at the pause runs on)."""
        due = self.update_due if clock == "update" else self.resolve_due
        return clock != "ack" and self.paused_at is not None and self.paused_at < due

    def left_when_paused(self, clock: ClockName) -> timedelta | None:
        """Wall-clock time the stopped clock had left when the pause began; None when it is not stopped."""
        if not self.stopped(clock) or self.paused_at is None:
            return None
        return (self.update_due if clock == "update" else self.resolve_due) - self.paused_at


def _minutes(value: int | None, default: timedelta) -> timedelta:
    return default if value is None else timedelta(minutes=value)


def deadlines(policy: TeamPolicy, priority: str, clocks_started: datetime,
              last_update_at: datetime | None = None, pauses: Sequence[Pause] = (),
              paused_at: datetime | None = None) -> Deadlines:
    """SLA due times. The clocks start when the escalation opens and restart when its priority
    changes; the update cadence counts from the latest customer update. The pauses that ended move the
    update and resolution due times (`bot.rules.sla.paused_due`); the one going on stops them."""
    rules = policy.of(priority)
    update_from = max(clocks_started, last_update_at) if last_update_at else clocks_started
    return Deadlines(
        ack_due=policy.due(clocks_started, rules.ack, priority),
        update_due=policy.due(update_from, rules.update_every, priority, pauses),
        resolve_due=policy.due(clocks_started, rules.resolve, priority, pauses),
        paused_at=paused_at,
    )


def deadlines_of(escalation: SlaState, policy: TeamPolicy) -> Deadlines:
    """The due times of an escalation (its rule state or its stored row)."""
    return deadlines(policy, escalation.priority, escalation.priority_changed_at, escalation.last_update_at,
                     escalation.pauses or (), escalation.paused_at)  # a row not stored yet has no pauses


@dataclass(frozen=True)
class Clock:
    name: ClockName
    started: datetime
    duration: timedelta


def running_clocks(escalation: SlaState, policy: TeamPolicy) -> list[Clock]:
    """Acknowledging stops the ack clock, an update restarts the update clock, resolving stops all; waiting on
    the customer stops the update and resolution clocks that had not run out."""
    if escalation.status == "resolved":
        return []
    rules = policy.of(escalation.priority)
    started = escalation.priority_changed_at
    update_from = max(started, escalation.last_update_at) if escalation.last_update_at else started
    clocks = [Clock("update", update_from, rules.update_every), Clock("resolve", started, rules.resolve)]
    if escalation.status == "open":
        clocks.insert(0, Clock("ack", started, rules.ack))
    due = deadlines_of(escalation, policy)
    return [clock for clock in clocks if not due.stopped(clock.name)]


@dataclass(frozen=True)
class NextDue:
    """The running SLA clock due soonest, and the time left to it (negative once overdue)."""

    clock: ClockName
    due: datetime
    left: timedelta

    @property
    def overdue(self) -> bool:
        return self.left <= timedelta(0)

    def __str__(self) -> str:
        """`ack due in 12 min`, `update overdue by 5 min`, `resolve due in 3 h 10 min`."""
        if not self.left:
            return f"{self.clock} due now"
        if self.overdue:
            return f"{self.clock} overdue by {format_duration(-self.left)}"
        return f"{self.clock} due in {format_duration(self.left)}"


def next_due(status: str, due: Deadlines, now: datetime) -> NextDue | None:
    """Of the clocks still running (the acknowledgement while unacknowledged, the customer update and the
    resolution until resolved, unless paused), the one due soonest: an overdue one before any still to come.
    None once resolved, or when every clock is paused."""
    if status == "resolved":
        return None
    running: list[tuple[ClockName, datetime]] = [("update", due.update_due), ("resolve", due.resolve_due)]
    if status == "open":
        running.insert(0, ("ack", due.ack_due))
    running = [(clock, at) for clock, at in running if not due.stopped(clock)]
    if not running:
        return None
    clock, at = min(running, key=lambda item: item[1])  # ties: the earlier clock in the list
    return NextDue(clock, at, at - now)


@dataclass(frozen=True)
class Reminder:
    escalation_id: int
    clock: ClockName
    stage: str  # warning | breach | repeat-N
    at: datetime
    due: datetime

    @property
    def key(self) -> keys.EscalationKey:
        """Its message's key: one per escalation, clock run and stage."""
        return keys.sla_reminder(self.escalation_id, self.clock, self.due, self.stage)

    @property
    def is_breach(self) -> bool:
        return self.stage != "warning"


def due_reminders(escalation: SlaState, policy: TeamPolicy, now: datetime) -> list[Reminder]:
    """For each running clock, the latest reminder whose time has come. Earlier stages that a
    stopped scheduler missed are not sent late: one catch-up message says where things stand."""
    due: list[Reminder] = []
    for clock in running_clocks(escalation, policy):
        rules = policy.of(escalation.priority)
        schedule = reminder_times(clock.started, clock.duration, rules, policy.tz, policy.hours,
                                  repeat_every=REPEAT_EVERY, max_repeats=MAX_REPEATS,
                                  pauses=() if clock.name == "ack" else escalation.pauses or ())
        breach_at = dict(schedule)["breach"]
        passed = [(stage, at) for stage, at in schedule if at <= now]
        if passed:
            stage, at = passed[-1]
            due.append(Reminder(escalation.id, clock.name, stage, at, breach_at))
    return due


# --------------------------------------------------------------------------- stats

@dataclass(frozen=True)
class Durations:
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta]) -> Durations:
        seconds = [v.total_seconds() for v in values]
        mid, high = median(seconds), percentile(seconds, 90)
        return cls(
            median=timedelta(seconds=round(mid)) if mid is not None else None,
            p90=timedelta(seconds=round(high)) if high is not None else None,
        )


@dataclass(frozen=True)
class EscalationStats:
    since: datetime
    until: datetime
    opened: int
    resolved: int
    still_open: int
    by_priority: Mapping[str, int]
    by_path: Mapping[str, int]
    by_customer: Mapping[str, int]
    by_root_cause: Mapping[str, int]
    time_to_ack: Durations
    time_to_resolve: Durations
    ack_attainment: Attainment
    resolve_attainment: Attainment
    repeat_customers: Mapping[str, int] = field(default_factory=dict)

    @property
    def attainment(self) -> Attainment:
        """Both SLAs together: every acknowledgement and every resolution that was due."""
        return self.ack_attainment + self.resolve_attainment


def change(current: float | None, previous: float | None) -> float | None:
    """Week-over-week change in percent (None when there is nothing to compare against)."""
    if current is None or previous in (None, 0):
        return None
    assert previous is not None
    return round(100 * (current - previous) / previous, 1)


def repeat_customers(by_customer: Mapping[str, int]) -> dict[str, int]:
    return {customer: count for customer, count in by_customer.items() if count >= 2}


_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def customer_key(name: str) -> str:
    """How customers are told apart: by name, without a trailing note in brackets (an account number, a
    region), with case and spacing folded — so "ACME Corp (account 4411)" and "acme corp" are one customer."""
    base = _NOTE.sub("", name).strip() or name.strip()
    return " ".join(base.casefold().split())


def by_customer(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per customer as typed, merged per customer (`customer_key`), each under the name most often
    typed for it (the shorter one on a tie); most escalations first."""
    merged: dict[str, dict[str, int]] = {}
    for name, count in counts.items():
        spellings = merged.setdefault(customer_key(name), {})
        spellings[name] = spellings.get(name, 0) + count
    shown = {min(spellings, key=lambda n: (-spellings[n], len(n), n)): sum(spellings.values())
             for spellings in merged.values()}
    return dict(sorted(shown.items(), key=lambda item: (-item[1], item[0])))
