"""Hostile requests, sent as an attacker or a broken client would: a forged request gets 401 before its
body is parsed, whatever it holds; a signed request that Bolt could not read is refused with a sentence and
one WARNING line, never a 500 or a traceback, and nothing is stored or sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from bot.app import MAX_BODY, Supportbot
from bot.socket_mode import CheckedSocketModeHandler
from handlers.payloads import UNREADABLE
from storage import escalations
from tests.conftest import SIGNING_SECRET, TeamPeople
from tests.kit.driver import Reply, SlackDriver
from tests.kit.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 100_000 + "]" * 100_000


def signed(raw: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def send(bot: SlackDriver, raw: bytes, headers: dict[str, str], content_type: str = FORM) -> Reply:
    response = await bot._http.post("/slack/events", content=raw, headers={**headers, "Content-Type": content_type})
    return Reply(response.status_code, response.text)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "refused" in r.getMessage()]


MALFORMED_BODIES: dict[str, tuple[bytes, str]] = {
    "payload= with invalid JSON": (b"payload=%7Bnot%20json", FORM),
    "payload= with a JSON list": (b"payload=" + quote("[1, 2]").encode(), FORM),
    "payload= nested very deeply": (b"payload=" + quote(DEEP).encode(), FORM),
    "JSON that is not an object": (b'"just a string"', "application/json"),
    "JSON nested very deeply": (DEEP.encode(), "application/json"),
    "not UTF-8": (b"\xff\xfe\xfa command=/escalate", FORM),
    "a form that is not a form": (b"%%%===&&&", FORM),
}


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
@pytest.mark.parametrize("forgery", ["unsigned", "wrong secret", "stale", "timestamp not a number"])
async def test_a_forged_request_is_refused_before_its_body_is_read(
        case: str, forgery: str, bot: SlackDriver, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    raw, content_type = MALFORMED_BODIES[case]
    headers = {"unsigned": {}, "wrong secret": signed(raw, secret="not-the-secret"),
               "stale": signed(raw, timestamp=int(time.time()) - 301),
               "timestamp not a number": {**signed(raw), "X-Slack-Request-Timestamp": "1e9"}}[forgery]
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, headers, content_type)
    assert (reply.status, reply.json) == (401, {"error": "invalid request"})
    assert refusals(caplog) == []  # the envelope was never parsed
    no_traceback(caplog)
    assert slack.calls() == []


@pytest.mark.parametrize("case", [case for case in MALFORMED_BODIES if case != "not UTF-8"])
async def test_a_signed_body_bolt_could_not_read_is_refused_with_one_warning(
        case: str, bot: SlackDriver, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    raw, content_type = MALFORMED_BODIES[case]
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw), content_type)
    assert reply.status == 200
    assert len(refusals(caplog)) == 1
    no_traceback(caplog)
    assert slack.calls() == []


async def test_bytes_that_are_not_utf8_never_verify(bot: SlackDriver, slack: FakeSlack,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Slack signs UTF-8 text: other bytes, even with a signature computed over them, are a forgery."""
    raw, content_type = MALFORMED_BODIES["not UTF-8"]
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw), content_type)
    assert reply.status == 401
    no_traceback(caplog)
    assert slack.calls() == []


async def test_a_body_over_the_cap_is_refused_unread(bot: SlackDriver) -> None:
    raw = b"payload=" + b"x" * MAX_BODY
    reply = await send(bot, raw, signed(raw))
    assert reply.status == 413


