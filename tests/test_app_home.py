"""The App Home: what a member and a manager see, within Slack's limits whatever the data, with the same
number of queries for 5 escalations as for 300, and one republish for a burst of clicks."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from bot.app import Supportbot
from bot.rules import keys
from bot.seed import seed_escalation
from handlers.escalations import ids as escalation_ids
from handlers.home import data, views
from handlers.standups import ids as standup_ids
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import escalate
from tests.kit.block_limits import view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack


@pytest.fixture
def home_refresh_after() -> float:
    return 0.05


def actions_in(view: dict) -> list[str]:
    found = []
    for block in view["blocks"]:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if "action_id" in element:
                found.append(element["action_id"])
    return found


async def open_home(bot: SlackDriver, slack: FakeSlack, user: str) -> Call:
    before = len(slack.calls("views.publish", user_id=user))
    await bot.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                     "event_ts": "1700000000.000100"})
    return slack.wait_for("views.publish", count=before + 1, user_id=user)[-1]


async def test_a_member_sees_their_escalations_with_buttons_todays_standup_and_the_pulse(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    await escalate(bot, slack, team.agent)
    view = (await open_home(bot, slack, team.agent)).view
    assert view is not None and view["type"] == "home" and not view_problems(view)
    text = str(view["blocks"])
    assert "Your open escalations* (1)" in text and "Today's stand-up" in text and "This week's pulse" in text
    assert escalation_ids.ACKNOWLEDGE in actions_in(view) and standup_ids.START in actions_in(view)
    assert "Your teams" not in text  # no manager sections for a member


async def test_a_manager_also_sees_kpis_open_escalations_by_priority_participation_and_pulse(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    await escalate(bot, slack, team.agent)
    view = (await open_home(bot, slack, team.manager)).view
    assert view is not None and not view_problems(view)
    text = str(view["blocks"])
    assert "Your teams" in text and "Tier 1 Support" in text and "Open escalations, by priority" in text
    assert "ESC-" in text and "No pulse result" in text and "No KPI data yet" in text


async def test_hundreds_of_escalations_fit_and_cost_no_more_queries(app: Supportbot, team: TeamPeople,
                                                                   clock: Clock) -> None:
    tier1 = (await app.services.directory.current()).find(team.key)
    assert tier1 is not None
    statements: list[str] = []
    event.listen(app.services.engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(str(args[2])))

    async def home_of(user: str) -> dict:
        await app.services.outbox.drain()  # who they are is learnt from Slack after a Home is gathered
        statements.clear()
        built = views.home(await data.gather(app.services, user, clock.now))
        return {"view": built, "queries": len(statements)}

    async def seed(first: int, last: int) -> None:
        async with app.services.db() as session:
            for n in range(first, last):
                await seed_escalation(session, tier1, now=clock.now - timedelta(minutes=n), reporter=team.agent,
                                      summary=f"Case {n} " + "x" * 140, customer="C" * 200)

    await seed(0, 5)
    for user in (team.agent, team.manager):
        await home_of(user)  # who they are is asked of Slack (and cached) after the first time
    few = {user: await home_of(user) for user in (team.agent, team.manager)}
    await seed(5, 300)
    many = {user: await home_of(user) for user in (team.agent, team.manager)}
    for user in (team.agent, team.manager):
        assert many[user]["queries"] == few[user]["queries"], user
        assert not view_problems(many[user]["view"]) and len(many[user]["view"]["blocks"]) <= 100
    shown = str(many[team.agent]["view"]["blocks"])
    assert "…and 292 more" in shown


async def test_a_burst_of_clicks_republishes_the_home_once(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                          team: TeamPeople) -> None:
    for _ in range(3):
        await bot.command("/standup", "help", user=team.agent)
    for _ in range(200):  # a bounded poll: the refresh runs on this event loop, after its short delay
        if slack.calls("views.publish", user_id=team.agent):
            break
        await asyncio.sleep(0.01)
    assert app.services.later.waiting == 0  # nothing else is pending: the three clicks made one refresh
    assert len(slack.calls("views.publish", user_id=team.agent)) == 1


@pytest.mark.parametrize("key", [keys.home("U0AGENT1", date(2026, 11, 2), "event-Ev0ABC"),
                                 keys.request_message("setup", "tier2", date(2026, 11, 2), "welcome", "U0ADMIN"),
                                 keys.request_message("prioritize", "tier1", date(2026, 11, 2), "share", "C0TEAM",
                                                      "1.2.abc")])
def test_a_request_s_message_is_remembered_a_day_and_read_back(key: keys.DatedKey) -> None:
    assert keys.parse(str(key)) == key
    assert key.remembered.last_day == date(2026, 11, 3)
