"""Slack sends some things twice: an Events API delivery it retries (`X-Slack-Retry-Num` 1–3) when the
first answer was late, a block action a proxy re-sent or a person double-clicked, a view submission sent
again for the same view. Each has exactly one effect: after the second delivery the database and the
calls the fake Slack recorded are what they were after the first."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Supportbot
from handlers.escalations import ids as escalation_ids
from handlers.pulse import ids as pulse_ids
from handlers.standups import ids as standup_ids
from handlers.supportbot import ids as setup_ids
from storage.models import Base
from tests import pulse_steps
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import GOOD, card, card_post, escalate, open_form, path_option, press
from tests.kit.driver import Reply, SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import MANAGER, NY, button, prompts, setup_team, tick
from tests.test_standup_flow import utc
from tests.test_team_setup import ADMIN, FORM
from tests.test_team_setup import people as setup_people

State = tuple[dict[str, list[str]], list[tuple[str, str]]]
READS = frozenset({"auth.test", "users.info", "users.list", "conversations.info", "conversations.members",
                   "team.info"})
"""Web API methods that only read: asking Slack again is no second effect."""


async def state(app: Supportbot, slack: FakeSlack) -> State:
    """Every row of every table, and every Web API call Slack received (method and arguments)."""
    rows: dict[str, list[str]] = {}
    async with app.services.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted(repr(tuple(row)) for row in (await connection.execute(select(table))).all())
    calls = [(call.method, json.dumps(call.args, sort_keys=True, default=str)) for call in slack.calls()
             if call.method not in READS]
    return rows, calls


def assert_same(first: State, second: State, what: str) -> None:
    changed = {table: sorted(set(second[0][table]) ^ set(rows))
               for table, rows in first[0].items() if rows != second[0][table]}
    assert not changed, f"{what} changed the database: {changed}"
    extra = second[1][len(first[1]):]
    assert second[1] == first[1], f"{what} made Slack calls: {extra}"


class Recorder:
    """The raw requests the driver sent, so a test can send one of them again byte for byte."""

    def __init__(self, bot: SlackDriver, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._post = bot.post

        async def post(body: str, **options: Any) -> Reply:
            self.sent.append((body, options))
            return await self._post(body, **options)

        monkeypatch.setattr(bot, "post", post)

    async def again(self, headers: dict[str, str] | None = None) -> Reply:
        body, options = self.sent[-1]
        return await self._post(body, **{**options, "headers": {**options.get("headers", {}), **(headers or {})}})


async def exactly_once(app: Supportbot, slack: FakeSlack, what: str, first: Callable[[], Awaitable[Reply]],
                       second: Callable[[], Awaitable[Reply]]) -> Reply:
    reply = await first()
    assert reply.status == 200, reply.body
    before = await state(app, slack)
    again = await second()
    assert again.status == 200, again.body
    assert_same(before, await state(app, slack), what)
    return reply


# ---------------------------------------------------------------- Events API retries
@pytest.mark.parametrize("retries", [1, 3])
async def test_a_retried_app_home_opened_is_acked_without_a_second_publish(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople, retries: int) -> None:
    envelope = {"token": "verification-token", "team_id": "T0TEAM", "api_app_id": "A0APP",
                "event": {"type": "app_home_opened", "user": team.agent, "channel": "D0AGENT", "tab": "home",
                          "event_ts": f"{time.time():.6f}"},
                "type": "event_callback", "event_id": "Ev0RETRIED", "event_time": int(time.time())}
    body = json.dumps(envelope)
    first = await bot.post(body, content_type="application/json")
    assert first.status == 200 and slack.count("views.publish") == 1
    before = await state(app, slack)
    for attempt in range(1, retries + 1):
        retry = await bot.post(body, content_type="application/json",
                               headers={"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"})
        assert retry.status == 200, retry.body
    assert_same(before, await state(app, slack), f"{retries} retries of app_home_opened")


async def test_another_app_home_opened_still_publishes(bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    """Only a retry of the same delivery is skipped: opening the tab again is a new event."""
    for _ in range(2):
        await bot.event({"type": "app_home_opened", "user": team.agent, "channel": "D0AGENT", "tab": "home"})
    assert slack.count("views.publish") == 2


# ---------------------------------------------------------------- buttons clicked twice
async def test_acknowledge_clicked_twice_acknowledges_once(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                           team: TeamPeople, monkeypatch: pytest.MonkeyPatch) -> None:
    await escalate(bot, slack, team.agent)
    channel = team.path_channel("engineering")
    sent = Recorder(bot, monkeypatch)

    async def click() -> Reply:
        return await press(bot, slack, escalation_ids.ACKNOWLEDGE, user=team.teammate, channel=channel)

    await exactly_once(app, slack, "a second identical Acknowledge", click, sent.again)


async def test_standup_skip_clicked_twice_skips_once(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                     clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    await setup_team(app, slack)
    clock.now = utc("2026-11-24T14:30")
    await tick(app, clock.now)
    prompt = prompts(slack, NY)[-1]
    sent = Recorder(bot, monkeypatch)

    async def click() -> Reply:
        return await bot.click(standup_ids.SKIP, user=NY, value=button(prompt, standup_ids.SKIP)["value"],
                               channel=prompt.channel, message={"ts": prompt.ts, "blocks": prompt.blocks})

    await exactly_once(app, slack, "a second identical Skip", click, sent.again)


async def test_pulse_answer_clicked_twice_opens_one_form(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    team = await pulse_steps.pulse_team(app, slack)
    await pulse_steps.tick(app, pulse_steps.OPENS)
    await pulse_steps.tick(app, pulse_steps.NEW_YORK_ASK)
    clock.now = pulse_steps.NEW_YORK_ASK + timedelta(hours=1)
    member = team.members[0]
    sent = Recorder(bot, monkeypatch)

    async def click() -> Reply:
        await pulse_steps.open_form(bot, slack, member)
        return Reply(200, "")

    await exactly_once(app, slack, "a second identical Answer", click, sent.again)


# ---------------------------------------------------------------- views submitted twice
async def test_the_escalation_form_submitted_twice_logs_one_escalation(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    view = await open_form(bot, slack, team.agent)
    values = {**GOOD, "path": path_option(view, "Engineering")}

    async def submit() -> Reply:
        return await bot.submit(view, user=team.agent, **values)

    await exactly_once(app, slack, "the same escalation form again", submit, submit)


async def test_the_standup_answer_submitted_twice_is_posted_once(app: Supportbot, bot: SlackDriver,
                                                                 slack: FakeSlack, clock: Clock) -> None:
    await setup_team(app, slack)
    clock.now = utc("2026-11-24T14:30")
    await tick(app, clock.now)
    prompt = prompts(slack, NY)[-1]
    await bot.click(standup_ids.START, user=NY, value=button(prompt, standup_ids.START)["value"],
                    channel=prompt.channel)
    form = slack.last("views.open").view
    assert form is not None
    values = {standup_ids.QUESTION.format(0): "Closed ACME", standup_ids.QUESTION.format(1): "Billing",
              standup_ids.QUESTION.format(2): ""}

    async def submit() -> Reply:
        return await bot.submit(form, user=NY, **values)

    await exactly_once(app, slack, "the same stand-up answer again", submit, submit)


async def test_the_pulse_answer_submitted_twice_counts_once(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                            clock: Clock) -> None:
    team = await pulse_steps.pulse_team(app, slack)
    await pulse_steps.tick(app, pulse_steps.OPENS)
    await pulse_steps.tick(app, pulse_steps.NEW_YORK_ASK)
    clock.now = pulse_steps.NEW_YORK_ASK + timedelta(hours=1)
    member = team.members[0]
    view = await pulse_steps.open_form(bot, slack, member)

    async def submit() -> Reply:
        return await pulse_steps.answer(bot, slack, member, (4, 4, 4, 4), 9, view=view)

    await exactly_once(app, slack, "the same pulse answer again", submit, submit)


async def test_the_team_setup_form_submitted_twice_creates_one_team(app: Supportbot, bot: SlackDriver,
                                                                    slack: FakeSlack) -> None:
    setup_people(slack)
    await bot.command("/supportbot", "setup new", user=ADMIN)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == setup_ids.SETUP_FORM

    async def submit() -> Reply:
        return await bot.submit(form, user=ADMIN, **FORM)

    await exactly_once(app, slack, "the same team setup form again", submit, submit)


async def test_the_standup_setup_form_submitted_twice_saves_once(app: Supportbot, bot: SlackDriver,
                                                                 slack: FakeSlack) -> None:
    await setup_team(app, slack)
    await bot.command("/standup", "setup", user=MANAGER)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == standup_ids.SETUP_FORM
    filled = {standup_ids.SETUP_TIME: "10:15", standup_ids.SETUP_DAYS: ["mon", "tue"],
              standup_ids.SETUP_REMINDER: "30", standup_ids.SETUP_WINDOW: "3",
              standup_ids.SETUP_QUESTIONS: "Done?\nNext?\nBlockers?", standup_ids.SETUP_HOLIDAYS: "2026-12-25"}

    async def submit() -> Reply:
        return await bot.submit(form, user=MANAGER, **filled)

    await exactly_once(app, slack, "the same stand-up setup again", submit, submit)


async def test_the_pulse_setup_form_submitted_twice_saves_once(app: Supportbot, bot: SlackDriver,
                                                               slack: FakeSlack) -> None:
    team = await pulse_steps.pulse_team(app, slack)
    await bot.command("/pulse", "setup", user=team.manager)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == pulse_ids.SETUP_FORM
    inputs = {b["block_id"] for b in form["blocks"] if b.get("type") == "input"}
    filled = {key: value for key, value in {pulse_ids.SETUP_DAY: "thu", pulse_ids.SETUP_TIME: "15:00",
                                            pulse_ids.SETUP_CLOSE: "48", pulse_ids.SETUP_MIN: "5"}.items()
              if key in inputs}

    async def submit() -> Reply:
        return await bot.submit(form, user=team.manager, **filled)

    await exactly_once(app, slack, "the same pulse setup again", submit, submit)


async def test_a_real_double_click_on_acknowledge_and_skip_has_one_effect(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    """A person's double-click is two deliveries (two trigger ids): the second still changes nothing."""
    await escalate(bot, slack, team.agent)
    channel = team.path_channel("engineering")

    shown, posted = card(slack, channel), card_post(slack, channel)
    message = {"ts": posted.ts, "blocks": shown.blocks, "text": shown.text}  # as on screen before the clicks
    value = button(shown, escalation_ids.ACKNOWLEDGE).get("value")

    async def acknowledge() -> Reply:
        return await bot.click(escalation_ids.ACKNOWLEDGE, user=team.teammate, value=value, message=message,
                               channel=channel)

    await exactly_once(app, slack, "a second Acknowledge", acknowledge, acknowledge)
    await setup_team(app, slack)
    clock.now = utc("2026-11-24T14:30")
    await tick(app, clock.now)
    prompt = prompts(slack, NY)[-1]

    async def skip() -> Reply:
        return await bot.click(standup_ids.SKIP, user=NY, value=button(prompt, standup_ids.SKIP)["value"],
                               channel=prompt.channel, message={"ts": prompt.ts, "blocks": prompt.blocks})

    await exactly_once(app, slack, "a second Skip", skip, skip)