def interaction(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


USER = {"id": "U0AGENT1", "team_id": "T0TEAM"}
BUTTON = {"action_id": "escalation.acknowledge", "block_id": "escalation_actions:1", "value": "1", "type": "button"}
MALFORMED_ENVELOPES: dict[str, Any] = {
    "actions as a string": {"type": "block_actions", "user": USER, "actions": "escalation.acknowledge"},
    "actions empty": {"type": "block_actions", "user": USER, "actions": []},
    "an action without an id": {"type": "block_actions", "user": USER, "actions": [{}]},
    "an action id that is a number": {"type": "block_actions", "user": USER, "actions": [{"action_id": 7}]},
    "no user": {"type": "block_actions", "actions": [BUTTON]},
    "team as a string": {"type": "block_actions", "user": USER, "team": "T0TEAM", "actions": [BUTTON]},
    "view null": {"type": "view_submission", "user": USER, "view": None},
    "callback_id a number": {"type": "view_submission", "user": USER, "view": {"id": "V1", "callback_id": 42}},
    "view state not an object": {"type": "view_submission", "user": USER,
                                 "view": {"id": "V1", "callback_id": "escalation.form", "state": "x"}},
    "an unknown type": {"type": "evil", "user": USER},
    "no type at all": {"user": USER},
    "an event that is a string": {"type": "event_callback", "event": "app_home_opened"},
}


@pytest.mark.parametrize("case", list(MALFORMED_ENVELOPES))
async def test_a_signed_envelope_bolt_would_crash_on_is_refused(
        case: str, bot: SlackDriver, slack: FakeSlack, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    raw = interaction(MALFORMED_ENVELOPES[case])
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert reply.status == 200
    assert len(refusals(caplog)) == 1
    no_traceback(caplog)
    assert slack.calls() == []


@pytest.mark.parametrize("missing", ["user_id", "command"])
async def test_a_slash_command_without_its_user_or_command_is_refused(
        missing: str, bot: SlackDriver, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    form = {"command": "/escalate", "text": "", "user_id": "U0AGENT1", "team_id": "T0TEAM",
            "trigger_id": "1.2.3", "response_url": "http://127.0.0.1:9/x"}
    del form[missing]
    raw = urlencode(form).encode()
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert reply.status == 200
    if missing == "user_id":
        assert reply.json == {"response_type": "ephemeral", "text": UNREADABLE}
    assert len(refusals(caplog)) == 1
    no_traceback(caplog)
    assert slack.calls() == []


async def test_a_slash_command_without_a_trigger_is_answered_not_crashed(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    raw = urlencode({"command": "/escalate", "text": "", "user_id": team.agent, "team_id": "T0TEAM"}).encode()
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert reply.status == 200 and UNREADABLE in reply.text
    no_traceback(caplog)
    assert slack.count("views.open") == 0


async def test_a_view_submission_that_cannot_be_read_keeps_the_modal_open(
        bot: SlackDriver, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    view = {"id": "V1", "callback_id": "escalation.form", "state": {"values": {"summary": {"summary": 5}}}}
    raw = interaction({"type": "view_submission", "user": USER, "view": view})
    with caplog.at_level(logging.DEBUG):
        reply = await send(bot, raw, signed(raw))
    assert reply.status == 200
    assert reply.json == {"response_action": "errors", "errors": {"summary": UNREADABLE}}
    no_traceback(caplog)


async def test_nothing_is_stored_from_a_refused_request(app: Supportbot, bot: SlackDriver, team: TeamPeople) -> None:
    for case in MALFORMED_ENVELOPES.values():
        raw = interaction(case)
        await send(bot, raw, signed(raw))
    async with app.services.db() as session:
        assert (await escalations.open_for_teams(session, [1, 2, 3])).total == 0


async def test_socket_mode_refuses_an_envelope_bolt_could_not_read(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, caplog: pytest.LogCaptureFixture) -> None:
    handler = CheckedSocketModeHandler(app.bolt, "xapp-1-test")
    try:
        await handler.connect_async()
        await slack.socket.await_connected(timeout=10)
        with caplog.at_level(logging.INFO):
            envelope_id = slack.socket.send("interactive", MALFORMED_ENVELOPES["actions as a string"])
            ack = await slack.socket.await_ack(envelope_id, timeout=10)
            command = slack.socket.send("slash_commands", {"command": "/escalate", "text": "", "team_id": "T0TEAM"})
            answer = await slack.socket.await_ack(command, timeout=10)
    finally:
        await handler.close_async()
    assert ack["envelope_id"] == envelope_id and not ack.get("payload")
    assert answer["payload"] == {"response_type": "ephemeral", "text": UNREADABLE}  # no user_id: refused
    assert len(refusals(caplog)) == 2
    no_traceback(caplog)
