"""APScheduler, in the app's event loop, firing the registered jobs' ticks.

Each job ticks on its own trigger (`Job.trigger`, every minute for most), or every `tick_seconds` when a
rehearsal sets `SUPPORTBOT_TICK_SECONDS`. With a driven clock (`SUPPORTBOT_CLOCK_FILE`, `once_per_instant`)
a job runs once per instant the clock shows, as it would once per minute of wall time, and a tick that finds
the clock where its last successful run left it does nothing (a failed run is retried at the next tick). A
run is successful when it did everything due: one that raised, or in which a unit failed (Slack refused it,
or it raised: `handlers.job_runs`), is a failed run, logged as a WARNING summary line
(`job digest: 0 done, 1 failed (…)`).

Every successful run sets `supportbot_job_last_success_timestamp_seconds{job}` on `GET /metrics` to the
instant it was given: how stale each job is, for an operator's alert; for a rehearsal, proof that every job
of this process has done what was due at the instant it drives the clock to.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry, Gauge

from handlers.jobs import Job
from handlers.services import Services

log = logging.getLogger(__name__)

LAST_SUCCESS = "supportbot_job_last_success_timestamp_seconds"
_gauges: weakref.WeakKeyDictionary[CollectorRegistry, Gauge] = weakref.WeakKeyDictionary()


def last_success_gauge(registry: CollectorRegistry) -> Gauge:
    """The gauge on this app's registry, made once however many schedulers are built for it."""
    if registry not in _gauges:
        _gauges[registry] = Gauge(LAST_SUCCESS, "The clock's instant (Unix time) given to each job's last "
                                  "successful run", ["job"], registry=registry)
    return _gauges[registry]


class _Ticks:
    """One scheduler's memory of when each job last ran successfully."""

    def __init__(self, services: Services, once_per_instant: bool) -> None:
        self.services = services
        self.once_per_instant = once_per_instant
        self.gauge = last_success_gauge(services.metrics.registry)
        self.last: dict[str, datetime] = {}

    async def tick(self, job: Job) -> None:
        services = self.services
        now = services.clock()
        if self.once_per_instant and self.last.get(job.name) == now:
            return  # nothing new can be due: the driven clock has not moved since this job's last run
        try:
            run = await services.metrics.run(job, services, now)
        except Exception:
            log.exception("job %s failed; the next tick will retry what is still due", job.name)
            return
        if not run.ok:
            log.warning("job %s: %s; the next tick retries what is still due", job.name, run.summary())
            return
        self.last[job.name] = now
        self.gauge.labels(job.name).set(now.timestamp())
        if run.done:
            log.info("job %s: %s", job.name, run.summary())


class _BusyTicks(logging.Filter):
    """A rehearsal's tick (a fraction of a second) comes round while the job's last run is still going:
    APScheduler then skips it, as it should, and would say so at every tick."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def build_scheduler(services: Services, jobs: list[Job], *, tick_seconds: float | None = None,
                    once_per_instant: bool = False) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    ticks = _Ticks(services, once_per_instant)
    apscheduler_log = logging.getLogger("apscheduler.scheduler")
    if tick_seconds is not None and not any(isinstance(f, _BusyTicks) for f in apscheduler_log.filters):
        apscheduler_log.addFilter(_BusyTicks())
    for job in jobs:
        trigger: dict[str, Any] = job.trigger if tick_seconds is None else {"trigger": "interval",
                                                                           "seconds": tick_seconds}
        scheduler.add_job(
            ticks.tick,
            args=(job,),
            id=job.name,
            name=job.name,
            coalesce=True,  # a backlog of missed ticks runs once: `run(now)` catches up by itself
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
            **trigger,
        )
    return scheduler


def start_scheduler(services: Services, jobs: list[Job], *, tick_seconds: float | None = None,
                    once_per_instant: bool = False) -> AsyncIOScheduler:
    """Build and start the scheduler in the running event loop."""
    scheduler = build_scheduler(services, jobs, tick_seconds=tick_seconds, once_per_instant=once_per_instant)
    scheduler.start()
    log.info("scheduler running: %s", ", ".join(job.name for job in jobs))
    if tick_seconds is not None or once_per_instant:
        log.warning("rehearsal scheduling: every job ticks %s%s", f"every {tick_seconds:g} s" if tick_seconds
                    else "on its own schedule", ", once per instant of the driven clock" if once_per_instant else "")
    return scheduler
