"""Stand-ups on the outbox: a crash between the plan's commit and its sends loses nothing and doubles nothing
(the `outbox` tick sends the prompts, once); Slack down during the 09:30 fan-out delays every prompt and
doubles none; the day message updated by several answers while Slack is slow shows the latest state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Supportbot, create_app
from bot.rules import keys
from bot.rules.team_config import parse_teams
from handlers.dispatch import run_outbox
from handlers.parked import failed_work
from handlers.standups.jobs import plan_team
from storage import standups as stored
from storage.outbox_models import OutboxMessage
from tests.conftest import SIGNING_SECRET, Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import CHANNEL, NY, answer, parents, prompts, setup_team, standup_yaml, tick

NINE_THIRTY = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # Tuesday 09:30 in New York
CREW = [NY, *(f"U0CREW{n:02d}" for n in range(11))]


@pytest.fixture
def simulated(slack: FakeSlack, clock: Clock) -> Iterator[Clock]:
    """The fake Slack reads the app's driven clock, so an outage can last a simulated minute."""
    real = slack.clock
    slack.clock = lambda: clock.now.timestamp()
    yield clock
    slack.clock = real


async def test_a_crash_between_the_plans_commit_and_its_sends_is_sent_by_the_outbox_tick_once(
        settings: Any, slack: FakeSlack, clock: Clock, app: Supportbot) -> None:
    await setup_team(app, slack, members=[NY])
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    try:
        team = (await crashed.services.directory.current()).teams[0]
        await plan_team(crashed.services, team, NINE_THIRTY)  # committed; the process dies before it sends
    finally:
        await crashed.close()
    assert slack.count("chat.postMessage") == 0
    assert await run_outbox(app.services, NINE_THIRTY) == 1
    assert await run_outbox(app.services, NINE_THIRTY + timedelta(minutes=1)) == 0
    assert await tick(app, NINE_THIRTY + timedelta(minutes=1)) == 0  # the plan finds its prompt written
    [prompt] = prompts(slack, NY)
    async with app.services.db() as session:  # what the send returned was recorded by the tick that sent it
        entry = await stored.entry(session, team.id, NY, NINE_THIRTY.date())
    assert entry is not None and (entry.prompt_channel, entry.prompt_ts) == (prompt.response["channel"], prompt.ts)


async def test_an_answer_committed_by_a_process_that_died_before_sending_is_sent_by_the_outbox_tick(
        settings: Any, slack: FakeSlack, clock: Clock, app: Supportbot) -> None:
    await setup_team(app, slack, members=[NY])
    await tick(app, NINE_THIRTY)
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    driver = SlackDriver(crashed, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    clock.now = NINE_THIRTY + timedelta(minutes=5)
    try:
        await answer(driver, slack, NY, "Closed 12 tickets", "Refunds", "")
    finally:
        await driver.close()
        await crashed.close()
    assert parents(slack) == [] and slack.count("chat.update") == 0
    assert await run_outbox(app.services, clock.now) == 2  # the day message and the answer in its thread
    assert await run_outbox(app.services, clock.now) == 0
    [parent] = parents(slack)
    assert "1 of 1 answered" in (parent.text or "")
    dm = slack.last("chat.update", channel=prompts(slack, NY)[0].response["channel"])
    assert "posted" in (dm.text or "") and slack.count("chat.update") == 1


async def test_slack_down_during_the_0930_fan_out_delays_every_prompt_and_doubles_none(
        app: Supportbot, slack: FakeSlack, simulated: Clock) -> None:
    await setup_team(app, slack, members=CREW)
    await tick(app, NINE_THIRTY - timedelta(minutes=30))  # names and timezones known, as after the first day
    slack.outage(500, until=(NINE_THIRTY + timedelta(minutes=1)).timestamp())
    simulated.now = NINE_THIRTY
    assert await tick(app, NINE_THIRTY) == 0
    assert not [c for c in slack.calls("chat.postMessage") if c.ok]
    failing = await failed_work(app.services)
    assert len(failing) == len(CREW) and all(f.attempts == 1 and not f.parked for f in failing)
    for minute in (1, 2, 3):
        simulated.now = NINE_THIRTY + timedelta(minutes=minute)
        await tick(app, simulated.now)
    sent = Counter(c.channel for c in slack.calls("chat.postMessage") if c.ok and "Time for your" in (c.text or ""))
    assert sent == Counter({member: 1 for member in CREW})
    assert await failed_work(app.services) == []


async def test_the_day_message_updated_while_slack_is_slow_shows_the_latest_state(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    crew = CREW[:5]
    await setup_team(app, slack, members=crew)
    await tick(app, NINE_THIRTY)
    clock.now = NINE_THIRTY + timedelta(minutes=5)
    await answer(bot, slack, crew[0], "Tickets", "More tickets", "")
    [parent] = parents(slack)
    bot.settle = False  # the answers are committed and answered; the dispatcher sends in the background
    for _ in range(3):
        slack.delay_next("chat.update", 1.5)
    for member in crew[1:]:
        await answer(bot, slack, member, f"Tickets of {member}", "Plan", "")
    await app.services.outbox.drain()
    shown = slack.message(CHANNEL, parent.ts or "")
    assert shown is not None and "5 of 5 answered" in str(shown["text"])
    updates = [c for c in slack.calls("chat.update", channel=CHANNEL) if c.ok and c.args.get("ts") == parent.ts]
    assert 1 <= len(updates) < len(crew) - 1  # the waiting states were skipped: only the latest went
    assert "5 of 5 answered" in (updates[-1].text or "")
    replies = [c for c in slack.calls("chat.postMessage", channel=CHANNEL) if c.ok and c.thread_ts == parent.ts]
    assert len(replies) == len({r.text for r in replies}) == len(crew)  # one reply per member, none twice
    async with app.services.db() as session:
        waiting = (await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))).all()
    assert waiting == []


