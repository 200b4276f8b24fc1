"""Slack hears back before anything slow happens: every escalation interaction is answered before the Slack
call it implies is answered (the fake Slack delays that method, or answers it 429), and the call is made after.
A crash between the commit and the send, an outage during a burst of clicks, a card updated while Slack is
slow and two dispatchers on one database lose nothing and double nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Supportbot, create_app
from handlers import outbox as dispatcher
from handlers import people
from handlers.dispatch import run_outbox
from handlers.escalations import ids
from handlers.supportbot import ids as setup_ids
from storage import outbox
from storage.outbox_models import OutboxMessage
from tests.conftest import SIGNING_SECRET, Clock, TeamPeople
from tests.escalation_steps import GOOD, card, card_post, escalate, path_option, press
from tests.kit.driver import Reply, SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.test_team_setup import FORM as SETUP_FORM

SLOW = 4.0
RETRY_AFTER = 10
"""Slack's Retry-After on a 429 (seconds): far longer than any request may take."""


async def answered_before(slack: FakeSlack, method: str, request: Awaitable[Reply], *, count: int = 1) -> Reply:
    """The request's answer, checked to have come before Slack answered the (slow) `method` call; then the call
    is awaited (bounded) until the fake has it."""
    before = slack.count(method)
    reply = await request
    assert slack.count(method) == before, f"{method} was answered before the request was"
    await slack.await_for(method, before + count, timeout=30)
    return reply


class _Later:
    """The dispatcher's monotonic clock, moved `ahead` seconds: Slack's Retry-After has passed without a sleep."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


async def sent_after_retry_after(app: Supportbot, slack: FakeSlack, method: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The 429'd `method` is not called again while Slack's Retry-After lasts (the dispatcher's wait bounded to
    half a second), then, the dispatcher's clock moved past it, everything is sent."""
    started = time.monotonic()
    await app.services.outbox.drain(limit=0.5)  # the sends in flight beside the 429'd one end; the rest waits
    before = slack.count(method)
    await app.services.outbox.drain(limit=0.5)
    assert time.monotonic() - started < RETRY_AFTER / 2
    assert slack.count(method) == before, f"{method} was called again within Retry-After"
    async with app.services.db() as session:
        assert await outbox.waiting(session), "the 429'd message was given up"
    monkeypatch.setattr(dispatcher, "time", _Later(RETRY_AFTER + 1))
    await app.services.outbox.drain()


@pytest.fixture
def quick(bot: SlackDriver) -> SlackDriver:
    bot.settle = False
    return bot


@pytest.mark.parametrize(("method", "how"), [
    ("chat.postMessage", "slow"), ("chat.getPermalink", "slow"), ("chat.postMessage", "429")])
