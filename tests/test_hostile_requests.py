"""Hostile requests, sent as an attacker or a broken client would: a forged request gets 401 before its body
is parsed, whatever it holds; an oversized one 413 unread; a signed one that Bolt could not read is answered
200 with a refusal and one WARNING line, never a 500 or a traceback, and never reaches Bolt (HTTP and Socket
Mode). Values inside well-formed envelopes are `test_hostile_payloads.py`'s."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import slack_bolt.request.async_request as bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Supportbot
from bot.socket_mode import CheckedSocketModeHandler
from handlers import envelope
from handlers.envelope import MAX_BODY
from handlers.escalations import ids
from handlers.payloads import UNREADABLE
from storage import escalations
from tests.conftest import SIGNING_SECRET, TeamPeople
from tests.escalation_steps import GOOD, open_form, path_option
from tests.kit.driver import Reply, SlackDriver, state_of
from tests.kit.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = "[" * 100_000 + "]" * 100_000  # past any recursive parser's limit
BARELY_TOO_DEEP = '{"type": "block_actions", "x": ' + "[" * 64 + "]" * 64 + "}"  # 65 levels: parses, too deep
TEXT = {"response_type": "ephemeral", "text": UNREADABLE}  # a slash command's refusal, seen by the person


def signed(raw: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def send(bot: SlackDriver, raw: bytes, headers: dict[str, Any], content_type: str = FORM) -> Reply:
    response = await bot._http.post("/slack/events", content=raw, headers={**headers, "Content-Type": content_type})
    return Reply(response.status_code, response.text)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def one_refusal(caplog: pytest.LogCaptureFixture) -> None:
    """Exactly one WARNING line, the refusal, and no traceback."""
    logged = warnings(caplog)
    assert len(logged) == 1 and logged[0].startswith("refused"), logged
    no_traceback(caplog)


def interaction(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


async def stored(app: Supportbot) -> int:
    async with app.services.db() as session:
        return (await escalations.open_for_teams(session, [1, 2, 3])).total


# ---------------------------------------------------------------- forged: 401 before anything parses
POISON: dict[str, tuple[bytes, str]] = {
    "payload= with invalid JSON": (b"payload=%7Bnot%20json", FORM),
    "payload= with a JSON list": (b"payload=" + quote("[1, 2]").encode(), FORM),
    "payload= nested very deeply": (b"payload=" + quote(DEEP).encode(), FORM),
    "JSON that is not an object": (b'"just a string"', JSON),
    "JSON nested very deeply": (DEEP.encode(), JSON),
    "not UTF-8": (b"\xff\xfe\xfa command=/escalate", FORM),
    "a form that is not a form": (b"%%%===&&&", FORM),
    "a well-formed command": (urlencode({"command": "/supportbot", "user_id": "U0AGENT1"}).encode(), FORM),
}
FORGERIES: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "unsigned": lambda raw: {},
    "wrong secret": lambda raw: signed(raw, secret="not-the-secret"),
    "signed for another body": lambda raw: signed(raw + b"&text=x"),
    "stale": lambda raw: signed(raw, timestamp=int(time.time()) - 301),
    "from the future": lambda raw: signed(raw, timestamp=int(time.time()) + 301),
    "timestamp not a number": lambda raw: {**signed(raw), "X-Slack-Request-Timestamp": "1e9"},
    "timestamp in other digits": lambda raw: {**signed(raw), "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠".encode()},
    "signature not ASCII": lambda raw: {**signed(raw), "X-Slack-Signature": "v0=\xe9t\xe9".encode("latin-1")},
    "signature missing": lambda raw: {"X-Slack-Request-Timestamp": str(int(time.time()))},
}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every parse of a request body, by the front or by Bolt."""
    calls: list[str] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)
        return recorded

    monkeypatch.setattr(envelope, "read", spy("front", envelope.read))
    monkeypatch.setattr(bolt_request, "parse_body", spy("bolt", bolt_request.parse_body))
    return calls


@pytest.mark.parametrize("case", list(POISON))
@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_request_is_refused_before_its_body_is_parsed(
        case: str, forgery: str, bot: SlackDriver, slack: FakeSlack, parsed: list[str],
        caplog: pytest.LogCaptureFixture) -> None:
    raw, content_type = POISON[case]
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, FORGERIES[forgery](raw), content_type)
    assert (reply.status, reply.json) == (401, {"error": "invalid request"})
    assert parsed == []  # neither the front nor Bolt read the body
    assert warnings(caplog) == []
    no_traceback(caplog)
    assert slack.calls() == []


async def test_a_signed_request_is_parsed_once_by_the_front_then_by_bolt(bot: SlackDriver, parsed: list[str]) -> None:
    raw, content_type = POISON["a well-formed command"]
    assert (await send(bot, raw, signed(raw), content_type)).status == 200
    assert parsed == ["front", "bolt"]  # the proof the spies above would see a parse


