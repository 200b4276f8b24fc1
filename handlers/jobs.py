"""Scheduled jobs: each is an idempotent `run(services, now)` that does whatever is due at `now`.

A job writes the messages that should exist under their keys (`bot.rules.keys`) to the outbox, where a key
written before is not written again, and the dispatcher (`handlers.outbox`) claims each before sending it, so
running a job twice at the same instant, after a restart, or on several replicas sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.services import Services

JobFunction = Callable[[Services, datetime], Awaitable[int]]
"""Returns how many units of work it did (messages sent), for logs and `jobs run`."""


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: JobFunction
    trigger: dict[str, Any] = field(default_factory=lambda: {"trigger": "interval", "minutes": 1})
    """APScheduler `add_job` trigger arguments: a tick; what is due is decided by `run`."""


class UnknownJob(LookupError):
    pass


def find(jobs: list[Job], name: str) -> Job:
    for job in jobs:
        if job.name == name:
            return job
    known = ", ".join(job.name for job in jobs)
    raise UnknownJob(f"no job named {name!r}; known jobs: {known}")
