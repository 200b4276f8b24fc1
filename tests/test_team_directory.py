"""The team directory: listeners answer who is who from memory, and a configuration change made anywhere
(another replica, `supportbot config apply`) reaches every running instance within seconds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from handlers.standups import ids as standup_ids
from storage import teams
from tests.conftest import SIGNING_SECRET, TEAM_YAML, Clock, TeamPeople
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import MANAGER, setup_team

NEWCOMER = "U0NEWBIE"
WITH_NEWCOMER = TEAM_YAML.replace("members: [U0AGENT1, U0AGENT2]", f"members: [U0AGENT1, U0AGENT2, {NEWCOMER}]")


@asynccontextmanager
async def replica(settings: Settings, clock: Clock, *, check_every: float) -> AsyncIterator[Supportbot]:
    """Another running instance on the same database, with its own engine, Slack session and directory."""
    other = create_app(settings, clock=clock, directory_check_every=check_every)
    try:
        yield other
    finally:
        await other.close()


@contextmanager
def statements(app: Supportbot) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(app.services.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(app.services.engine.sync_engine, "before_cursor_execute", record)


async def sees(app: Supportbot, user: str, *, within: float = 5.0) -> float:
    """Seconds until `app`'s directory puts `user` in a team (polled with a bound, no sleep-and-hope)."""
    started = time.monotonic()
    while not (await app.services.directory.current()).teams_of(user):
        assert time.monotonic() - started < within, f"{user} did not reach the directory within {within} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_routing_the_escalation_form_does_no_database_round_trip(
        settings: Settings, clock: Clock, team: TeamPeople, slack: FakeSlack) -> None:
    async with replica(settings, clock, check_every=60) as app:
        driver = SlackDriver(app, SIGNING_SECRET, response_url=slack.response_url)
        try:
            await driver.command("/escalate", user=team.agent)  # the first request loads the snapshot
            driver.settle = False  # the outbox is drained after, outside the statements counted
            with statements(app) as seen:
                reply = await driver.command("/escalate", "Checkout fails", user=team.agent)
            await app.services.outbox.drain()
        finally:
            await driver.close()
    assert reply.status == 200
    assert slack.count("views.open") == 2
    assert seen == []


async def test_a_change_on_one_replica_reaches_the_other(app: Supportbot, settings: Settings, clock: Clock,
                                                         team: TeamPeople, slack: FakeSlack) -> None:
    async with replica(settings, clock, check_every=0.2) as other:
        driver = SlackDriver(other, SIGNING_SECRET, response_url=slack.response_url)
        try:
            refused = await driver.command("/escalate", user=NEWCOMER)
            async with app.services.db() as session:  # the first instance changes the configuration
                await teams.apply(session, parse_teams(WITH_NEWCOMER), now=clock.now)
                await session.commit()
            waited = await sees(other, NEWCOMER)
            opened = await driver.command("/escalate", user=NEWCOMER)
        finally:
            await driver.close()
    assert "not in a support team" in refused.text
    assert waited < 2.0
    assert opened.status == 200 and slack.count("views.open") == 1


async def test_supportbot_config_apply_reaches_a_running_instance(
        settings: Settings, clock: Clock, team: TeamPeople, tmp_path: Path) -> None:
    async with replica(settings, clock, check_every=0.2) as running:
        assert not (await running.services.directory.current()).teams_of(NEWCOMER)
        file = tmp_path / "teams.yml"
        file.write_text(WITH_NEWCOMER)
        env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
        done = await asyncio.to_thread(  # the CLI runs while this instance goes on in its loop
            subprocess.run, [sys.executable, "-m", "bot", "config", "apply", str(file)], env=env,
            capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert await sees(running, NEWCOMER) < 2.0


async def test_an_unchanged_configuration_loads_no_new_snapshot(app: Supportbot, clock: Clock,
                                                                team: TeamPeople) -> None:
    first = await app.services.directory.current()
    async with app.services.db() as session:
        report = await teams.apply(session, parse_teams(TEAM_YAML), now=clock.now)
        await session.commit()
    assert report.unchanged == ["tier1"]
    assert await app.services.directory.current() is first


def initial_time(view: dict[str, Any] | None) -> str:
    """The stand-up setup form's time, as it opens."""
    assert view is not None
    block = next(b for b in view["blocks"] if b.get("block_id") == standup_ids.SETUP_TIME)
    return str(block["element"]["initial_value"])


async def test_a_saved_setup_shows_at_once_on_the_replica_that_saved_it(
        settings: Settings, clock: Clock, slack: FakeSlack) -> None:
    """With the running bot's check interval (2 s), not the tests' 0: reopening right after saving shows the
    saved values, not the snapshot from before."""
    async with replica(settings, clock, check_every=2.0) as app:
        await setup_team(app, slack)
        driver = SlackDriver(app, SIGNING_SECRET, response_url=slack.response_url)
        try:
            await driver.command("/standup", "setup", user=MANAGER)
            form = slack.last("views.open").view
            assert initial_time(form) == "09:30"
            assert form is not None
            saved = await driver.submit(form, user=MANAGER, **{standup_ids.SETUP_TIME: "10:15"})
            assert saved.status == 200 and "response_action" not in saved.body, saved.body
            started = time.monotonic()
            await driver.command("/standup", "setup", user=MANAGER)
            reopened = slack.last("views.open").view
        finally:
            await driver.close()
    assert time.monotonic() - started < 2.0, "reopened after the check interval: the test proves nothing"
    assert initial_time(reopened) == "10:15"