@pytest.mark.parametrize(("raw", "status"), [
    (b"ssl_check=1&token=xyzz0WbapA4vBCDEFasx0q6G", 200),
    (b"token=xyzz0WbapA4vBCDEFasx0q6G&ssl_check=1", 200),
    (b"ssl_check=1&token=x&command=/escalate&user_id=U0AGENT1", 401),
    (b"ssl_check=1&token=%7B", 401),
])
async def test_slacks_unsigned_certificate_check_is_answered_and_nothing_else(
        raw: bytes, status: int, bot: SlackDriver, slack: FakeSlack, parsed: list[str]) -> None:
    reply = await send(bot, raw, {})
    assert (reply.status, reply.body) == (status, "" if status == 200 else '{"error":"invalid request"}')
    assert parsed == [] and slack.calls() == []


# ---------------------------------------------------------------- size: 413 unread
@pytest.mark.parametrize(("declared", "large"), [
    (None, False), ("", False), ("abc", False), ("²", False), ("0", False), (str(MAX_BODY), False),
    (str(MAX_BODY + 1), True), ("9" * 5000, True),
])
def test_the_declared_length_is_judged_without_trusting_it(declared: str | None, large: bool) -> None:
    assert envelope.too_large(declared) is large


async def asgi_post(app: Supportbot, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """POST straight into the ASGI app; (status, how many body chunks it read)."""
    read, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send_(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/slack/events", "raw_path": b"/slack/events", "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("supportbot.test", 80)}
    await app.asgi()(scope, receive, send_)
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), read


async def test_a_body_declared_over_the_cap_is_refused_before_a_byte_is_read(app: Supportbot) -> None:
    status, read = await asgi_post(app, [(b"content-length", str(MAX_BODY + 1).encode())], [b"x" * 10])
    assert (status, read) == (413, 0)


async def test_a_body_over_the_cap_without_a_length_stops_being_read_at_the_cap(app: Supportbot) -> None:
    chunk = b"x" * 65_536
    status, read = await asgi_post(app, [], [chunk] * 40)  # 2.5 MiB, streamed
    assert status == 413
    assert read == MAX_BODY // len(chunk) + 1  # the chunk that passed the cap was the last one read


async def test_a_signed_body_over_the_cap_is_refused(bot: SlackDriver, parsed: list[str]) -> None:
    raw = b"payload=" + b"x" * MAX_BODY
    reply = await send(bot, raw, signed(raw))
    assert (reply.status, reply.json) == (413, {"error": "request too large"})
    assert parsed == []


async def test_the_largest_realistic_submission_fits_under_the_cap(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    """A modal of 100 blocks (the most Slack allows), near the 250 kB views.open accepts, heavy in characters
    that percent-encoding multiplies, submitted with the details filled to their limit."""
    form = await open_form(bot, slack, team.agent)
    prose = ("Réunion « café » & <b> — ok 42 " * 100)[:2000]
    filler = [{"type": "section", "block_id": f"note{i}", "text": {"type": "mrkdwn", "text": prose}}
              for i in range(100 - len(form["blocks"]))]
    view = {**form, "id": "V0BIG", "blocks": [*form["blocks"], *filler]}
    assert len(view["blocks"]) == 100 and len(json.dumps(view, ensure_ascii=False).encode()) < 250_000
    values = {**GOOD, "details": "é" * 3000, "path": path_option(form, "Engineering")}
    payload = {"type": "view_submission", "user": {"id": team.agent}, "trigger_id": "1.2.3", "response_urls": [],
               "view": {**view, "state": {"values": state_of(view, values)}}}
    raw = interaction(payload)
    assert MAX_BODY // 2 > len(raw) > 400_000  # large, and still well under the cap
    reply = await send(bot, raw, signed(raw))
    assert (reply.status, reply.body) == (200, "")
    assert await stored(app) == 1


# ---------------------------------------------------------------- signed, but Bolt could not read it
UNREADABLE_BODIES: dict[str, tuple[bytes, str, dict[str, Any] | None]] = {
    "payload= with invalid JSON": (*POISON["payload= with invalid JSON"], None),
    "payload= with a JSON list": (*POISON["payload= with a JSON list"], None),
    "payload= nested very deeply": (*POISON["payload= nested very deeply"], None),
    "payload= nested 65 levels": (b"payload=" + quote(BARELY_TOO_DEEP).encode(), FORM, None),
    "JSON that is not an object": (*POISON["JSON that is not an object"], None),
    "JSON nested very deeply": (*POISON["JSON nested very deeply"], None),
    "JSON with a content type that is not JSON": (b'{"type": "event_callback", "event": 1}', FORM, None),
    "a form that is not a form": (*POISON["a form that is not a form"], TEXT),
    "not UTF-8, as a form": (*POISON["not UTF-8"], TEXT),
    "not UTF-8, as a payload": (b"payload=\xff\xfe", FORM, None),
    "not UTF-8, as JSON": (b'{"type": "\xff"}', JSON, None),
    "empty": (b"", FORM, TEXT),
    "a form without a command": (b"user_id=U0AGENT1&text=hello", FORM, TEXT),
}


@pytest.mark.parametrize("case", list(UNREADABLE_BODIES))
async def test_a_signed_body_bolt_could_not_read_is_refused_with_one_warning(
        case: str, app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    raw, content_type, answer = UNREADABLE_BODIES[case]
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw), content_type)
    assert (reply.status, reply.json or None) == (200, answer)
    one_refusal(caplog)
    assert slack.calls() == []  # it never reached Bolt (not even its auth.test)
    assert await stored(app) == 0