async def test_an_upgrade_carries_the_standup_messages_already_sent_over_under_the_same_keys(tmp_path: Any) -> None:
    """Migration 0015: what the claims sent before the outbox (this week's prompts, day messages and replies
    with their ts; reminders and summaries from their completed claims) is in the outbox as sent, so the plan
    writes none of it again and an update of it finds its ts."""
    from storage import teams
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from storage.models import Claim, Team
    from storage.standup_models import StandupDay

    now = datetime.now(UTC)
    today = now.date()
    engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
    try:
        await upgrade(engine, "0014")
        async with session_factory(engine)() as session:
            await teams.apply(session, parse_teams(standup_yaml(members=[NY])), now=now)
            team_id = (await session.scalars(select(Team.id))).one()
            row = await stored.record_prompt(session, team_id, NY, today, now=now, channel="D0NY", ts="1.000100")
            row.status, row.answers, row.version, row.reply_ts, row.reply_version = "answered", ["a", "b", ""], 1, \
                "1.000300", 1
            session.add(StandupDay(team_id=team_id, day=today, channel=CHANNEL, ts="1.000200"))
            old = today - timedelta(days=30)
            await stored.record_prompt(session, team_id, NY, old, now=now, channel="D0NY", ts="0.000100")
            for key in (keys.standup_reminder("global", NY, today), keys.standup_summary("global", old)):
                session.add(Claim(key=str(key), claimed_at=now, done_at=now))  # a claim the job completed
            await session.commit()
        await upgrade(engine)
        async with session_factory(engine)() as session:
            rows = {row.key: row for row in (await session.scalars(select(OutboxMessage))).all()}
    finally:
        await engine.dispose()
    assert rows[str(keys.standup_prompt("global", NY, today))].result == {"channel": "D0NY", "ts": "1.000100"}
    assert rows[str(keys.standup_parent("global", today))].result == {"channel": CHANNEL, "ts": "1.000200"}
    assert rows[str(keys.standup_reply("global", today, NY))].result == {"channel": CHANNEL, "ts": "1.000300"}
    assert str(keys.standup_reminder("global", NY, today)) in rows
    assert all(row.sent_at is not None for row in rows.values())
    assert str(keys.standup_summary("global", old)) not in rows  # a month ago: never planned again
    assert str(keys.standup_prompt("global", NY, old)) not in rows
