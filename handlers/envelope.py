"""The envelope of what Slack sends, checked before Bolt reads it.

Bolt parses a body before anything verifies it, and its parsing, context builder, built-in middleware and
matchers assume a well-formed one (`payload=` holding a JSON object, `actions` a list of objects, `view`
an object with a string `callback_id`, `event` an object…): anything else crashes them, and a crash is a
500 with a traceback. So over HTTP the front (`bot.app`) caps the body (`MAX_BODY`) and verifies its
signature on the raw bytes (`SignatureCheck`) before anything parses it; then `read` parses it and
`problem` checks the fields Bolt reads. Over Socket Mode, where envelopes arrive parsed, the handler in
`bot.socket_mode` and the Bolt middleware `check_envelope` run the same `problem`.

What fails is refused (`refused`) with one WARNING line and no traceback, and never reaches Bolt: a slash
command gets a sentence the person sees, a modal whose input block is known an inline error, anything
else an empty ack (200, so Slack neither shows an error nor retries). The listeners then type what they
read themselves (`handlers.payloads`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request

from handlers.payloads import UNREADABLE

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
"""Bytes in one request, at most (413 above). Slack documents no request size, but bounds every part:
views.open refuses a view over 250 kB (`view_too_large`, shared/slack/limits.json) and a view_submission
carries that view back with its state (our largest form: 9 inputs of at most 3,000 characters); a message
has at most 50 blocks and 40,000 characters of text. A modal of 100 blocks near that 250 kB, in text that
percent-encoding multiplies, submitted with its longest input filled, is about 450 kB on the wire
(`test_the_largest_realistic_submission_fits_under_the_cap`): the cap leaves more than twice that."""

MAX_DEPTH = 64
"""Levels of nested objects and lists, at most. Slack's deepest payloads (rich text in a message inside
block_actions) nest about a dozen; 64 keeps every recursive reader (json, pydantic, Bolt's id extractors,
copy.deepcopy) far from Python's recursion limit."""

