"""The scheduler fires each registered job's tick in the app's event loop; a failing tick is logged and
the next tick runs again."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from bot.app import Supportbot
from bot.scheduler import build_scheduler
from handlers import all_jobs
from handlers.jobs import Job, UnknownJob, find
from handlers.services import Services


def test_every_feature_job_is_scheduled_under_its_documented_name(app: Supportbot) -> None:
    scheduler = build_scheduler(app.services, app.jobs)
    names = {job.id for job in scheduler.get_jobs()}
    assert {"escalation-timers", "escalation-review"} <= names
    assert names == {job.name for job in all_jobs()}
    timers = scheduler.get_job("escalation-timers")
    assert timers is not None and timers.trigger.interval.total_seconds() == 60


def test_an_unknown_job_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownJob) as raised:
        find(all_jobs(), "digets")
    assert "escalation-timers" in str(raised.value)


async def test_ticks_run_in_the_loop_and_survive_a_failure(app: Supportbot, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[datetime] = []

    async def flaky(services: Services, now: datetime) -> int:
        seen.append(now)
        if len(seen) == 1:
            raise RuntimeError("database went away")
        return 1

    scheduler = build_scheduler(app.services, [Job("flaky", "test", flaky, {"trigger": "interval", "seconds": 0.05})])
    with caplog.at_level(logging.ERROR):
        scheduler.start()
        try:
            for _ in range(200):  # bounded: at most 10 s
                if len(seen) >= 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            scheduler.shutdown(wait=False)
    assert len(seen) >= 3
    assert all(now.tzinfo is not None for now in seen)
    assert "job flaky failed" in caplog.text
