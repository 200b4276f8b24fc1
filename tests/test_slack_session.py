"""One Slack HTTP session per process: every Web API call, from every request's Bolt client, every job and the
outbox's dispatcher, rides the same pool of keep-alive connections (in production: a TLS handshake with Slack
per connection the dispatcher uses at once, not one per call)."""

from __future__ import annotations

from bot.app import Supportbot
from handlers.escalations.jobs import run_timers
from handlers.outbox import AT_ONCE
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import escalate
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack


async def test_every_call_rides_the_shared_keep_alive_connections(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                          app: Supportbot, clock: Clock) -> None:
    for number in range(3):
        await escalate(bot, slack, team.agent, summary=f"Problem {number}")  # views.open, cards, DMs
    await run_timers(app.services, clock.advance(minutes=12))  # a job's reminders, on the same client
    assert slack.count() >= 15
    # one connection per group the dispatcher sends at once (three escalations' cards), reused for every call
    assert 1 <= slack.connections() <= min(3, AT_ONCE)


async def test_closing_the_app_closes_its_slack_session(app: Supportbot) -> None:
    session = app.services.client.session
    assert session is not None and not session.closed
    await app.close()
    assert session.closed
