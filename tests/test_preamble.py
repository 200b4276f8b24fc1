"""The listener preamble (handlers/preamble.py) as a table: for each kind of payload, who may act, and how a
refusal or an unreadable payload is answered (a command's text, a form's inline error, or a click answered at
once and told privately after). Every listener's own refusals are walked end to end in tests/test_roles.py;
this pins the preamble's part with Bolt's real `AsyncAck` and the argument names Bolt injects."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.rules.directory import Directory, TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.rules.roles import Can, refusal
from bot.rules.team_config import TeamConfig
from handlers.payloads import UNREADABLE, ButtonClick, SlashCommand, ViewSubmission
from handlers.preamble import FORM_ERROR_MAX, Refused, form_team, listener

TIER1 = TeamProfile(id=1, config=TeamConfig(key="tier1", name="Tier 1 Support", members=["U0MEMBER"],
                                            managers=["U0LEAD"]), policy=TeamPolicy.default())
DIRECTORY = Directory.of(1, [TIER1])
COMMAND = {"user_id": "U0MEMBER", "command": "/x", "trigger_id": "1.2.3", "text": "tier1"}
CLICK = {"user": {"id": "U0MEMBER"}, "actions": [{"action_id": "x", "value": "tier1"}], "trigger_id": "1.2.3"}
FORM = {"user": {"id": "U0MEMBER"}, "view": {"id": "V1", "callback_id": "x", "private_metadata": "tier1"}}


class Answers:
    """What the person hears: the acknowledgement (Bolt's own AsyncAck) and the private lines said after it."""

    def __init__(self) -> None:
        self.ack = AsyncAck()
        self.said: list[str] = []
        self.acted: list[str] = []
        self.context: dict[str, Any] = {"directory": DIRECTORY, "response_url": "https://hooks.slack.test/r",
                                        "services": self}
        self.outbox = self

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        work.close()  # the line is recorded by `respond` when it is built

    def respond(self, text: str, **_: Any) -> Coroutine[Any, Any, None]:
        self.said.append(text)

        async def sent() -> None:
            return None
        return sent()

    @property
    def body(self) -> Any:
        response = self.ack.response
        return response.body if response is not None else None


def command_team(command: SlashCommand, context: dict[str, Any]) -> TeamProfile | None:
    found: TeamProfile | None = context["directory"].find(command.text)
    return found


async def click_team(click: ButtonClick, context: dict[str, Any]) -> TeamProfile | None:
    if click.action.value == "gone":
        raise Refused("That escalation no longer exists.")
    found: TeamProfile | None = context["directory"].find(click.action.value or "")
    return found


def declared(payload: type[Any], can: Can | None) -> Any:
    """A listener of each kind that records that it acted (and on which team)."""
    if payload is SlashCommand:
        @listener(SlashCommand, may=can, team=command_team)
        async def on_command(ack: AsyncAck, command: SlashCommand, team: TeamProfile, context: Any) -> None:
            context["services"].acted.append(f"{command.user_id}@{team.key}")
            await ack(text="done")
        return on_command
    if payload is ButtonClick:
        @listener(ButtonClick, may=can, team=click_team)
        async def on_click(ack: AsyncAck, click: ButtonClick, team: TeamProfile, context: Any) -> None:
            await ack()
            context["services"].acted.append(f"{click.user.id}@{team.key}")
        return on_click

    @listener(ViewSubmission, field="first", may=can, team=form_team)
    async def on_form(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile, context: Any) -> None:
        context["services"].acted.append(f"{submission.user.id}@{team.key}")
        await ack()
    return on_form


async def run(listener_: Any, body: dict[str, Any]) -> Answers:
    answers = Answers()
    await listener_(ack=answers.ack, body=body, context=answers.context, respond=answers.respond, client=None)
    return answers


def _as(body: dict[str, Any], user: str, team: str = "tier1") -> dict[str, Any]:
    if "user_id" in body:
        return {**body, "user_id": user, "text": team}
    if "actions" in body:
        return {**body, "user": {"id": user}, "actions": [{"action_id": "x", "value": team}]}
    return {**body, "user": {"id": user}, "view": {**body["view"], "private_metadata": team}}


MEMBERS_ONLY = refusal(Can.ANSWER_STANDUP, TIER1)
MANAGERS_ONLY = refusal(Can.MANAGE_KPIS, TIER1)
NO_TEAM = refusal(Can.MANAGE_KPIS, None)


@pytest.mark.parametrize("payload, body", [(SlashCommand, COMMAND), (ButtonClick, CLICK), (ViewSubmission, FORM)])
@pytest.mark.parametrize("can, user, team, refused", [
    (Can.ANSWER_STANDUP, "U0MEMBER", "tier1", None),
    (Can.ANSWER_STANDUP, "U0LEAD", "tier1", MEMBERS_ONLY),
    (Can.MANAGE_KPIS, "U0LEAD", "tier1", None),
    (Can.MANAGE_KPIS, "U0MEMBER", "tier1", MANAGERS_ONLY),
    (Can.MANAGE_KPIS, "U0STRANGER", "tier1", MANAGERS_ONLY),
    (Can.MANAGE_KPIS, "U0LEAD", "nosuchteam", NO_TEAM),
    (None, "U0STRANGER", "tier1", None),  # a team found, nobody checked
])
async def test_who_may_act_and_how_a_refusal_is_said(payload: type[Any], body: dict[str, Any], can: Can | None,
                                                     user: str, team: str, refused: str | None) -> None:
    answers = await run(declared(payload, can), _as(body, user, team))
    if refused is None:
        assert answers.acted == [f"{user}@tier1"]
        assert answers.said == []
        return
    assert answers.acted == []
    if payload is SlashCommand:
        assert answers.body == refused and answers.said == []
    elif payload is ViewSubmission:
        assert answers.said == []
        assert '"response_action": "errors"' in answers.body and refused[:FORM_ERROR_MAX] in answers.body
    else:
        assert answers.body == "" and answers.said == [refused]  # answered at once, told after


@pytest.mark.parametrize("payload, body, broken", [
    (SlashCommand, COMMAND, {"user_id": "not a user"}),
    (SlashCommand, COMMAND, {"trigger_id": ""}),
    (ButtonClick, CLICK, {"actions": []}),
    (ButtonClick, CLICK, {"user": {"id": 5}}),
    (ViewSubmission, FORM, {"view": {"id": "V1"}}),
    (ViewSubmission, FORM, {"user": None}),
])
async def test_an_unreadable_payload_gets_the_unreadable_answer(payload: type[Any], body: dict[str, Any],
                                                                broken: dict[str, Any]) -> None:
    answers = await run(declared(payload, Can.MANAGE_KPIS), {**body, **broken})
    assert answers.acted == []
    heard = answers.said[0] if payload is ButtonClick else answers.body
    assert UNREADABLE[:FORM_ERROR_MAX] in heard


async def test_a_refusal_raised_by_the_team_function_is_said_as_is() -> None:
    answers = await run(declared(ButtonClick, Can.WORK_ESCALATIONS), _as(CLICK, "U0MEMBER", "gone"))
    assert answers.said == ["That escalation no longer exists."] and answers.acted == []


async def test_a_refusal_raised_after_the_answer_is_not_answered_twice() -> None:
    @listener(ButtonClick)
    async def late(ack: AsyncAck, click: ButtonClick) -> None:
        await ack(text="working")
        raise Refused("Too late for that.")

    answers = await run(late, CLICK)
    assert answers.body == "working" and answers.said == ["Too late for that."]


def test_bolt_injects_what_the_preamble_and_the_listener_need() -> None:
    @listener(SlashCommand)
    async def wants(ack: AsyncAck, command: SlashCommand, say: Any, logger: Any) -> None:
        return None

    names = get_arg_names_of_callable(wants)
    assert {"ack", "body", "context", "respond", "say", "logger"} <= set(names) and "command" not in names


@pytest.mark.parametrize("declare, why", [
    (lambda: listener(ViewSubmission), "names the field"),
    (lambda: listener(SlashCommand, may=Can.MANAGE_KPIS), "needs `team`"),
])
def test_a_declaration_that_cannot_answer_is_refused_at_import(declare: Any, why: str) -> None:
    with pytest.raises(TypeError, match=why):
        declare()


def test_a_listener_names_its_payload() -> None:
    async def untyped(ack: AsyncAck, body: dict[str, Any]) -> None:
        return None

    with pytest.raises(TypeError, match="one parameter annotated"):
        listener(SlashCommand)(untyped)
