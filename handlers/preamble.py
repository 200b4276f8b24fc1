"""The listener preamble, declared once: what payload a listener takes, whose team it acts on, who may act, and
how a refusal is said. A listener then reads like its user story:

    @listener(ViewSubmission, field=ids.SETUP_TIME, may=Can.SET_UP_PULSE, team=form_team)
    async def submit_setup(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile, context: Context) -> None:

The payload is parsed (`handlers.payloads.parse`) and handed to the parameter annotated with its type; `team`
(when declared) is found by the `team` function and checked with `may(...)`; every other parameter is one of
Bolt's own arguments (`ack`, `context`, `client`, `respond`, `body`, …), injected by Bolt as usual.

A refusal is said the way the payload can be answered, in one place:

- a slash command: the acknowledgement's text (`ack(text=...)`);
- a button: acknowledged first, then an ephemeral line through the click's `response_url` (after the answer);
- a form: an inline error on the form's `field` (`response_action="errors"`, at most 150 characters).

What does not parse gets `UNREADABLE` the same way. Inside a listener, `raise Refused(text)` (or `require(...)`,
for a team found part-way) is answered the same way too.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import TeamProfile
from bot.rules.roles import Can, may, refusal
from handlers.payloads import UNREADABLE, ButtonClick, SlashCommand, ViewSubmission, parse

P = TypeVar("P", bound=BaseModel)
Listener = Callable[..., Awaitable[None]]
TeamOf = Callable[[Any, dict[str, Any]], "TeamProfile | Awaitable[TeamProfile | None] | None"]
"""The team a payload acts on, given (payload, context); None when there is none (refused as `refusal(can, None)`,
unless the function raises `Refused` with its own reason, e.g. "That escalation no longer exists.")."""

FORM_ERROR_MAX = 150
"""Slack shows at most this much of an inline form error."""
BOLT_ARGS = ("ack", "body", "context", "respond", "client")
"""What the preamble itself asks Bolt for."""


class Refused(Exception):
    """Raised in a listener (or its team function): said to the person the way the payload is answered."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def require(can: Can, team: TeamProfile | None, user: str, *, admin: bool = False) -> TeamProfile:
    """The team, if `user` may do it there; else `Refused` with who can."""
    if team is None or not may(can, team, user, admin=admin):
        raise Refused(refusal(can, team))
    return team


def user_of(payload: BaseModel) -> str:
    if isinstance(payload, SlashCommand):
        return payload.user_id
    if isinstance(payload, ButtonClick | ViewSubmission):
        return payload.user.id
    user = getattr(payload, "user", None)
    return str(getattr(user, "id", ""))


async def say(refused: str, payload_type: type[BaseModel], field: str | None, ack: AsyncAck,
              respond: AsyncRespond, context: dict[str, Any]) -> None:
    """A refusal (or UNREADABLE), said the way a payload of this type is answered."""
    if issubclass(payload_type, SlashCommand):
        await ack(text=refused)
    elif field is not None:
        await ack(response_action="errors", errors={field: refused[:FORM_ERROR_MAX]})
    else:  # a click: answered at once, then told privately after the answer (none when Slack sent nowhere)
        if ack.response is None:
            await ack()
        await tell(respond, context, refused)


async def tell(respond: AsyncRespond, context: dict[str, Any], text: str) -> None:
    """A line only the person who pressed the button sees, said after the answer; none when Slack sent nowhere
    to say it."""
    if context.get("response_url"):
        context["services"].outbox.in_background(
            respond(text=text, response_type="ephemeral", replace_original=False))


async def open_view(client: AsyncWebClient, respond: AsyncRespond, context: dict[str, Any], trigger_id: str,
                    view: dict[str, Any], *, again: str = "Please press the button again.") -> None:
    """Open a form a button asked for, after the answer (the trigger is valid for 3 seconds); when Slack will
    not, say so to the person who pressed it."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await tell(respond, context, f"Slack would not open the form ({error.response.get('error')}). {again}")


def listener(payload: type[P], *, field: str | None = None, may: Can | None = None,
             team: TeamOf | None = None) -> Callable[[Listener], Listener]:
    """Declare a listener's payload (and, for a form, the `field` its refusals show on), and who may act on
    which team. `may` needs `team`; `team` alone finds the team without checking anyone."""
    if issubclass(payload, ViewSubmission) and field is None:
        raise TypeError("a form listener names the field its refusals are shown on")
    if may is not None and team is None:
        raise TypeError("`may` needs `team`: the team whose roles decide")
    can = may

    def declare(func: Listener) -> Listener:
        signature = inspect.signature(func, eval_str=True)
        as_payload = [name for name, p in signature.parameters.items() if p.annotation is payload]
        if len(as_payload) != 1:
            raise TypeError(f"{func.__qualname__} takes its {payload.__name__} as one parameter annotated so")
        payload_name = as_payload[0]
        wants_team = "team" in signature.parameters
        bolt_names = [name for name in signature.parameters if name not in (payload_name, "team")]

        async def run(**bolt: Any) -> None:
            ack, context, respond = bolt["ack"], bolt["context"], bolt["respond"]
            parsed = parse(payload, bolt["body"])
            try:
                if parsed is None:
                    raise Refused(UNREADABLE)
                found = await _team(team, parsed, context) if team is not None else None
                if can is not None:
                    require(can, found, user_of(parsed))
                given = {name: bolt[name] for name in bolt_names}
                await func(**given, **{payload_name: parsed}, **({"team": found} if wants_team else {}))
            except Refused as refused:
                await say(refused.text, payload, field, ack, respond, context)

        names = list(dict.fromkeys([*BOLT_ARGS, *bolt_names]))
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # what Bolt reads to inject
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names])
        run.__name__, run.__qualname__, run.__doc__ = func.__name__, func.__qualname__, func.__doc__
        run.__module__ = func.__module__
        return run

    return declare


async def _team(find: TeamOf, parsed: BaseModel, context: dict[str, Any]) -> TeamProfile | None:
    found = find(parsed, context)
    return await found if inspect.isawaitable(found) else found


def form_team(submission: ViewSubmission, context: dict[str, Any]) -> TeamProfile | None:
    """The team a form was opened for: its key in the view's `private_metadata`."""
    found: TeamProfile | None = context["directory"].find(submission.view.private_metadata)
    return found