async def test_the_escalation_form_is_answered_before_slack(quick: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                           team: TeamPeople, method: str, how: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    await quick.command("/escalate", user=team.agent)
    await slack.await_for("views.open")
    view = dict(slack.last("views.open").response["view"])
    if how == "slow":
        slack.delay_next(method, SLOW)
    else:
        slack.fail_next(method, 429, retry_after=RETRY_AFTER)
    values = {**GOOD, "path": path_option(view, "Engineering")}
    reply = await answered_before(slack, method, quick.submit(view, user=team.agent, **values))
    assert (reply.status, reply.body) == (200, "")
    if how == "429":
        await sent_after_retry_after(app, slack, method, monkeypatch)
    await app.services.outbox.drain()
    assert "ESC-1" in card_post(slack, "C0ENG").text and card_post(slack, "C0ESC")
    sent = [c for c in slack.calls("chat.postMessage") if c.ok]
    assert [c.channel for c in sent].count(team.agent) == 1  # the reporter's confirmation, once
    assert [c.channel for c in sent].count("C0ENG") == 1


@pytest.mark.parametrize(("method", "how"), [("chat.update", "slow"), ("chat.postMessage", "slow"),
                                             ("chat.postMessage", "429")])
async def test_acknowledge_is_answered_before_slack(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                   team: TeamPeople, method: str, how: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    await escalate(bot, slack, team.agent)
    bot.settle = False
    if how == "slow":
        slack.delay_next(method, SLOW)
    else:
        slack.fail_next(method, 429, retry_after=RETRY_AFTER)
    await answered_before(slack, method, press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG"))
    if how == "429":
        await sent_after_retry_after(app, slack, method, monkeypatch)
    await app.services.outbox.drain()
    assert "acknowledged" in str(card(slack, "C0ENG").blocks).lower() or slack.count("chat.update") >= 2
    replies = [c for c in slack.calls("chat.postMessage", channel="C0ENG") if c.ok and c.thread_ts]
    assert len(replies) == 1 and "acknowledged it" in (replies[0].text or "")


@pytest.mark.parametrize("method", ["chat.update", "chat.postMessage"])
async def test_resolve_is_answered_before_slack(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                               team: TeamPeople, method: str) -> None:
    await escalate(bot, slack, team.agent)
    await press(bot, slack, ids.RESOLVE, user=team.manager, channel="C0ENG")
    form = slack.last("views.open").response["view"]
    bot.settle = False
    slack.delay_next(method, SLOW)
    reply = await answered_before(slack, method, bot.submit(form, user=team.manager, outcome="Fixed",
                                                            root_cause="outage", customer_told="yes"))
    assert (reply.status, reply.body) == (200, "")
    await app.services.outbox.drain()
    assert "was resolved by" in slack.last("chat.postMessage", channel=team.agent).text


async def test_escalate_is_answered_before_its_form_opens(quick: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                          team: TeamPeople) -> None:
    slack.delay_next("views.open", SLOW)
    reply = await answered_before(slack, "views.open", quick.command("/escalate", user=team.agent))
    assert (reply.status, reply.body) == (200, "")


async def test_an_owner_slack_is_slow_to_describe_does_not_hold_the_answer(
        quick: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    slack.add_user("U0ELSEWHERE")
    await quick.command("/escalate", user=team.agent)
    await slack.await_for("views.open")
    view = dict(slack.last("views.open").response["view"])
    slack.delay_next("users.info", SLOW)
    values = {**GOOD, "path": path_option(view, "Engineering"), "owner": "U0ELSEWHERE"}
    reply = await answered_before(slack, "users.info", quick.submit(view, user=team.agent, **values))
    assert (reply.status, reply.body) == (200, "")


async def test_a_crash_between_the_commit_and_the_send_is_sent_by_the_tick(
        settings: Any, slack: FakeSlack, clock: Clock, team: TeamPeople, app: Supportbot) -> None:
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    driver = SlackDriver(crashed, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    try:
        await driver.command("/escalate", user=team.agent)
        await slack.await_for("views.open")
        view = dict(slack.last("views.open").response["view"])
        reply = await driver.submit(view, user=team.agent, **{**GOOD, "path": path_option(view, "Engineering")})
        assert (reply.status, reply.body) == (200, "")
    finally:
        await driver.close()
        await crashed.close()  # the process dies: committed, never sent
    assert slack.count("chat.postMessage") == 0
    assert await run_outbox(app.services, clock.now) == 3  # two cards and the confirmation
    assert await run_outbox(app.services, clock.now) == 0
    assert slack.count("chat.postMessage", channel="C0ENG") == 1


async def test_an_outage_during_a_burst_of_clicks_sends_everything_once_in_order(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    for number in range(3):
        await escalate(bot, slack, team.agent, summary=f"Problem {number}")
    posted = {c.ts for c in slack.calls("chat.postMessage", channel="C0ENG") if c.ok and not c.thread_ts}
    slack.outage(500)
    for ts in sorted(posted):
        message = {"ts": ts, "blocks": slack.message("C0ENG", ts)["blocks"]}  # type: ignore[index]
        await bot.click(ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG", message=message,
                        value=_value(message, ids.ACKNOWLEDGE))
    slack.end_outage()
    clock.advance(minutes=1)
    await run_outbox(app.services, clock.now)
    for ts in posted:
        replies = [c for c in slack.calls("chat.postMessage", channel="C0ENG") if c.ok and c.thread_ts == ts]
        assert len(replies) == 1 and "acknowledged it" in (replies[0].text or "")
        updates = [c for c in slack.calls("chat.update", channel="C0ENG") if c.ok and c.args.get("ts") == ts]
        assert len(updates) == 1
        assert slack.calls().index(updates[0]) < slack.calls().index(replies[0])  # in order per card
    assert await run_outbox(app.services, clock.advance(minutes=1)) == 0


def _value(message: dict[str, Any], action_id: str) -> str | None:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element.get("value"))
    return None


async def test_a_card_updated_three_times_while_slack_is_slow_shows_the_latest(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await escalate(bot, slack, team.agent)
    slack.delay_next("chat.update", 2.0)
    slack.delay_next("chat.update", 2.0)
    bot.settle = False
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    for text in ("First look", "Second look"):
        await press(bot, slack, ids.POST_UPDATE, user=team.manager, channel="C0ENG")
        await slack.await_for("views.open", 2)
        await bot.submit(slack.last("views.open").response["view"], user=team.manager, update_text=text)
    await app.services.outbox.drain()
    updates = [c for c in slack.calls("chat.update", channel="C0ENG") if c.ok]
    assert 1 <= len(updates) <= 3
    async with app.services.db() as session:
        waiting = (await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))).all()
    assert waiting == []
    latest = slack.message("C0ENG", card_post(slack, "C0ENG").ts)
    assert latest is not None and "acknowledged" in str(latest).lower()


async def test_two_dispatchers_on_one_database_never_send_one_message_twice(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, clock: Clock, settings: Any) -> None:
    replica = create_app(settings, clock=clock, send_in_background=False)
    silent = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    driver = SlackDriver(silent, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    try:
        for number in range(4):
            await driver.command("/escalate", user=team.agent)
            await slack.await_for("views.open", number + 1)
            view = dict(slack.last("views.open").response["view"])
            await driver.submit(view, user=team.agent, **{**GOOD, "summary": f"Problem {number}",
                                                          "path": path_option(view, "Engineering")})
        first, second = await asyncio.gather(app.services.outbox.send_due(clock.now),
                                             replica.services.outbox.send_due(clock.now))
    finally:
        await driver.close()
        await silent.close()
        await replica.close()
    assert first + second == 12
    keys = [(c.channel, c.text) for c in slack.calls("chat.postMessage") if c.ok]
    assert len(keys) == len(set(keys)) == 12


# ---------------------------------------------------------------- App Home, setup, prioritize, drafts, owners

async def open_home_tab(driver: SlackDriver, user: str) -> Reply:
    return await driver.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})


@pytest.mark.parametrize("method", ["views.publish", "users.info"])
async def test_opening_the_home_tab_is_answered_before_slack(quick: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                             team: TeamPeople, method: str) -> None:
    """The Home is written to the outbox and published after the answer; who the person is (the cache does not
    know them yet) is asked of Slack after it too."""
    slack.delay_next(method, SLOW)
    reply = await answered_before(slack, method, open_home_tab(quick, team.manager))
    assert (reply.status, reply.body) == (200, "")
    await app.services.outbox.drain()
    home = slack.home(team.manager)
    assert home is not None and "Your teams" in str(home["blocks"])


async def test_only_the_latest_of_a_person_s_waiting_homes_is_published(
        quick: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    await people.people(app.services, [team.agent], clock.now)  # known: one Home per opening
    slack.outage(500, methods=["views.publish"])
    for _ in range(3):
        await open_home_tab(quick, team.agent)
    await app.services.outbox.drain()
    slack.end_outage()
    await run_outbox(app.services, clock.advance(minutes=1))
    assert len([c for c in slack.calls("views.publish", user_id=team.agent) if c.ok]) == 1
    async with app.services.db() as session:
        waiting = (await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))).all()
    assert waiting == []


async def test_setup_is_answered_before_slack_is_asked_who_they_are(quick: SlackDriver, slack: FakeSlack) -> None:
    slack.add_user("U0ADMIN", is_admin=True)
    slack.delay_next("users.info", SLOW)
    reply = await answered_before(slack, "users.info", quick.command("/supportbot", "setup new", user="U0ADMIN"))
    assert reply.status == 200 and slack.last("views.open").ok  # the form opened without waiting for Slack


@pytest.mark.parametrize("method", ["conversations.info", "chat.postMessage"])
async def test_saving_a_new_team_is_answered_before_slack(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                          method: str) -> None:
    """The channels are checked and the creator welcomed after the answer (the welcome through the outbox)."""
    slack.add_user("U0ADMIN", is_admin=True)
    slack.add_channel("G0SECRET", is_private=True, is_member=False)
    await bot.command("/supportbot", "setup new", user="U0ADMIN")  # Slack says who they are, after the answer
    form = slack.last("views.open").response["view"]
    bot.settle = False
    slack.delay_next(method, SLOW)
    values = {**SETUP_FORM, setup_ids.CHANNELS["digest"]: "G0SECRET"}
    reply = await answered_before(slack, method, bot.submit(form, user="U0ADMIN", **values))
    assert (reply.status, reply.body) == (200, "")
    await app.services.outbox.drain()
    dms = [c.text or "" for c in slack.calls("chat.postMessage", channel="U0ADMIN") if c.ok]
    assert len(dms) == 2 and any("is set up" in text for text in dms)
    assert any("can't post in <#G0SECRET>" in text for text in dms)


async def test_sharing_the_ranked_list_is_answered_before_slack(quick: SlackDriver, app: Supportbot,
                                                                slack: FakeSlack, team: TeamPeople) -> None:
    slack.delay_next("chat.postMessage", SLOW)
    reply = await answered_before(slack, "chat.postMessage",
                                  quick.command("/prioritize", "share", user=team.agent, channel="C0TEAM"))
    assert "Sharing the ranked list here" in reply.text
    await app.services.outbox.drain()
    assert slack.count("chat.postMessage", channel="C0TEAM") == 1


async def test_a_customer_update_draft_is_answered_before_slack_names_anyone(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    """The choices open at once and, while Slack is still saying who the agent is, submitting them is answered
    with a moment's view; the draft replaces it once Slack has answered."""
    slack.add_user(team.agent, real_name="Ana Agent")
    await escalate(bot, slack, team.agent)
    bot.settle = False
    slack.delay_next("users.info", SLOW)  # the press's lookup of the agent
    slack.delay_next("users.info", SLOW)  # the submission's
    opened, asked = slack.count("views.open"), slack.count("users.info")
    pressed = await press(bot, slack, ids.DRAFT_UPDATE, user=team.agent, channel="C0ENG")
    assert (pressed.status, pressed.body) == (200, "")
    await slack.await_for("views.open", opened + 1)
    form = slack.last("views.open").response["view"]
    submitted = await bot.submit(form, user=team.agent, **{ids.CUSTOMER_TZ: "America/New_York"})
    assert slack.count("users.info") == asked, "users.info was answered before the requests were"
    assert submitted.json["response_action"] == "update" and "Writing the draft" in str(submitted.json["view"])
    await app.services.outbox.drain()
    shown = slack.last("views.update", view_id=form["id"]).args["view"]
    assert "Ana Agent" in str(shown) and "Hi ACME Corp team" in str(shown)


async def test_an_assign_pick_slack_is_slow_to_describe_does_not_hold_the_answer(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    """Someone the people cache does not know is taken (Slack's picker offers only real people) and asked
    about after the answer."""
    slack.add_user("U0ELSEWHERE")
    await escalate(bot, slack, team.agent)
    bot.settle = False
    slack.delay_next("users.info", SLOW)
    await answered_before(slack, "users.info", press(bot, slack, ids.ASSIGN, user=team.manager, channel="C0ENG",
                                                     selected_user="U0ELSEWHERE"))
    await app.services.outbox.drain()
    assert "U0ELSEWHERE" in str(card(slack, "C0ENG").blocks)