USER = {"id": "U0AGENT1", "team_id": "T0TEAM"}
BUTTON = {"action_id": ids.ACKNOWLEDGE, "block_id": "escalation_actions:1", "value": "1", "type": "button"}
ACTIONS = {"type": "block_actions", "user": USER, "actions": [BUTTON], "response_url": "http://127.0.0.1:9/r"}
VIEW = {"id": "V1", "type": "modal", "callback_id": ids.ESCALATION_FORM,
        "blocks": [{"type": "input", "block_id": ids.CUSTOMER, "element": {"type": "plain_text_input"}}]}
SUBMIT = {"type": "view_submission", "user": USER, "view": VIEW}
INLINE = {"response_action": "errors", "errors": {ids.CUSTOMER: UNREADABLE}}
EVENT = {"type": "event_callback", "team_id": "T0TEAM", "event": {"type": "app_home_opened", "user": "U0AGENT1"}}
ENVELOPES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "actions as a string": ({**ACTIONS, "actions": ids.ACKNOWLEDGE}, None),
    "actions empty": ({**ACTIONS, "actions": []}, None),
    "an action without an id": ({**ACTIONS, "actions": [{}]}, None),
    "an action id that is a number": ({**ACTIONS, "actions": [{"action_id": 7}]}, None),
    "an action that is a string": ({**ACTIONS, "actions": ["x"]}, None),
    "no user": ({k: v for k, v in ACTIONS.items() if k != "user"}, None),
    "a user that is a number": ({**ACTIONS, "user": 7}, None),
    "a user id that is a list": ({**ACTIONS, "user": {"id": ["U0AGENT1"]}}, None),
    "a team that is a number": ({**ACTIONS, "team": 7}, None),
    "an enterprise that is a list": ({**ACTIONS, "enterprise": ["id"]}, None),
    "a channel that is a number": ({**ACTIONS, "channel": 7}, None),
    "a message whose user is a number": ({**ACTIONS, "message": {"user": 7}}, None),
    "an event that is a string": ({**ACTIONS, "event": "x"}, None),
    "an event that is null": ({**ACTIONS, "event": None}, None),
    "authorizations as a string": ({**ACTIONS, "authorizations": "x"}, None),
    "an authorization that is a number": ({**ACTIONS, "authorizations": [5]}, None),
    "a response_url that is a number": ({**ACTIONS, "response_url": 5}, None),
    "view null": ({**SUBMIT, "view": None}, None),
    "no view": ({k: v for k, v in SUBMIT.items() if k != "view"}, None),
    "a callback_id that is a number": ({**SUBMIT, "view": {**VIEW, "callback_id": 42}}, INLINE),
    "a view without a type": ({**SUBMIT, "view": {k: v for k, v in VIEW.items() if k != "type"}}, INLINE),
    "response_urls as a number": ({**SUBMIT, "response_urls": 5}, INLINE),
    "response_urls holding a string": ({**SUBMIT, "response_urls": ["x"]}, INLINE),
    "a submission without a user": ({k: v for k, v in SUBMIT.items() if k != "user"}, INLINE),
    "a NUL character in a value": ({**SUBMIT, "view": {**VIEW, "private_metadata": "a\x00b"}}, INLINE),
    "half a surrogate pair in a value": ({**SUBMIT, "view": {**VIEW, "private_metadata": "a\ud800b"}}, INLINE),
    "a shortcut without a callback_id": ({"type": "shortcut", "user": USER}, None),
    "a suggestion without an action_id": ({"type": "block_suggestion", "user": USER}, None),
    "an unknown type": ({"type": "evil", "user": USER}, None),
    "a type that is a number": ({"type": 5, "user": USER}, None),
    "a legacy dialog": ({"type": "dialog_submission", "callback_id": "x", "user": USER}, None),
    "no type at all": ({"user": USER}, None),
}


