"""Waiting on customer, end to end through signed requests (issue 22, items 3 and 4): a P3 escalation of a
London team with England's public holidays and a team holiday, paused across Christmas and a weekend.

The hand-computed figures are worked out in tests/test_sla_pauses.py's docstring: opened Wednesday 23 December
2026 10:00 (London is UTC in December); Waiting on customer at 15:00; Resume on Tuesday 29 December 11:00;
the update is then due Tuesday 14:00 and the resolution Thursday 31 December 14:00 (without the pause:
Tuesday 10:00 and Thursday 10:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.escalations import ids, views
from handlers.escalations.jobs import run_timers
from storage import escalations, kpi, teams
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import card, card_post, escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

LONDON_YAML = """
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: Europe/London
    holidays_country: GB
    members: [U0AGENT1, U0AGENT2]
    managers: [U0MANAGER]
    channels: {escalations: C0ESC, digest: C0DIGEST, standup: C0STANDUP}
    standup: {holidays: [2026-12-24]}
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENG}
"""


def dec(day: int, hhmm: str = "10:00") -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 12, day, hours, minutes, tzinfo=UTC)


def slack_date(at: datetime) -> str:
    return f"<!date^{int(at.timestamp())}^"


@pytest.fixture
async def london(app: Supportbot, slack: FakeSlack) -> TeamPeople:
    people = TeamPeople()
    for person in (people.agent, people.teammate, people.manager):
        slack.add_user(person)
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(LONDON_YAML), now=datetime(2026, 1, 1, tzinfo=UTC))
        await session.commit()
    return people


def sla_reminders(slack: FakeSlack, channel: str) -> list[str]:
    return [c.text for c in slack.calls("chat.postMessage", channel=channel)
            if c.ok and c.thread_ts and ("⏳" in c.text or "🚨" in c.text)]


async def test_a_pause_across_christmas_and_a_weekend_moves_the_due_times_and_counts_in_stats(
        bot: SlackDriver, slack: FakeSlack, london: TeamPeople, app: Supportbot, clock: Clock) -> None:
    channel = "C0ENG"
    clock.now = dec(23)
    await escalate(bot, slack, london.agent, path="Engineering", severity="medium", impact="several",
                   urgency="today")
    assert "P3" in card_post(slack, channel).text
    clock.now = dec(23, "11:00")
    await press(bot, slack, ids.ACKNOWLEDGE, user=london.teammate, channel=channel)
    shown = str(card(slack, channel).blocks)
    assert slack_date(dec(31)) in shown and slack_date(dec(29)) in shown  # holidays counted, no pause yet

    # Waiting on customer: the card says so, shows what each paused clock has left, and offers Resume.
    clock.now = dec(23, "15:00")
    reply = await press(bot, slack, ids.WAIT_ON_CUSTOMER, user=london.teammate, channel=channel)
    assert reply.status == 200
    paused = card(slack, channel)
    text = str(paused.blocks)
    assert "Waiting on customer" in text and "paused with 19 business hours left" in text
    assert "paused with 3 business hours left" in text
    assert ids.RESUME in text and ids.WAIT_ON_CUSTOMER not in text and "waiting on customer" in paused.text
    thread = [c.text for c in slack.calls("chat.postMessage", channel=channel) if c.thread_ts]
    assert any("waiting on the customer" in t for t in thread)
    listed = await bot.command("/escalate", "list", user=london.agent)
    assert "waiting on customer" in listed.text and "due in" not in listed.text  # both running clocks paused

    # While paused, the original due times pass without a reminder (the acknowledgement was met).
    for at in (dec(28, "12:00"), dec(29, "10:30")):
        await run_timers(app.services, at)
    assert sla_reminders(slack, channel) == []

    clock.now = dec(29, "11:00")
    await press(bot, slack, ids.RESUME, user=london.teammate, channel=channel)
    async with app.services.db() as session:
        stored = await escalations.get(session, 1)
        assert stored is not None
        assert (stored.paused_at, stored.pauses) == (None, ((dec(23, "15:00"), dec(29, "11:00")),))
        assert (stored.update_due, stored.resolve_due) == (dec(29, "14:00"), dec(31, "14:00"))
        timeline = [e.kind for e in await escalations.timeline(session, 1)]
    assert timeline[-2:] == ["paused", "resumed"]
    resumed = str(card(slack, channel).blocks)
    assert slack_date(dec(29, "14:00")) in resumed and slack_date(dec(31, "14:00")) in resumed
    assert ids.WAIT_ON_CUSTOMER in resumed and "Waiting on customer* since" not in resumed
    detail = await bot.command("/escalate", "ESC-1", user=london.agent)
    assert "waiting on the customer" in detail.text and "resumed the SLA clocks" in detail.text

    # The update reminder comes at 80 % of the moved clock: 6.4 business hours after opening + the pause.
    await run_timers(app.services, dec(29, "13:00"))
    assert len(sla_reminders(slack, channel)) == 1 and slack_date(dec(29, "14:00")) in sla_reminders(slack, channel)[0]

    # Resolved Thursday 12:00: late without the pause (due 10:00), on time with it (due 14:00).
    clock.now = dec(31, "12:00")
    opened = slack.count("views.open")
    await press(bot, slack, ids.RESOLVE, user=london.teammate, channel=channel)
    await slack.await_for("views.open", opened + 1, timeout=10)
    form = slack.last("views.open").response["view"]
    done = await bot.submit(form, user=london.teammate, outcome="Customer confirmed the fix.",
                            root_cause="product_bug", customer_told="yes")
    assert done.status == 200
    assert "✅ met" in str(card(slack, channel).blocks) and "missed" not in str(card(slack, channel).blocks)

    # /escalate stats: both clocks on time; 8 days 2 hours open, 5 days 20 hours of it paused: 2 d 6 h.
    stats = await bot.command("/escalate", "stats 30d", user=london.manager)
    assert stats.status == 200
    assert "100%" in stats.text and "(1/1)" in stats.text and "median 2 d 6 h" in stats.text
    async with app.services.db() as session:
        team_id = (await teams.get(session, "tier1")).id  # type: ignore[union-attr]
        figures = await kpi.figures(session, team_id, date(2026, 12, 23), date(2026, 12, 23), "Europe/London")
        counted = await escalations.stats(session, [team_id], dec(23, "00:00"), dec(24, "00:00"))
    assert figures.values["escalation_sla"] == 100 and figures.samples["escalation_sla"] == 2
    assert counted.time_to_resolve.median == timedelta(days=2, hours=6)


def test_a_paused_card_with_the_longest_texts_fits_block_kit() -> None:
    from tests.kit.block_limits import problems
    from tests.test_escalation_views import NOW, POLICY, escalation

    paused = escalation(status="acknowledged")
    paused.paused_at = NOW + timedelta(minutes=5)
    paused.pauses = ((NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)),)
    blocks = views.escalation_card(paused, POLICY, NOW + timedelta(minutes=10))
    assert problems(blocks) == []
    assert "Waiting on customer" in str(blocks) and ids.RESUME in str(blocks)
    assert len(views.card_text(paused)) <= 3000 and "waiting on customer" in views.card_text(paused)
