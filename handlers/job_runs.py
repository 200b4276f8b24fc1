"""What one job run did: the units it did, and each due unit it could not do, with why.

A unit fails when Slack refused its message (`handlers.outbox`: tried again by the next tick, or parked) or
when it raised (a job that carries on past one team's failure, as the digest does). A run with any failed unit
is a failed run: `supportbot_job_runs{outcome="failed"}` on `GET /metrics`, a WARNING summary line from the
scheduler, and a non-zero exit from `supportbot jobs run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOWN = 3
"""Failed units named in a summary line; the rest are counted."""


@dataclass(frozen=True)
class UnitFailure:
    unit: str
    """What could not be done: a message's key (`kpi-digest:tier1:2026-11-01`) or a description."""
    why: str
    """Slack's error code (`channel_not_found`) or the exception's name."""
    parked: bool = False
    """No tick retries it: `supportbot jobs retry` sends it."""

    def said(self) -> str:
        return f"{self.why} for {self.unit}{', parked' if self.parked else ''}"


@dataclass
class JobRun:
    done: int = 0
    failures: list[UnitFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def parked(self) -> bool:
        return any(failure.parked for failure in self.failures)

    def summary(self) -> str:
        """`0 done, 1 failed (channel_not_found for kpi-digest:tier1:2026-11-01, parked)`."""
        if not self.failures:
            return f"{self.done} done"
        said = "; ".join(failure.said() for failure in self.failures[:SHOWN])
        more = len(self.failures) - SHOWN
        if more > 0:
            said += f"; and {more} more"
        return f"{self.done} done, {len(self.failures)} failed ({said})"
