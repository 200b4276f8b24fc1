"""SLA reminders: each fires once, at the right time, and stops when its clock stops."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta

from bot.app import Supportbot
from handlers.escalations import ids
from handlers.escalations.jobs import run_timers
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import card, card_post, escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack


def reminders(slack: FakeSlack, channel: str) -> list[Call]:
    """Thread replies in `channel` that are SLA reminders."""
    return [c for c in slack.calls("chat.postMessage", channel=channel)
            if c.ok and c.thread_ts and ("⏳" in c.text or "🚨" in c.text)]


async def test_each_p1_reminder_fires_once_at_its_time(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                       app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)  # critical × widespread × blocking = P1: ack 15 min
    opened, channel = clock.now, team.path_channel("engineering")

    async def tick(minutes: float) -> int:
        return await run_timers(app.services, opened + timedelta(minutes=minutes))

    assert await tick(11) == 0
    assert await tick(12) == 1  # 80 % of the 15-minute acknowledgement SLA
    assert await tick(12) == 0 and await tick(13) == 0
    warning = reminders(slack, channel)[-1]
    assert warning.thread_ts == card_post(slack, channel).ts
    assert "acknowledgement is due" in warning.text and "<!here>" in warning.text  # no owner yet
    assert f"<@{team.manager}>" not in warning.text

    assert await tick(15) == 1  # breach: the manager is mentioned and the card shows it
    breach = reminders(slack, channel)[-1]
    assert "breached its acknowledgement SLA" in breach.text and f"<@{team.manager}>" in breach.text
    assert "breached" in str(card(slack, channel).blocks)
    assert await tick(15) == 0 and await tick(44) == 0

    assert await tick(45) == 1  # first repeat, 30 minutes after the breach
    assert "reminder 1" in reminders(slack, channel)[-1].text
    assert await tick(48) == 1  # 80 % of the hourly customer-update cadence
    assert "customer update is due" in reminders(slack, channel)[-1].text

    # Acknowledging stops the acknowledgement clock: no second repeat at 75 minutes.
    clock.now = opened + timedelta(minutes=50)
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel=channel)
    assert await tick(61) == 1  # but the customer update is now late, and the owner is named
    late = reminders(slack, channel)[-1]
    assert "customer update SLA" in late.text and f"<@{team.teammate}>" in late.text
    # Posting an update restarts the update clock: its next warning is 48 minutes after the update.
    clock.now = opened + timedelta(minutes=70)
    await press(bot, slack, ids.POST_UPDATE, user=team.teammate, channel=channel)
    await bot.submit(slack.last("views.open").response["view"], user=team.teammate, update_text="Working on it")
    assert await tick(91) == 0
    assert await tick(118) == 1
    assert "customer update is due" in reminders(slack, channel)[-1].text
    ack_texts = [r.text for r in reminders(slack, channel) if "acknowledgement" in r.text]
    assert len(ack_texts) == 3  # warning, breach, one repeat


async def test_repeats_after_a_breach_are_capped(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                 app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    opened = clock.now
    sent = 0
    for minute in range(0, 6 * 60):  # a tick a minute, as the scheduler runs it
        sent += await run_timers(app.services, opened + timedelta(minutes=minute))
    texts = [r.text for r in reminders(slack, team.path_channel("engineering"))]
    assert len([t for t in texts if "acknowledgement" in t]) == 2 + 3  # warning, breach, 3 repeats
    assert len([t for t in texts if "resolution" in t]) == 2 + 3
    assert sent == len(texts)


async def test_a_stopped_scheduler_catches_up_with_one_message_per_clock(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    assert await run_timers(app.services, clock.now + timedelta(hours=3)) == 2  # ack and update, latest stage
    texts = [r.text for r in reminders(slack, team.path_channel("engineering"))]
    assert len(texts) == 2 and all("🚨" in t for t in texts)


async def test_resolving_stops_every_clock(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                           app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    channel = team.path_channel("engineering")
    await press(bot, slack, ids.RESOLVE, user=team.agent, channel=channel)
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, outcome="False alarm",
                     root_cause="other", customer_told="yes")
    for hours in (1, 5, 24):
        assert await run_timers(app.services, clock.now + timedelta(hours=hours)) == 0
    assert reminders(slack, channel) == []


async def test_business_hours_priorities_wait_for_the_working_day(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    """P4 acknowledgement is one business day: opened Friday 16:00 New York, due Monday 16:00."""
    clock.now = datetime.fromisoformat("2026-11-06T21:00:00+00:00")  # Friday 16:00 EST
    await escalate(bot, slack, team.agent, severity="low", impact="one", urgency="can_wait")
    assert "P4" in card_post(slack, team.path_channel("engineering")).text
    saturday = datetime.fromisoformat("2026-11-07T15:00:00+00:00")
    monday_early = datetime.fromisoformat("2026-11-09T14:00:00+00:00")  # 09:00 EST: 1 business hour used
    assert await run_timers(app.services, saturday) == 0
    assert await run_timers(app.services, monday_early) == 0
    warning_at = datetime.fromisoformat("2026-11-09T19:24:00+00:00")  # 6.4 business hours = 80 % of 8
    assert await run_timers(app.services, warning_at - timedelta(minutes=1)) == 0
    assert await run_timers(app.services, warning_at) == 1
    assert await run_timers(app.services, datetime.fromisoformat("2026-11-09T21:00:00+00:00")) == 1  # breach


async def test_a_card_slack_refused_is_posted_by_the_next_tick(bot: SlackDriver, slack: FakeSlack,
                                                                team: TeamPeople, app: Supportbot,
                                                                clock: Clock) -> None:
    slack.fail_method("chat.postMessage", error="service_unavailable")
    reply, _ = await escalate(bot, slack, team.agent)
    assert reply.status == 200  # the escalation is stored; Slack is down
    slack.clear_failures()
    assert slack.count("chat.postMessage", channel=team.agent) == 0  # no confirmation of a card not shown
    assert await run_timers(app.services, clock.now + timedelta(minutes=1)) == 3  # both cards, then the DM
    assert await run_timers(app.services, clock.now + timedelta(minutes=2)) == 0
    for channel in (team.path_channel("engineering"), team.escalations_channel):
        assert "ESC-1" in card_post(slack, channel).text
    confirmation = slack.last("chat.postMessage", channel=team.agent)
    assert confirmation.ok and "Escalated <https://fake.slack.com/archives/C0ENG/" in confirmation.text


async def test_changes_slack_refused_reach_cards_threads_and_people_on_the_next_tick(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    channel = team.path_channel("engineering")
    slack.fail_method("chat.update", error="service_unavailable")
    slack.fail_method("chat.postMessage", error="service_unavailable")
    await press(bot, slack, ids.RESOLVE, user=team.teammate, channel=channel)
    await bot.submit(slack.last("views.open").response["view"], user=team.teammate, outcome="Gateway fixed",
                     root_cause="outage", customer_told="yes")
    assert not any(c.ok for c in slack.calls("chat.update"))
    slack.clear_failures()

    clock.advance(minutes=1)
    assert await run_timers(app.services, clock.now) == 3  # a reply under each card, the reporter's DM
    for card_channel in (channel, team.escalations_channel):
        assert "Gateway fixed" in str(card(slack, card_channel).blocks)  # the cards caught up
        replies = [c for c in slack.calls("chat.postMessage", channel=card_channel) if c.ok and c.thread_ts]
        assert [r.text for r in replies if "resolved it" in r.text] != []
    assert "was resolved by" in slack.last("chat.postMessage", channel=team.agent).text
    updates = slack.count("chat.update")
    assert await run_timers(app.services, clock.advance(minutes=1)) == 0
    assert slack.count("chat.update") == updates  # nothing sent twice


async def test_a_reminder_slack_refused_is_sent_on_the_next_tick(bot: SlackDriver, slack: FakeSlack,
                                                                 team: TeamPeople, app: Supportbot,
                                                                 clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    slack.fail_next("chat.postMessage", status=200, error="service_unavailable")
    assert await run_timers(app.services, clock.now + timedelta(minutes=12)) == 0
    assert await run_timers(app.services, clock.now + timedelta(minutes=13)) == 1
    assert await run_timers(app.services, clock.now + timedelta(minutes=14)) == 0
    assert len(reminders(slack, team.path_channel("engineering"))) == 1


async def test_jobs_run_twice_at_the_same_now_claims_once(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                          settings: object, clock: Clock) -> None:
    """`supportbot jobs run escalation-timers --now …`, as an operator would run it."""
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    await escalate(bot, slack, team.agent)
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slack.api_url,
           "DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
    env.pop("SLACK_APP_TOKEN", None)
    at = (clock.now + timedelta(minutes=12)).isoformat()

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", "escalation-timers", "--now", at],
                              capture_output=True, text=True, env=env, timeout=60, check=True)
        return done.stdout.strip()

    assert run() == "escalation-timers: 1 done"
    assert run() == "escalation-timers: 0 done"
    assert len(reminders(slack, team.path_channel("engineering"))) == 1


async def test_two_replicas_ticking_together_send_each_reminder_once(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    """Every replica runs the scheduler: the claims, not luck, keep reminders single."""
    from bot.app import create_app

    for number in range(5):
        await escalate(bot, slack, team.agent, summary=f"Problem {number}")
    replica = create_app(app.settings, clock=clock)  # its own engine and Slack client
    try:
        at = clock.now + timedelta(minutes=12)
        first, second = await asyncio.gather(run_timers(app.services, at), run_timers(replica.services, at))
    finally:
        await replica.close()
    assert first + second == 5  # one acknowledgement warning per escalation, from one replica or the other
    assert len(reminders(slack, team.path_channel("engineering"))) == 5