MAX_FIELDS = 1000
"""Fields in a form body, at most (a slash command has about 15)."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SSL_CHECK = re.compile(rb"ssl_check=1&token=[A-Za-z0-9_-]{0,128}|token=[A-Za-z0-9_-]{0,128}&ssl_check=1")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL, half a surrogate pair: no database or encoder takes them

Kind = Literal["command", "interaction", "event"]
JSON = "application/json"


# --------------------------------------------------------------------------- before parsing

class SignatureCheck(SignatureVerifier):
    """slack_sdk's v0 verifier (its 300 s window, its constant-time comparison) on the raw bytes: the stock
    `generate_signature` decodes the body as UTF-8 first and raises on a body that is not."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body if isinstance(body, bytes) else body.encode()
        basestring = b"v0:" + timestamp.encode("ascii") + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), basestring, hashlib.sha256).hexdigest()

    def signed(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        """Slack signed `raw` within 5 minutes either way. Headers Slack could not have sent (a timestamp
        that is not a whole number of seconds, a signature that is not ASCII) are a forgery, not an error."""
        if timestamp is None or signature is None or not _TIMESTAMP.fullmatch(timestamp):
            return False
        return signature.isascii() and self.is_valid(raw, timestamp, signature)


def too_large(content_length: str | None) -> bool:
    """The declared Content-Length is over `MAX_BODY`: refused before a byte is read."""
    if content_length is None or not (content_length.isascii() and content_length.isdigit()):
        return False  # not given (or not a number): the read itself stops at the cap
    return len(content_length) > 9 or int(content_length) > MAX_BODY


async def read_capped(request: Request) -> bytes | None:
    """The body, or None when it is over `MAX_BODY`: by its Content-Length before a byte is read, else as soon
    as the stream passes the limit."""
    if too_large(request.headers.get("content-length")):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def is_ssl_check(raw: bytes) -> bool:
    """Slack's certificate check, which Slack sends unsigned (bolt-js#1397): matched on the raw bytes,
    exactly, never parsed. Bolt answers it with an empty 200 and does nothing else."""
    return _SSL_CHECK.fullmatch(raw) is not None


# --------------------------------------------------------------------------- parsing

class Unreadable(ValueError):
    """The body is not a Slack payload at all; `kind` is what it was meant to be, judged from its form."""

    def __init__(self, reason: str, kind: Kind) -> None:
        super().__init__(reason)
        self.kind = kind


def read(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Slack means it and Bolt parses it: JSON (events; Bolt also takes any body starting with
    `{` as JSON), a form's `payload=` JSON (interactions), a form (slash commands). Not UTF-8, not JSON,
    not a form or not an object raises `Unreadable`.

    Unlike Bolt, a form is taken as an interaction only when it has a `payload` field: Bolt looks for the
    word anywhere, so `/escalate payload fails` reached it as an empty body. `bot.app` hands Bolt the
    parsed body, re-encoded as JSON, so Bolt reads exactly what was checked."""
    kind = kind_of(raw, content_type)
    json_body = kind == "event"
    try:
        text = raw.decode("utf-8")
        if json_body:
            return _object(json.loads(text), kind)
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_FIELDS))
        if "payload" in form:
            return _object(json.loads(form["payload"]), "interaction")
        return form
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8", kind) from None
    except RecursionError:
        raise Unreadable(f"its JSON nests deeper than {MAX_DEPTH} levels", kind) from None
    except ValueError as error:
        raise Unreadable(f"it is not {'JSON' if json_body or kind == 'interaction' else 'a form'} "
                         f"({type(error).__name__})", kind) from None


def kind_of(raw: bytes, content_type: str | None) -> Kind:
    """What a body was meant to be, judged from its form alone (to answer it even when it does not parse)."""
    if (content_type or "").split(";")[0].strip().lower() == JSON or raw.startswith(b"{"):
        return "event"
    return "interaction" if raw.startswith(b"payload=") else "command"


def _object(value: Any, kind: Kind) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unreadable(f"it is a JSON {type(value).__name__}, not an object", kind)
    return value


# --------------------------------------------------------------------------- what Bolt reads

Id = Annotated[str, StringConstraints(max_length=255)]
Url = Annotated[str, StringConstraints(max_length=2000)]


class _Shape(BaseModel):
    """Only the fields Bolt reads are checked; the rest is Slack's to add."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Ref(_Shape):
    """A user, team, enterprise or channel as an object."""

    id: Id | None = None
    team_id: Id | None = None
    enterprise_id: Id | None = None


class Person(Ref):
    id: Annotated[str, StringConstraints(min_length=1, max_length=255)]


Party = Id | Ref | None
"""A user, team, enterprise or channel: its id, or an object with one (Bolt reads either)."""


class ViewIds(_Shape):
    team_id: Id | None = None
    app_installed_team_id: Id | None = None


class Ids(_Shape):
    """What Bolt's context builder reads from an envelope and, recursively, from the event, message, item
    and authorizations inside it (each of which may be absent or null)."""

    enterprise: Party = None
    team: Party = None
    user: Party = None
    channel: Party = None
    enterprise_id: Id | None = None
    team_id: Id | None = None
    user_id: Id | None = None
    channel_id: Id | None = None
    thread_ts: Id | None = None
    function_execution_id: Id | None = None
    bot_access_token: Id | None = None
    authorizations: list[Ids] | None = None
    event: Ids | None = None
    message: Ids | None = None
    previous_message: Ids | None = None
    item: Ids | None = None
    assistant_thread: Ids | None = None
    view: ViewIds | None = None


class ResponseUrl(_Shape):
    response_url: Url


class Envelope(Ids):
    """Any request. `event`, when present, must be an object (Bolt's self-event filter reads it from
    every request); `response_urls` a list of objects (its context builder reads the first)."""

    type: Id | None = None
    response_url: Url | None = None
    response_urls: list[ResponseUrl] = Field(default_factory=list)
    event: Ids = Field(default_factory=Ids)


class Action(_Shape):
    action_id: Id
    block_id: Id | None = None


class BlockActions(Envelope):
    user: Person
    actions: Annotated[list[Action], Field(min_length=1)]


class Suggestion(Envelope):
    user: Person
    action_id: Id


class View(ViewIds):
    type: Id
    callback_id: Id


class ViewEvent(Envelope):
    """view_submission and view_closed."""

    user: Person
    view: View


class Shortcut(Envelope):
    """shortcut and message_action."""

    user: Person
    callback_id: Id


class Event(Ids):
    type: Id


class EventCallback(Envelope):
    event: Event


class UrlVerification(Envelope):
    challenge: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class SlashCommand(Envelope):
    """Form fields over HTTP, so strings; over Socket Mode, JSON. Its `trigger_id` is the listener's to
    check (`handlers.payloads.SlashCommand`): Bolt does not read it."""

    command: Annotated[str, StringConstraints(pattern=r"^/[^\s]{1,31}$")]
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    text: Annotated[str, StringConstraints(max_length=40_000)] = ""


KINDS: dict[str, type[Envelope]] = {
    "block_actions": BlockActions, "block_suggestion": Suggestion,
    "view_submission": ViewEvent, "view_closed": ViewEvent,
    "shortcut": Shortcut, "message_action": Shortcut,
    "event_callback": EventCallback, "url_verification": UrlVerification, "app_rate_limited": Envelope,
}
"""The requests this app can be sent. Legacy ones Bolt still routes (attachment buttons, dialogs, steps from
apps) are refused too: the app creates none."""


def problem(body: Any) -> str | None:
    """What is wrong with the envelope, or None when Bolt can read it."""
    if not isinstance(body, dict):
        return f"it is a JSON {type(body).__name__}, not an object"
    unreadable = _unreadable(body)
    if unreadable:
        return unreadable
    kind = body.get("type")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if kind is None and "command" in body:
        model = SlashCommand
    elif kind is None and body.get("ssl_check") == "1":
        model = Envelope  # Slack's certificate check, signed or over Socket Mode: Bolt answers it
    if model is None:
        return f"no request this app handles has type {str(kind)[:40]!r}"
    try:
        model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        return f"{model.__name__}: {error.error_count()} problem(s), first at {where}: {first['msg']}"
    return None


def _unreadable(body: dict[str, Any]) -> str | None:
    """Nested too deeply, or holding text nothing downstream can encode (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            return f"it nests deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _NOT_TEXT.search(value):
            return "it holds a NUL character or half a surrogate pair"
    return None


# --------------------------------------------------------------------------- refusing

def refusal(body: dict[str, Any] | None, kind: Kind | None = None) -> tuple[int, dict[str, Any] | None]:
    """What Slack gets back for a refused request: the person sees a sentence where Slack shows one (a
    slash command's answer, a modal's inline error); anything else is acked and dropped."""
    body = body if isinstance(body, dict) else {}
    if body.get("type") is None and ("command" in body or kind == "command"):
        return 200, {"response_type": "ephemeral", "text": UNREADABLE}
    block = _first_input(body) if body.get("type") == "view_submission" else None
    if block is not None:
        return 200, {"response_action": "errors", "errors": {block: UNREADABLE}}
    return 200, None


def refused(reason: str, body: dict[str, Any] | None, kind: Kind | None = None) -> tuple[int, dict[str, Any] | None]:
    """`refusal`, after the one WARNING line that says why."""
    what = body.get("type") if isinstance(body, dict) and isinstance(body.get("type"), str) else kind
    log.warning("refused a request Slack signed (%s) that Bolt could not read: %s",
                _one_line(str(what or "unknown kind"))[:40], _one_line(reason)[:300])
    return refusal(body, kind)


CHECKED = "supportbot_envelope_checked"
"""Set in a Bolt request's context by a front that has checked its envelope already."""


async def check_envelope(body: dict[str, Any], context: dict[str, Any],
                         next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
    """Bolt middleware: ack what `problem` refuses, without calling next. Over HTTP the front has checked
    already (and says so in the context), and `bot.socket_mode`'s handler over Socket Mode; this keeps Bolt
    safe when driven directly."""
    reason = None if context.get(CHECKED) else problem(body)
    if reason is None:
        await next()
        return None
    status, answer = refused(reason, body)
    return BoltResponse(status=status, body=answer if answer is not None else "")


def _one_line(text: str) -> str:
    """Text from the payload (a key, a type) as it may appear in a log line: one line, no control characters."""
    return _CONTROL.sub("?", text)


def _first_input(body: dict[str, Any]) -> str | None:
    """The submitted view's first input block (Slack takes an inline error on no other kind)."""
    view = body.get("view")
    view = view if isinstance(view, dict) else {}
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input" and _is_block_id(block.get("block_id")):
            return str(block["block_id"])
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    first = next(iter(values), None) if isinstance(values, dict) else None
    return first if _is_block_id(first) else None


def _is_block_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255
