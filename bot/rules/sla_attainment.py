"""SLA attainment: the one definition `/escalate stats`, the weekly review, the KPI series (the digest, `/kpi`)
and the digest's contributors all use.

A clock (the acknowledgement or the resolution) of one escalation is *met* when it was stopped (acknowledged,
resolved) by its due time, *missed* when it was stopped late or its due time passed unstopped by `until` (the
end of the window asked about), and not counted yet otherwise. A resolution clock paused while the escalation
waits on the customer is not running: paused time is not elapsed (its due time moves by the pause when it
resumes), so a clock paused before its due time is not missed while the pause lasts. A clock that was already
overdue when the pause began stays missed.

Pure: plain values in, counts out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Result = Literal["met", "missed"]
Pause = tuple[datetime, datetime]
"""A pause that ended: (paused at, resumed at)."""


def clock_result(due: datetime, done: datetime | None, until: datetime,
                 paused_at: datetime | None = None) -> Result | None:
    """Met, missed, or None while still running (or paused) at `until`."""
    if done is not None:
        return "met" if done <= due else "missed"
    stopped = paused_at is not None and paused_at <= until and paused_at < due
    if due < until and not stopped:
        return "missed"
    return None


@dataclass(frozen=True)
class Attainment:
    met: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.total, 1) if self.total else None

    def __add__(self, other: Attainment) -> Attainment:
        return Attainment(self.met + other.met, self.total + other.total)

    @classmethod
    def of(cls, results: Iterable[Result | None]) -> Attainment:
        counted = [r for r in results if r is not None]
        return cls(sum(r == "met" for r in counted), len(counted))


@dataclass(frozen=True)
class SlaRecord:
    """What attainment reads of one escalation (its stored due times are already moved by ended pauses)."""

    ack_due: datetime
    acknowledged_at: datetime | None
    resolve_due: datetime
    resolved_at: datetime | None
    paused_at: datetime | None = None
    """The pause going on, if any (the acknowledgement clock is never paused)."""

    def ack(self, until: datetime) -> Result | None:
        return clock_result(self.ack_due, self.acknowledged_at, until)

    def resolution(self, until: datetime) -> Result | None:
        return clock_result(self.resolve_due, self.resolved_at, until, self.paused_at)

    def missed(self, until: datetime) -> bool:
        return "missed" in (self.ack(until), self.resolution(until))


@dataclass(frozen=True)
class SlaAttainment:
    ack: Attainment
    resolve: Attainment

    @property
    def both(self) -> Attainment:
        """Every acknowledgement and every resolution that was due: the figure called SLA attainment."""
        return self.ack + self.resolve


def attainment(records: Sequence[SlaRecord], until: datetime) -> SlaAttainment:
    """Attainment of the escalations opened in a window that ends at `until`."""
    return SlaAttainment(Attainment.of(r.ack(until) for r in records),
                         Attainment.of(r.resolution(until) for r in records))


def paused_time(start: datetime, end: datetime, pauses: Sequence[Pause],
                paused_at: datetime | None = None) -> timedelta:
    """Wall-clock time between `start` and `end` spent paused (ended pauses, and the one going on)."""
    spans = [*pauses, *([(paused_at, end)] if paused_at is not None else [])]
    total = timedelta(0)
    for begun, ended in spans:
        overlap = min(ended, end) - max(begun, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def time_to_resolve(opened_at: datetime, resolved_at: datetime, pauses: Sequence[Pause]) -> timedelta:
    """How long it took to resolve, paused time not counted."""
    return resolved_at - opened_at - paused_time(opened_at, resolved_at, pauses)
