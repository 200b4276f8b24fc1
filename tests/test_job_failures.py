"""A job that could not do what was due says so: `supportbot jobs run` exits non-zero naming how many units
failed and why, and a unit that raised (one team's digest) is a failed run on `GET /metrics` and in the
scheduler's summary line, and is retried at the next tick. A `jobs retry` whose job raises leaves what it
retried as it was."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Supportbot
from bot.rules.keys import StoredKey
from bot.rules.kpi_days import digest_key
from bot.rules.messages import post
from bot.scheduler import LAST_SUCCESS, build_scheduler
from handlers import all_jobs
from handlers.dispatch import run_outbox
from handlers.jobs import Job
from handlers.kpi import jobs as kpi_jobs
from handlers.kpi.jobs import DIGEST
from handlers.parked import failed_work, retry
from handlers.services import Services
from tests.conftest import Clock
from tests.kit.fake_slack import FakeSlack
from tests.test_cli import env as env  # the fixture, used by name
from tests.test_cli import supportbot
from tests.test_slack_outage import DUE, configure, delivered, scrape_text

DAY = DUE.date() - timedelta(days=1)
"""The digest due at DUE is Sunday's."""


def operator(env: dict[str, str], app: Supportbot, slack: FakeSlack) -> dict[str, str]:
    return {**env, "DATABASE_URL": app.settings.database_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": slack.api_url, "LOG_LEVEL": "WARNING"}


async def test_jobs_run_exits_1_naming_the_unit_slack_refused_and_why(
        app: Supportbot, slack: FakeSlack, env: dict[str, str], tmp_path: Path) -> None:
    await configure(app, slack)
    run = operator(env, app, slack)
    early = await asyncio.to_thread(supportbot, "jobs", "run", "digest", "--now",
                                    (DUE - timedelta(hours=1)).isoformat(), env=run, cwd=tmp_path)
    assert (early.returncode, early.stdout) == (0, "digest: 0 done\n"), early.stderr  # nothing due: all is well

    slack.fail_method("chat.postMessage", "channel_not_found")
    refused = await asyncio.to_thread(supportbot, "jobs", "run", "digest", "--now", DUE.isoformat(), env=run,
                                      cwd=tmp_path)
    key = digest_key("tier1", DAY)
    assert refused.returncode == 1, refused.stderr
    assert refused.stdout == f"digest: 0 done, 1 failed (channel_not_found for {key}, parked)\n"
    assert "supportbot jobs retry" in refused.stderr
    assert [(f.key, f.parked) for f in await failed_work(app.services)] == [(key, True)]

    slack.clear_failures()
    again = await asyncio.to_thread(supportbot, "jobs", "retry", key, env=run, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, f"{key}\tsent\n"), again.stderr
    done = await asyncio.to_thread(supportbot, "jobs", "run", "digest", "--now", DUE.isoformat(), env=run,
                                   cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "digest: 0 done\n"), done.stderr  # sent: nothing is due any more


async def test_a_transient_refusal_fails_the_run_and_names_the_attempt(app: Supportbot, slack: FakeSlack) -> None:
    await configure(app, slack)
    slack.fail_next("chat.postMessage", status=200, error="internal_error")
    run = await app.services.metrics.run(DIGEST, app.services, DUE)
    assert (run.ok, run.done, run.parked) == (False, 0, False)
    assert run.summary() == f"0 done, 1 failed (internal_error for {digest_key('tier1', DAY)})"
    again = await app.services.metrics.run(DIGEST, app.services, DUE + timedelta(minutes=1))
    assert again.ok and again.done == 1 and again.summary() == "1 done"


def samples(text: str, name: str) -> dict[str, float]:
    return {labels: float(value) for labels, value in re.findall(rf"^{name}\{{([^}}]*)\}} (\S+)$", text, re.M)}


async def test_a_team_digest_that_raised_is_a_failed_run_in_metrics_and_the_summary_line_and_is_retried(
        app: Supportbot, slack: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    await configure(app, slack)
    clock.now = DUE
    daily = kpi_jobs.report.daily
    broken = True

    async def sometimes_broken(*args: Any, **kwargs: Any) -> Any:
        if broken:
            raise RuntimeError("duplicate key value violates unique constraint")
        return await daily(*args, **kwargs)

    monkeypatch.setattr(kpi_jobs.report, "daily", sometimes_broken)
    scheduler = build_scheduler(app.services, [DIGEST], tick_seconds=0.05, once_per_instant=True)
    summary = f"job digest: 0 done, 1 failed (RuntimeError for the tier1 digest for {DAY.isoformat()}); the next " \
              "tick retries what is still due"
    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        scheduler.start()
        try:
            for _ in range(200):  # bounded: at most 10 s
                if any(r.getMessage() == summary for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
            text = await scrape_text(app)
            assert any(r.getMessage() == summary and r.levelname == "WARNING" for r in caplog.records), \
                [r.getMessage() for r in caplog.records]
            assert samples(text, "supportbot_job_runs_total").get('job="digest",outcome="failed"', 0) >= 1
            assert samples(text, LAST_SUCCESS) == {}  # not done: no success to show
            assert delivered(slack) == []

            broken = False  # the next tick, at the same instant of the clock, does what is still due
            for _ in range(200):
                if samples(await scrape_text(app), LAST_SUCCESS):
                    break
                await asyncio.sleep(0.05)
        finally:
            scheduler.shutdown(wait=False)
    text = await scrape_text(app)
    assert samples(text, LAST_SUCCESS) == {'job="digest"': DUE.timestamp()}
    assert samples(text, "supportbot_job_runs_total")['job="digest",outcome="ok"'] >= 1
    assert len([c for c in delivered(slack) if c.channel == "C0DIGEST"]) >= 1
    assert any(r.getMessage().startswith("job digest: ") and " done" in r.getMessage() and "failed" not in
               r.getMessage() for r in caplog.records if r.levelname == "INFO")


CARD = "esc:7:card:C0ENG"


async def broken(services: Services, now: Any) -> int:
    raise RuntimeError("the database went away")


@pytest.mark.parametrize("code, parked", [("channel_not_found", True), ("internal_error", False)])
async def test_a_retry_whose_job_crashes_leaves_the_outbox_message_as_it_was(
        app: Supportbot, slack: FakeSlack, clock: Clock, code: str, parked: bool) -> None:
    slack.fail_method("chat.postMessage", code)
    async with app.services.unit(clock.now, wake=False) as unit:
        unit.send(post(StoredKey(CARD, None), "C0ENG", "ESC-7", group="esc:7@C0ENG"))
        await unit.commit()
    await run_outbox(app.services, clock.now)
    [failure] = await failed_work(app.services)
    assert (failure.key, failure.job, failure.parked, failure.attempts, failure.error) == (CARD, "outbox", parked, 1,
                                                                                          code)
    slack.clear_failures()

    crashed = await retry(app.services, [Job("outbox", "sends what waits, but raises", broken)], [failure])
    assert [(r.key, r.outcome) for r in crashed] == [(CARD, "kept")]
    assert await failed_work(app.services) == [failure]  # parked or failing, its attempts, error and times kept
    assert slack.count("chat.postMessage") == 1  # the refused try only

    clock.advance(minutes=5)
    await run_outbox(app.services, clock.now)  # a tick sends what was failing, never what was parked
    assert slack.count("chat.postMessage") == (1 if parked else 2)
    if parked:
        sent = await retry(app.services, all_jobs(), await failed_work(app.services))
        assert [(r.key, r.outcome) for r in sent] == [(CARD, "sent")]
        assert slack.count("chat.postMessage") == 2
    assert await failed_work(app.services) == []
