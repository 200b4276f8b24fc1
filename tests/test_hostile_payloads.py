"""Signed, well-formed envelopes with hostile values: ids that are not what they seem, values of the wrong
type, a forged owner, and user text written to ping a channel or hide a link. Each is refused politely (one
WARNING line when Slack sent something it never would) or rendered inert; nothing crashes, nothing is stored
that should not be. The envelopes themselves are `test_hostile_requests.py`'s."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.app import Supportbot
from handlers import envelope, people
from handlers.escalations import ids
from handlers.escalations.acting import GONE
from handlers.payloads import UNREADABLE
from storage import escalations
from storage.models import Escalation
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import GOOD, card_post, escalate, open_form, path_option, press
from tests.kit.block_limits import facts_dir
from tests.kit.driver import TEAM_ID, Reply, SlackDriver, state_of
from tests.kit.fake_slack import RESPONSE_URL_METHOD, FakeSlack
from tests.test_hostile_requests import FORM, no_traceback, stored, warnings

HOSTILE = "<!channel> <@U0AGENT2> <https://evil.example|click> & <!here>"
LIVE = re.compile(r"<!channel|<!here|<@U0AGENT2|<https://evil\.example")


def expect_warnings(caplog: pytest.LogCaptureFixture, count: int) -> None:
    logged = warnings(caplog)
    assert len(logged) == count and all(m.startswith("refused") for m in logged), logged
    no_traceback(caplog)


async def submit_state(bot: SlackDriver, view: dict[str, Any], user: str, state: dict[str, Any]) -> Reply:
    """A view submission with exactly this `state.values`, as a broken or hostile client would send it."""
    return await bot.interact({"type": "view_submission", "trigger_id": "1.2.3", "response_urls": [],
                               "user": {"id": user, "team_id": TEAM_ID},
                               "view": {**view, "id": "V0HOSTILE", "state": {"values": state}}})


async def stored_escalation(app: Supportbot) -> Escalation:
    async with app.services.db() as session:
        found = await escalations.get(session, 1)
    assert found is not None
    return found


# ---------------------------------------------------------------- values of the wrong shape
@pytest.mark.parametrize(("value", "told", "logged"), [
    ("1", None, 0),  # the real button: it works, so the refusals below are the values' doing
    ("²", UNREADABLE, 1), ("1" * 40, UNREADABLE, 1), ("0x1", UNREADABLE, 1), ("-1", UNREADABLE, 1),
    (" 1", UNREADABLE, 1), ("１", UNREADABLE, 1), (None, UNREADABLE, 1),
    (5, UNREADABLE, 1), ([1], UNREADABLE, 1), ({"id": 1}, UNREADABLE, 1),
    ("0", GONE, 0), ("2", GONE, 0), ("999999999", GONE, 0),
])
async def test_a_button_value_that_is_not_an_escalation_number_is_refused_privately(
        value: Any, told: str | None, logged: int, app: Supportbot, bot: SlackDriver, slack: FakeSlack,
        team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    await escalate(bot, slack, team.agent)
    with caplog.at_level(logging.INFO):
        reply = await bot.click(ids.ACKNOWLEDGE, user=team.agent, value=value,
                                message={"ts": card_post(slack, "C0ENG").ts}, channel="C0ENG")
    assert (reply.status, reply.body) == (200, "")
    expect_warnings(caplog, logged)
    refusals = [c.text for c in slack.calls(RESPONSE_URL_METHOD)]
    assert refusals == ([told] if told else [])
    assert (slack.count("chat.update") == 0) is bool(told)
    assert ((await stored_escalation(app)).status == "open") is bool(told)


@pytest.mark.parametrize(("chosen", "told", "logged"), [
    ("²", None, 0), ("<!channel>", None, 0), ("u0agent2", None, 0),  # not a person: the pick is ignored
    (5, UNREADABLE, 1), (["U0AGENT2"], UNREADABLE, 1), ({"id": "U0AGENT2"}, UNREADABLE, 1),
])
async def test_an_assignment_to_something_that_is_not_a_person_changes_nothing(
        chosen: Any, told: str | None, logged: int, app: Supportbot, bot: SlackDriver, slack: FakeSlack,
        team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    await escalate(bot, slack, team.agent)
    with caplog.at_level(logging.INFO):
        reply = await press(bot, slack, ids.ASSIGN, user=team.manager, channel="C0ENG", selected_user=chosen)
    assert reply.status == 200
    expect_warnings(caplog, logged)
    assert [c.text for c in slack.calls(RESPONSE_URL_METHOD)] == ([told] if told else [])
    assert slack.count("chat.update") == 0
    assert (await stored_escalation(app)).owner is None


@pytest.mark.parametrize(("metadata", "error", "logged"), [
    ("²", UNREADABLE, 1), ("9" * 40, UNREADABLE, 1), ("", UNREADABLE, 1), ("-1", UNREADABLE, 1),
    ("1; DROP TABLE escalations", UNREADABLE, 1), (5, UNREADABLE, 1), (None, UNREADABLE, 1), ([1], UNREADABLE, 1),
    ("0", GONE, 0), ("999999999", GONE, 0),
])
async def test_a_follow_up_form_about_no_real_escalation_is_refused_inline(
        metadata: Any, error: str, logged: int, app: Supportbot, bot: SlackDriver, slack: FakeSlack,
        team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    await escalate(bot, slack, team.agent)
    await press(bot, slack, ids.POST_UPDATE, user=team.agent, channel="C0ENG")
    view = {**slack.last("views.open").response["view"], "private_metadata": metadata}
    posts = slack.count("chat.postMessage")
    with caplog.at_level(logging.INFO):
        reply = await bot.submit(view, user=team.agent, update_text="All good")
    assert reply.errors == {ids.UPDATE_TEXT: error}
    expect_warnings(caplog, logged)
    assert slack.count("chat.postMessage") == posts and slack.count("chat.update") == 0
    assert (await stored_escalation(app)).last_update_at is None


def changed(state: dict[str, Any], block: str, key: str, value: Any) -> dict[str, Any]:
    if key == "":
        return {**state, block: value}
    return {**state, block: {block: {**state[block][block], key: value}}}


@pytest.mark.parametrize(("block", "key", "value", "errors", "logged"), [
    (ids.SUMMARY, "value", 123, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SUMMARY, "value", ["a", "b"], {ids.SUMMARY: UNREADABLE}, 1),
    (ids.CUSTOMER, "value", {"text": "x"}, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.DETAILS, "value", True, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.DETAILS, "value", "x" * 10_001, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SUMMARY, "type", None, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SUMMARY, "", ["not", "an", "object"], {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SEVERITY, "selected_option", "critical", {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SEVERITY, "selected_option", {"value": 5}, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.OWNER, "selected_user", 42, {ids.SUMMARY: UNREADABLE}, 1),
    (ids.OWNER, "selected_user", ["U0AGENT2"], {ids.SUMMARY: UNREADABLE}, 1),
    (ids.SUMMARY, "value", "a\x00b", {ids.CUSTOMER: UNREADABLE}, 1),  # refused before Bolt: its first input
    (ids.SUMMARY, "value", "a\ud800b", {ids.CUSTOMER: UNREADABLE}, 1),
    (ids.SEVERITY, "selected_option", {"value": "apocalyptic"}, {ids.SEVERITY: "Please choose a severity."}, 0),
    (ids.PATH, "selected_option", {"value": "²"}, {ids.PATH: "Please choose where to route this escalation."}, 0),
    (ids.PATH, "selected_option", {"value": "9" * 40},
     {ids.PATH: "Please choose where to route this escalation."}, 0),
    (ids.PATH, "selected_option", {"value": "999999999"},
     {ids.PATH: "That escalation path is no longer available: please choose another."}, 0),
])
async def test_a_form_value_of_the_wrong_shape_comes_back_inline_and_stores_nothing(
        block: str, key: str, value: Any, errors: dict[str, str], logged: int, app: Supportbot, bot: SlackDriver,
        slack: FakeSlack, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    view = await open_form(bot, slack, team.agent)
    state = state_of(view, {**GOOD, "path": path_option(view, "Engineering")})
    with caplog.at_level(logging.INFO):
        reply = await submit_state(bot, view, team.agent, changed(state, block, key, value))
    assert reply.status == 200 and reply.errors == errors
    expect_warnings(caplog, logged)
    assert await stored(app) == 0
    assert slack.count("chat.postMessage") == 0
    control = await submit_state(bot, view, team.agent, state)  # the same form, untouched, is accepted
    assert (control.status, control.body, await stored(app)) == (200, "", 1)


COMMAND = {"command": "/escalate", "text": "Checkout fails", "user_id": "U0AGENT1", "team_id": TEAM_ID,
           "channel_id": "C0HERE", "trigger_id": "1.2.3", "response_url": "http://127.0.0.1:9/x"}


@pytest.mark.parametrize("change", [
    {"user_id": "²"}, {"user_id": "U0AGENT1\n"}, {"user_id": "u0agent1"}, {"user_id": "<!channel>"},
    {"trigger_id": None}, {"trigger_id": ""}, {"text": "x" * 4001}, {"channel_id": "C" * 256},
], ids=lambda change: str(change)[:40])
async def test_a_slash_command_with_a_value_slack_would_not_send_is_answered_privately(
        change: dict[str, Any], bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    form = {k: v for k, v in {**COMMAND, **change}.items() if v is not None}
    with caplog.at_level(logging.INFO):
        reply = await bot.post(urlencode(form), content_type=FORM)
    assert (reply.status, reply.text) == (200, UNREADABLE)
    expect_warnings(caplog, 1)
    assert slack.count("views.open") == 0


async def test_an_escalation_number_past_the_database_integer_is_just_not_found(
        bot: SlackDriver, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        reply = await bot.command("/escalate", "ESC-999999999", user=team.agent)
    assert reply.status == 200 and "I can't find ESC-999999999" in reply.text
    expect_warnings(caplog, 0)


def documented_payloads() -> dict[str, dict[str, Any]]:
    """Every payload in shared/slack (Slack's docs and the SDKs' tests), as it arrives."""
    folder = facts_dir() / "payloads"
    found = {path.name: envelope.read(path.read_text("utf-8").strip().encode(), FORM)
             for path in sorted(folder.glob("*.form"))}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        payload = data.get("payload", data)
        if path.name == "socket_mode_envelopes.json":
            found |= {f"socket {e['type']}": e["payload"] for e in payload["envelopes"]}
        elif "type" in payload or "command" in payload:
            found[path.name] = payload
    return found


@pytest.mark.parametrize(("name", "payload"), list(documented_payloads().items()))
def test_every_payload_slack_documents_passes_the_envelope_check(name: str, payload: dict[str, Any]) -> None:
    assert envelope.problem(payload) is None


# ---------------------------------------------------------------- the owner field
@pytest.mark.parametrize(("owner", "asked", "error"), [
    ("U0NOBODY", True, "Slack doesn't know that person"),
    ("U0GONE", True, "Slack doesn't know that person"),  # deactivated
    ("U0ROBOT", True, "Slack doesn't know that person"),  # a bot
    ("<!channel>", False, "Please choose the owner from the list"),
    ("42", False, "Please choose the owner from the list"),
    ("u0agent2", False, "Please choose the owner from the list"),
    ("U0AGENT2 <!here>", False, "Please choose the owner from the list"),
])
async def test_an_owner_the_user_picker_could_not_have_given_is_refused_inline(
        owner: str, asked: bool, error: str, app: Supportbot, bot: SlackDriver, slack: FakeSlack,
        team: TeamPeople, clock: Clock) -> None:
    """A forged ID is refused once the people cache knows what Slack says of it (nothing is asked of Slack
    before the answer: an ID the cache never saw is taken, the picker offering only real people)."""
    slack.add_user("U0GONE", deleted=True)
    slack.add_user("U0ROBOT", is_bot=True)
    if asked:
        await people.people(app.services, [owner], clock.now)
    reply, _view = await escalate(bot, slack, team.agent, owner=owner)
    assert reply.status == 200 and set(reply.errors) == {ids.OWNER}
    assert error in reply.errors[ids.OWNER]
    assert [c.args.get("user") for c in slack.calls("users.info")] == ([owner] if asked else [])
    assert await stored(app) == 0
    assert slack.count("chat.postMessage") == 0


async def test_a_real_owner_is_accepted(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                        team: TeamPeople) -> None:
    slack.add_user(team.teammate)
    reply, _view = await escalate(bot, slack, team.agent, owner=team.teammate)
    assert (reply.status, reply.body) == (200, "")
    assert (await stored_escalation(app)).owner == team.teammate
    assert slack.count("users.info") == 0  # a member of a team is known without asking Slack before the answer
    assert slack.count("chat.postMessage", channel="C0ENG") == 1


# ---------------------------------------------------------------- user text as markup
def rendered(args: dict[str, Any]) -> list[str]:
    """Every text Slack would render as mrkdwn: the top-level text and each mrkdwn text object anywhere in
    the blocks, the view or the attachments."""
    found = [str(args["text"])] if args.get("text") else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for key in ("blocks", "view", "attachments"):
        walk(json.loads(args[key]) if isinstance(args.get(key), str) else args.get(key))
    return found


async def test_user_text_never_reaches_slack_as_live_markup(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                            team: TeamPeople) -> None:
    """Typed by the reporter in every text field, then by the manager who acknowledges, updates, changes
    the priority, resolves and reopens it; read back in every answer and every call Slack received (cards,
    card updates, thread replies, DMs, modals, private answers)."""
    view = await open_form(bot, slack, team.agent)
    reply = await bot.submit(view, user=team.agent, **{**GOOD, "customer": HOSTILE, "summary": HOSTILE,
                                                       "details": HOSTILE, "path": path_option(view, "Engineering")})
    assert (reply.status, reply.body) == (200, "")
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    for opener, values in ((ids.POST_UPDATE, {"update_text": HOSTILE}),
                           (ids.CHANGE_PRIORITY, {"new_priority": "P2", "reason": HOSTILE}),
                           (ids.RESOLVE, {"outcome": HOSTILE, "root_cause": "outage", "customer_told": "yes"}),
                           (ids.REOPEN, {"reason": HOSTILE})):
        await press(bot, slack, opener, user=team.manager, channel="C0ENG")
        done = await bot.submit(slack.last("views.open").response["view"], user=team.manager, **values)
        assert (done.status, done.body) == (200, ""), opener
    answers = [(await bot.command("/escalate", text, user=team.agent)).json
               for text in ("ESC-1", "list", "mine", "stats 7d")]
    calls = [c for c in slack.calls() if c.method not in ("auth.test", "users.info", "chat.getPermalink")]
    assert {c.method for c in calls} >= {"chat.postMessage", "chat.update", "views.open"}
    assert any(c.channel == team.agent for c in calls)  # the reporter's DMs are checked too
    texts = [text for c in calls for text in rendered(c.args)] + [t for a in answers for t in rendered(a)]
    assert [text for text in texts if LIVE.search(text)] == []
    shown = "\n".join(texts)
    assert shown.count("&lt;!channel&gt;") >= 10  # the text is there, escaped, in the card, the thread, the DMs…
    assert "&lt;@U0AGENT2&gt;" in shown and "&lt;https://evil.example|click&gt; &amp; &lt;!here&gt;" in shown
    stored_text = await stored_escalation(app)
    assert (stored_text.customer, stored_text.summary, stored_text.outcome) == (HOSTILE, HOSTILE, HOSTILE)


async def test_a_refusal_with_nowhere_to_send_it_is_only_logged(bot: SlackDriver, slack: FakeSlack,
                                                                team: TeamPeople,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """A click Slack sent without a response_url (as it does inside modals) cannot be answered privately."""
    with caplog.at_level(logging.INFO):
        reply = await bot.interact({"type": "block_actions", "user": {"id": team.agent}, "trigger_id": "1.2.3",
                                    "actions": [{"action_id": ids.ACKNOWLEDGE, "block_id": "b", "value": "²"}]})
    assert (reply.status, reply.body) == (200, "")
    expect_warnings(caplog, 1)
    assert slack.calls(RESPONSE_URL_METHOD) == [] and slack.count("chat.update") == 0


async def test_a_forged_assign_pick_is_refused(app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                               clock: Clock) -> None:
    await escalate(bot, slack, team.agent)
    await people.people(app.services, ["U0NOBODY"], clock.now)  # Slack told the cache: nobody by that ID
    updates = slack.count("chat.update")
    await press(bot, slack, ids.ASSIGN, user=team.agent, channel="C0ENG", selected_user="U0NOBODY")
    assert slack.count("chat.update") == updates  # nobody was assigned
    assert slack.last(RESPONSE_URL_METHOD).text == ("Slack doesn't know that person: please pick the owner from "
                                                    "the list.")
