"""The on-call chain end to end: DMs with the card's buttons, level by level on a driven clock, stopping at the
first acknowledgement, capped repeats, quiet hours for a P3 but not a P1, the rotation's handover, a user
group expanded in the job, and never a DM twice across a restart and a second replica."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from handlers.escalations import ids
from handlers.escalations.jobs import run_timers
from storage import teams
from tests.conftest import TEAM_YAML, Clock, TeamPeople
from tests.escalation_steps import escalate
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack

LEAD = "U0LEAD"
CHAIN_YAML = TEAM_YAML + """    escalation_policy:
      on_call:
        rotation: {weekly: [U0AGENT2, U0AGENT1], starts: 2026-11-02, handover: "09:00"}
        chain:
          - {notify: owner, after: 0m}
          - {notify: on_call, after: 10m}
          - {notify: S0LEADS, after: 20m}
        repeat: 1
        quiet_hours: {from: "22:00", to: "07:00", except: [P1]}
"""
"""Tier 1 with a chain: the owner, whoever is on call (Agent 2 the week of 2 November, Agent 1 the next),
then the support leads' user group (the manager and a lead). A round lasts 50 minutes; one repeat."""


@pytest.fixture
async def chained(app: Supportbot, slack: FakeSlack, team: TeamPeople) -> TeamPeople:
    slack.add_user(LEAD)
    slack.add_usergroup("S0LEADS", [team.manager, LEAD])
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(CHAIN_YAML), now=datetime(2026, 1, 2, tzinfo=UTC))
        await session.commit()
    return team


def paged(slack: FakeSlack) -> list[Call]:
    """The chain's DMs that Slack accepted, oldest first."""
    return [c for c in slack.calls("chat.postMessage") if c.ok and "You're on call" in (c.text or "")]


def who(slack: FakeSlack) -> list[str]:
    return [str(c.channel) for c in paged(slack)]


async def test_the_chain_climbs_level_by_level_and_stops_at_the_acknowledgement(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, chained: TeamPeople, clock: Clock,
        settings: Any) -> None:
    await escalate(bot, slack, chained.agent, owner=chained.agent)  # P1, owned by Agent 1
    opened = clock.now

    async def tick(minutes: float, on: Supportbot = app) -> int:
        return await run_timers(on.services, opened + timedelta(minutes=minutes))

    await tick(0)
    assert who(slack) == [chained.agent]  # level 1: the owner
    dm = paged(slack)[0]
    buttons = [e for b in dm.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    acknowledge = next(e for e in buttons if e.get("action_id") == ids.ACKNOWLEDGE)
    assert "ESC-1" in dm.text and "P1" in dm.text and "nobody has acknowledged" in dm.text

    await tick(9)
    assert who(slack) == [chained.agent]
    await tick(10)
    assert who(slack) == [chained.agent, chained.teammate]  # level 2: on call this week
    assert slack.count("usergroups.users.list") == 0  # a group is asked for only when its level is due

    # A restart and a second replica tick at the same minute: the DMs already written are not written again.
    restarted = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    replica = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    try:
        await asyncio.gather(tick(20, restarted), tick(20, replica), tick(20))
        await tick(21, restarted)
    finally:
        await restarted.close()
        await replica.close()
    assert who(slack) == [chained.agent, chained.teammate, chained.manager, LEAD]  # level 3: the group, once
    assert slack.count("usergroups.users.list", usergroup="S0LEADS") <= 3  # one per process at most (cached)

    # The manager acknowledges from the DM's own button: the chain stops (no second round at 50 minutes).
    clock.now = opened + timedelta(minutes=25)
    manager_dm = paged(slack)[2]
    reply = await bot.click(ids.ACKNOWLEDGE, user=chained.manager, value=acknowledge["value"],
                            message={"ts": manager_dm.response["ts"], "blocks": manager_dm.blocks,
                                     "text": manager_dm.text}, channel=str(manager_dm.response["channel"]))
    assert reply.status == 200
    assert any("acknowledged" in (c.text or "") for c in slack.calls("chat.postMessage", channel="C0ENG"))
    for minute in (50, 60, 70, 200):
        await tick(minute)
    assert len(paged(slack)) == 4


async def test_the_chain_repeats_at_most_as_configured(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                       chained: TeamPeople, clock: Clock) -> None:
    await escalate(bot, slack, chained.agent, owner=chained.agent)
    opened = clock.now
    for minute in range(0, 4 * 60, 5):
        await run_timers(app.services, opened + timedelta(minutes=minute))
    calls = paged(slack)
    assert len(calls) == 2 * 4  # two rounds (one repeat) of owner, on call, manager and lead
    assert [c.channel for c in calls[4:]] == [chained.agent, chained.teammate, chained.manager, LEAD]
    assert all("(round 2)" in c.text for c in calls[4:]) and not any("round" in c.text for c in calls[:4])
    assert slack.count("usergroups.users.list") == 2  # once per level that names the group, not every tick


NIGHT = datetime(2026, 11, 2, 23, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
MORNING = datetime(2026, 11, 3, 7, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


async def test_quiet_hours_hold_a_p3_until_morning_but_not_a_p1(bot: SlackDriver, app: Supportbot,
                                                                 slack: FakeSlack, chained: TeamPeople,
                                                                 clock: Clock) -> None:
    clock.now = NIGHT
    await escalate(bot, slack, chained.agent, owner=chained.agent, summary="Urgent at night")  # P1
    await escalate(bot, slack, chained.agent, owner=chained.teammate, summary="Can wait",
                   severity="medium", impact="one", urgency="blocking")  # P3
    await run_timers(app.services, NIGHT + timedelta(minutes=10))
    assert [(c.channel, "ESC-1" in c.text) for c in paged(slack)] == [
        (chained.agent, True), (chained.teammate, True)]  # the P1 reaches its owner and the on-call at night
    await run_timers(app.services, MORNING - timedelta(minutes=1))
    assert not any("ESC-2" in c.text for c in paged(slack))
    await run_timers(app.services, MORNING)
    assert [c.channel for c in paged(slack) if "ESC-2" in c.text] == [chained.teammate]  # its owner, at 07:00
    await run_timers(app.services, MORNING + timedelta(minutes=10))
    assert [c.channel for c in paged(slack) if "ESC-2" in c.text] == [chained.teammate, chained.teammate]


async def test_the_on_call_level_follows_the_rotation_handover(bot: SlackDriver, app: Supportbot,
                                                               slack: FakeSlack, chained: TeamPeople,
                                                               clock: Clock) -> None:
    clock.now = datetime(2026, 11, 9, 8, 55, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    await escalate(bot, slack, chained.agent)  # no owner: the first level has nobody to tell
    await run_timers(app.services, clock.now)
    assert who(slack) == []
    await run_timers(app.services, clock.now + timedelta(minutes=10))  # 09:05 Monday: Agent 1's week now
    assert who(slack) == [chained.agent]


async def test_a_group_slack_cannot_expand_waits_for_the_next_tick(bot: SlackDriver, app: Supportbot,
                                                                   slack: FakeSlack, chained: TeamPeople,
                                                                   clock: Clock) -> None:
    await escalate(bot, slack, chained.agent, owner=chained.agent)
    slack.fail_method("usergroups.users.list", "missing_scope")
    await run_timers(app.services, clock.now + timedelta(minutes=20))
    assert who(slack) == [chained.agent, chained.teammate]  # the group's level waits
    slack.clear_failures()
    await run_timers(app.services, clock.now + timedelta(minutes=21))
    assert who(slack) == [chained.agent, chained.teammate, chained.manager, LEAD]
