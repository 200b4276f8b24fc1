"""One Slack HTTP session per process: every Web API call, from every request's Bolt client and every job,
rides the same keep-alive connection (in production: one TLS handshake with Slack, not one per call)."""

from __future__ import annotations

from bot.app import Supportbot
from handlers.escalations.jobs import run_timers
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import escalate
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack


async def test_every_call_rides_one_keep_alive_connection(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                          app: Supportbot, clock: Clock) -> None:
    for number in range(3):
        await escalate(bot, slack, team.agent, summary=f"Problem {number}")  # views.open, cards, DMs
    await run_timers(app.services, clock.advance(minutes=12))  # a job's reminders, on the same client
    assert slack.count() >= 15
    assert slack.connections() == 1


async def test_closing_the_app_closes_its_slack_session(app: Supportbot) -> None:
    session = app.services.client.session
    assert session is not None and not session.closed
    await app.close()
    assert session.closed