@pytest.mark.parametrize("case", list(ENVELOPES))
async def test_a_signed_envelope_bolt_would_crash_on_is_refused(
        case: str, app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    payload, answer = ENVELOPES[case]
    raw = interaction(payload)
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert (reply.status, reply.json or None) == (200, answer)
    one_refusal(caplog)
    assert slack.calls() == []
    assert await stored(app) == 0


EVENTS: dict[str, dict[str, Any]] = {
    "an event_callback without an event": {k: v for k, v in EVENT.items() if k != "event"},
    "an event that is a string": {**EVENT, "event": "app_home_opened"},
    "an event without a type": {**EVENT, "event": {"user": "U0AGENT1"}},
    "an event type that is a number": {**EVENT, "event": {"type": 5}},
    "an event whose item is a string": {**EVENT, "event": {"type": "reaction_added", "item": "x"}},
    "events nested past the depth cap": {**EVENT, "event": json.loads('{"type":"x","event":' * 70 + "{}" + "}" * 70)},
    "url_verification without a challenge": {"type": "url_verification", "token": "t"},
    "a challenge that is a number": {"type": "url_verification", "challenge": 5},
}


@pytest.mark.parametrize("case", list(EVENTS))
async def test_a_signed_event_bolt_would_crash_on_is_acked_and_dropped(
        case: str, bot: SlackDriver, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    raw = json.dumps(EVENTS[case]).encode()
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw), JSON)
    assert (reply.status, reply.body) == (200, "")  # a 2xx, or Slack retries it three times
    one_refusal(caplog)
    assert slack.calls() == []


COMMAND = {"command": "/escalate", "text": "Checkout fails", "user_id": "U0AGENT1", "team_id": "T0TEAM",
           "channel_id": "C0HERE", "trigger_id": "1.2.3", "response_url": "http://127.0.0.1:9/x"}


@pytest.mark.parametrize("change", [
    {"user_id": None}, {"command": None}, {"user_id": ""}, {"command": "escalate"}, {"command": "/two words"},
    {"text": "x" * 40_001},
], ids=str)
async def test_a_signed_slash_command_bolt_could_not_read_is_answered_privately(
        change: dict[str, Any], bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    form = {k: v for k, v in {**COMMAND, **change}.items() if v is not None}
    raw = urlencode(form).encode()
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert (reply.status, reply.json) == (200, TEXT)
    one_refusal(caplog)
    assert slack.calls() == []


async def test_a_command_whose_text_says_payload_is_read_as_a_command(bot: SlackDriver, slack: FakeSlack,
                                                                        team: TeamPeople) -> None:
    """Bolt takes any form body holding the word `payload` for an interaction, and found none here."""
    reply = await bot.command("/escalate", "payload API rejects every card", user=team.agent)
    assert (reply.status, reply.body) == (200, "")
    summary = next(b for b in slack.last("views.open").view["blocks"] if b["block_id"] == ids.SUMMARY)
    assert summary["element"]["initial_value"] == "payload API rejects every card"


# ---------------------------------------------------------------- Socket Mode
@pytest.mark.parametrize("handler_class", [CheckedSocketModeHandler, AsyncSocketModeHandler])
async def test_socket_mode_refuses_an_envelope_bolt_could_not_read(
        handler_class: type[AsyncSocketModeHandler], app: Supportbot, slack: FakeSlack, team: TeamPeople,
        caplog: pytest.LogCaptureFixture) -> None:
    """`supportbot run` checks each envelope in its handler; Bolt's own handler is covered by the envelope
    middleware, for envelopes its request builder survives."""
    handler = handler_class(app.bolt, "xapp-1-test")
    try:
        await handler.connect_async()
        await slack.socket.await_connected(timeout=10)
        with caplog.at_level(logging.INFO):
            broken = slack.socket.send("interactive", ENVELOPES["actions as a string"][0])
            ack = await slack.socket.await_ack(broken, timeout=10)
            command = slack.socket.send("slash_commands", {**COMMAND, "text": ["not", "text"]})
            answer = await slack.socket.await_ack(command, timeout=10)
            event = slack.socket.send("events_api", {**EVENT, "event": {"type": 5}})
            dropped = await slack.socket.await_ack(event, timeout=10)
    finally:
        await handler.close_async()
    assert ack["envelope_id"] == broken and not ack.get("payload")
    assert answer["payload"] == TEXT
    assert dropped["envelope_id"] == event and not dropped.get("payload")
    assert [m.startswith("refused") for m in warnings(caplog)] == [True] * 3
    no_traceback(caplog)
    assert slack.count("views.open") == 0
