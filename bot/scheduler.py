"""APScheduler, in the app's event loop, firing the registered jobs' ticks."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.jobs import Job
from handlers.services import Services

log = logging.getLogger(__name__)


def build_scheduler(services: Services, jobs: list[Job]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            _tick,
            args=(job, services),
            id=job.name,
            name=job.name,
            coalesce=True,  # a backlog of missed ticks runs once: `run(now)` catches up by itself
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
            **job.trigger,
        )
    return scheduler


def start_scheduler(services: Services, jobs: list[Job]) -> AsyncIOScheduler:
    """Build and start the scheduler in the running event loop."""
    scheduler = build_scheduler(services, jobs)
    scheduler.start()
    log.info("scheduler running: %s", ", ".join(job.name for job in jobs))
    return scheduler


async def _tick(job: Job, services: Services) -> None:
    try:
        done = await services.metrics.run_job(job, services, services.clock())
    except Exception:
        log.exception("job %s failed; the next tick will retry what is still due", job.name)
        return
    if done:
        log.info("job %s: %d done", job.name, done)
