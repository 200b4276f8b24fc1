"""The envelope of what Slack sends, checked before Bolt reads it.

Bolt's own request parsing and matchers assume a well-formed body (`payload=` holding a JSON object,
`actions` a list of objects, `view` an object with a string `callback_id` …): a body that is not crashes
them, and a crash is a 500 with a traceback. `read` parses the body as Bolt does and `problem` checks
the fields Bolt and its middleware read; what fails either is refused (`refusal`) before Bolt sees it,
with one WARNING line. The listeners then parse what they read themselves (`handlers.payloads`).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from handlers.payloads import UNREADABLE

log = logging.getLogger(__name__)

Str = Annotated[str, StringConstraints(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=40_000)]


class _Loose(BaseModel):
    """Only the fields Bolt reads are checked; the rest is Slack's to add."""

    model_config = ConfigDict(extra="allow")


class Ref(_Loose):
    id: Str


class Authorization(_Loose):
    team_id: Str | None = None
    enterprise_id: Str | None = None
    user_id: Str | None = None
    is_enterprise_install: bool | None = None


class _Common(_Loose):
    team: Ref | None = None
    enterprise: Ref | None = None
    user: Ref | None = None
    channel: Ref | None = None
    authorizations: list[Authorization] | None = None
    team_id: Str | None = None
    enterprise_id: Str | None = None
    user_id: Str | None = None
    channel_id: Str | None = None
    is_enterprise_install: bool | None = None
    is_ext_shared_channel: bool | None = None
    response_url: Str | None = None
    trigger_id: Str | None = None


class ViewRef(_Loose):
    id: Str | None = None
    type: Str
    callback_id: Str
    team_id: Str | None = None
    private_metadata: Annotated[str, StringConstraints(max_length=3000)] | None = None
    state: dict[Str, dict[Str, dict[str, Any]]] | None = None


class Action(_Loose):
    action_id: Str
    block_id: Str | None = None


class BlockActions(_Common):
    type: Literal["block_actions"]
    user: Ref
    actions: Annotated[list[Action], Field(min_length=1)]
    view: ViewRef | None = None
    message: dict[str, Any] | None = None
    container: dict[str, Any] | None = None


class ViewEvent(_Common):
    type: Literal["view_submission", "view_closed"]
    user: Ref
    view: ViewRef


class Shortcut(_Common):
    type: Literal["shortcut", "message_action"]
    user: Ref
    callback_id: Str


class Suggestion(_Common):
    type: Literal["block_suggestion"]
    user: Ref
    action_id: Str
    block_id: Str | None = None
    value: Text | None = None


class SlashCommand(_Common):
    command: Annotated[str, StringConstraints(pattern=r"^/[^\s]{1,31}$")]
    user_id: Str
    text: Text = ""


class Event(_Loose):
    type: Str
    user: Str | Ref | None = None
    channel: Str | Ref | None = None


class EventCallback(_Common):
    type: Literal["event_callback"]
    event: Event


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: Str


class AppRateLimited(_Loose):
    type: Literal["app_rate_limited"]


KINDS: dict[str, type[BaseModel]] = {
    "block_actions": BlockActions, "view_submission": ViewEvent, "view_closed": ViewEvent,
    "shortcut": Shortcut, "message_action": Shortcut, "block_suggestion": Suggestion,
    "event_callback": EventCallback, "url_verification": UrlVerification, "app_rate_limited": AppRateLimited,
}


class Unreadable(ValueError):
    """The body is not a Slack payload at all."""


def read(raw: bytes, content_type: str) -> dict[str, Any]:
    """The body as Bolt would parse it: JSON for events, a form for commands, a form's `payload=` JSON for
    interactions. Unreadable (not UTF-8, not JSON, not an object, nested too deeply) raises `Unreadable`."""
    try:
        text = raw.decode("utf-8")
        if content_type.split(";")[0].strip().lower() == "application/json":
            return _object(json.loads(text))
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        if "payload" in form:
            return _object(json.loads(form["payload"]))
        return form
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Unreadable(type(error).__name__) from None


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unreadable(f"a JSON {type(value).__name__}, not an object")
    return value


def problem(body: dict[str, Any]) -> str | None:
    """What is wrong with the envelope, or None when Bolt can read it."""
    if body.get("ssl_check"):
        return None  # Slack's SSL check: Bolt answers it
    model = SlashCommand if "command" in body else KINDS.get(str(body.get("type")))
    if model is None:
        return f"unknown kind of request {str(body.get('type'))[:40]!r}"
    try:
        model.model_validate(body)
    except (ValidationError, RecursionError) as error:
        if isinstance(error, RecursionError):
            return "nested too deeply"
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        return f"{model.__name__}: {where}: {first['msg']}"
    return None


def refusal(body: dict[str, Any] | None) -> tuple[int, dict[str, Any] | None]:
    """What Slack gets back for a request that was refused: the person sees a sentence where Slack shows
    one (a slash command's answer, a modal's inline error); other interactions are acked and dropped."""
    if body is not None and "command" in body:
        return 200, {"response_type": "ephemeral", "text": UNREADABLE}
    view = body.get("view") if body is not None and body.get("type") == "view_submission" else None
    values = view.get("state", {}).get("values") if isinstance(view, dict) and isinstance(
        view.get("state"), dict) else None
    if isinstance(values, dict) and values and all(isinstance(key, str) for key in values):
        return 200, {"response_action": "errors", "errors": {next(iter(values)): UNREADABLE}}
    return 200, None


def refused(reason: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any] | None]:
    log.warning("refused a request Slack signed but Bolt could not read: %s", reason)
    return refusal(body)
