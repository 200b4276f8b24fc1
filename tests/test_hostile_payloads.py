"""Signed payloads with hostile values: ids that are not what they seem, values of the wrong type, a forged
owner, and user text written to ping a channel or hide a link. Each is refused politely or rendered inert;
nothing crashes, nothing is stored that should not be."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.app import Supportbot
from handlers.escalations import ids
from handlers.payloads import UNREADABLE
from storage import escalations
from tests.conftest import TeamPeople
from tests.escalation_steps import card_post, escalate, open_form, path_option, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import RESPONSE_URL_METHOD, FakeSlack
from tests.test_hostile_requests import no_traceback

HOSTILE = "<!channel> <@U0VICTIM> <https://evil.example|click> & <!here>"
LIVE = re.compile(r"<!channel>|<!here>|<@U0VICTIM>|<https://evil\.example")


async def open_count(app: Supportbot) -> int:
    async with app.services.db() as session:
        return (await escalations.open_for_teams(session, [1])).total


@pytest.mark.parametrize("value", ["²", "1" * 40, "0x1", "-1", " 1", 5, [1], None, {"id": 1}])
async def test_a_button_value_that_is_not_an_escalation_number_is_refused(
        value: Any, bot: SlackDriver, slack: FakeSlack, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    await escalate(bot, slack, team.agent)
    with caplog.at_level(logging.INFO):
        reply = await bot.click(ids.ACKNOWLEDGE, user=team.agent, value=value,
                                message={"ts": card_post(slack, "C0ENG").ts}, channel="C0ENG")
    assert reply.status == 200
    no_traceback(caplog)
    assert slack.count("chat.update") == 0  # nothing was acknowledged
    refusals = slack.calls(RESPONSE_URL_METHOD)
    if refusals:  # the envelope was readable: the person is told, privately
        assert refusals[-1].text in ("That escalation no longer exists.", UNREADABLE)


@pytest.mark.parametrize("metadata", ["²", "9" * 40, "", "1; DROP TABLE escalations"])
async def test_a_follow_up_form_about_no_real_escalation_is_refused_inline(
        metadata: str, bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    await escalate(bot, slack, team.agent)
    await press(bot, slack, ids.POST_UPDATE, user=team.agent, channel="C0ENG")
    view = {**slack.last("views.open").response["view"], "private_metadata": metadata}
    with caplog.at_level(logging.INFO):
        reply = await bot.submit(view, user=team.agent, update_text="All good")
    assert reply.errors == {ids.UPDATE_TEXT: "That escalation no longer exists."}
    no_traceback(caplog)
    assert slack.count("chat.update") == 0


@pytest.mark.parametrize(("block", "value"), [
    ("summary", 123), ("summary", ["a", "b"]), ("customer", {"text": "x"}), ("details", True),
])
async def test_form_values_of_the_wrong_type_come_back_inline(
        block: str, value: Any, app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        reply, _view = await escalate(bot, slack, team.agent, **{block: value})
    assert reply.status == 200 and reply.errors
    no_traceback(caplog)
    assert await open_count(app) == 0
    assert slack.count("chat.postMessage") == 0


@pytest.mark.parametrize("owner", ["U0NOBODY", "<!channel>", "42", "U0AGENT2 <!here>"])
async def test_an_owner_the_user_picker_could_not_have_given_is_refused(
        owner: str, app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    reply, _view = await escalate(bot, slack, team.agent, owner=owner)
    assert set(reply.errors) == {ids.OWNER}
    assert await open_count(app) == 0
    assert slack.count("chat.postMessage") == 0


async def test_a_real_owner_is_accepted(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                        team: TeamPeople) -> None:
    slack.add_user(team.teammate)
    reply, _view = await escalate(bot, slack, team.agent, owner=team.teammate)
    assert reply.status == 200 and reply.body == ""
    assert await open_count(app) == 1
    assert slack.last("users.info").user == team.teammate


def rendered(call_args: dict[str, Any]) -> list[str]:
    """Every text Slack would render with formatting: the top-level text and each mrkdwn text in blocks."""
    found = [str(call_args.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call_args.get("blocks"))
    walk(call_args.get("view"))
    return found


async def test_user_text_never_reaches_slack_as_live_markup(bot: SlackDriver, slack: FakeSlack,
                                                            team: TeamPeople) -> None:
    view = await open_form(bot, slack, team.agent)
    await bot.submit(view, user=team.agent, customer=HOSTILE, summary=HOSTILE[:150], details=HOSTILE,
                     severity="critical", impact="widespread", urgency="blocking",
                     path=path_option(view, "Engineering"))
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    for opener, submit in ((ids.POST_UPDATE, {"update_text": HOSTILE}),
                           (ids.RESOLVE, {"outcome": HOSTILE, "root_cause": "outage", "customer_told": "yes"})):
        await press(bot, slack, opener, user=team.agent, channel="C0ENG")
        await bot.submit(slack.last("views.open").response["view"], user=team.agent, **submit)
    await bot.command("/escalate", "ESC-1", user=team.agent)
    await bot.command("/escalate", "list", user=team.agent)
    calls = [c for c in slack.calls() if c.method in ("chat.postMessage", "chat.update", "views.open",
                                                      RESPONSE_URL_METHOD)]
    assert len(calls) >= 10
    live = [(c.method, text) for c in calls for text in rendered(c.args) if LIVE.search(text)]
    assert live == []
    assert any("&lt;!channel&gt;" in text for c in calls for text in rendered(c.args))  # shown, escaped
