"""The three command paths of `bench.command_path`, each a signed request as Slack sends it and the bare app's
listener doing the same Slack calls as supportbot with fixed content (bare+sql's listeners, in
`bench.command_path_durable`, make the writing paths' calls through the same helpers here):

- `escalate`: `/escalate` → `views.open` of the escalation form, then the ack;
- `submit`: the form's submission → ack, the card posted in the path's and the team's channel (2
  `chat.postMessage`), the reporter's confirmation DM with the card's link (`chat.getPermalink`, `chat.postMessage`);
- `acknowledge`: Acknowledge on an open escalation's card → ack, both cards updated (2 `chat.update`), a line in
  each card's thread (2 `chat.postMessage`). Each request acknowledges another open escalation: supportbot's are
  created beforehand through its own form (the submit path), numbers read back from its database; bare+sql's
  are seeded in bulk at its start (numbered 1 … its seed); the bare app's all say 1 (it stores nothing).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.kit.signing import signed_headers

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

PATHS = ("escalate", "submit", "acknowledge")
TITLES = {"escalate": "/escalate (ack + views.open)",
          "submit": "the escalation form's submission (ack + 2 cards + a DM with the card's link)",
          "acknowledge": "Acknowledge on a card (ack + 2 chat.update + 2 thread replies)"}
EXPECTED = {  # the Slack calls per request of each path, as supportbot makes them (checked at the fake Slack)
    "escalate": {"views.open": 1},
    "submit": {"chat.postMessage": 3, "chat.getPermalink": 1},
    "acknowledge": {"chat.update": 2, "chat.postMessage": 2},
}
ESCALATION_FORM, ACKNOWLEDGE, ACTIONS_BLOCK = "escalation.form", "escalation.acknowledge", "escalation_actions"
CARD_TS = "1700000000.000100"  # the card the Acknowledge presses are on
CHANNELS = ("C0ENG", "C0ESC")  # tier1's Engineering path channel, then its escalations channel
FORM = {"customer": "ACME Corp", "summary": "Checkout fails for ACME",
        "details": "Every card payment returns 502 since 09:10.", "tickets": "#9001", "severity": "critical",
        "impact": "widespread", "urgency": "blocking"}

_numbers = itertools.count(1)


def signed(secret: str, body: str) -> tuple[bytes, dict[str, str]]:
    return body.encode(), signed_headers(secret, body, int(time.time()))


def interaction(secret: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    payload = {"token": "verification-token", "api_app_id": "A0APP", "team": {"id": "T0TEAM", "domain": "acme"},
               **payload}
    return signed(secret, urlencode({"payload": json.dumps(payload)}))


def submission_request(secret: str, user: str, modal: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The escalation form submitted (Engineering path), with a view id of its own: a new escalation each."""
    from tests.escalation_steps import path_option
    from tests.kit.driver import state_of

    state = state_of(modal, {**FORM, "path": path_option(modal, "Engineering")})
    view = {**modal, "id": f"V0B{next(_numbers):08d}", "state": {"values": state}, "hash": "1700000000.abc",
            "team_id": "T0TEAM", "app_id": "A0APP", "bot_id": "B0BOT"}
    return interaction(secret, {"type": "view_submission", "trigger_id": f"{next(_numbers)}.1111.abcdef",
                                "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
                                "view": view, "response_urls": []})


def acknowledge_request(secret: str, user: str, number: int) -> tuple[bytes, dict[str, str]]:
    """Acknowledge pressed on escalation `number`'s card in the path's channel."""
    ts = CARD_TS
    action = {"action_id": ACKNOWLEDGE, "block_id": ACTIONS_BLOCK, "type": "button", "value": str(number),
              "action_ts": f"{time.time():.6f}"}
    return interaction(secret, {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "trigger_id": f"{next(_numbers)}.1111.abcdef", "actions": [action],
        "response_url": "http://127.0.0.1:9/hooks/actions/T0TEAM/1/x",
        "container": {"type": "message", "message_ts": ts, "channel_id": CHANNELS[0], "is_ephemeral": False},
        "channel": {"id": CHANNELS[0], "name": "eng"}, "message": {"type": "message", "ts": ts, "blocks": CARD}})


CARD: list[dict[str, Any]] = [  # a card as big as supportbot's (header, fields, context, buttons)
    {"type": "header", "text": {"type": "plain_text", "text": "🔴 P1 · ESC-1 · Checkout fails for ACME"}},
    {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in (
        ("Customer", "ACME Corp"), ("Status", "Open"), ("Priority", "P1 (critical, widespread, blocking)"),
        ("Owner", "<@U0AGENT1>"), ("Path", "Engineering"), ("Acknowledge by", "10:25 (in 15 min)"))]},
    {"type": "section", "text": {"type": "mrkdwn", "text": "Every card payment returns 502 since 09:10."}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Tickets: #9001 · reported by <@U0AGENT1>"}]},
    {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [
        {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": label}, "value": "1"}
        for action, label in ((ACKNOWLEDGE, "Acknowledge"), ("escalation.post_update", "Post update"),
                              ("escalation.change_priority", "Change priority"), ("escalation.resolve", "Resolve"))]},
]


def register_bare(bolt: Any, view: dict[str, Any]) -> None:
    """The bare app's listeners: each path's Slack calls, with fixed content."""
    from slack_bolt.async_app import AsyncAck

    @bolt.command("/escalate")
    async def escalate(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
        await ack()

    @bolt.view(ESCALATION_FORM)
    async def submit(ack: AsyncAck, client: AsyncWebClient) -> None:
        await ack()
        posted = [await post_card(client, channel) for channel in CHANNELS]
        await send_link(client, posted[0])

    @bolt.action(ACKNOWLEDGE)
    async def acknowledge(ack: AsyncAck, client: AsyncWebClient) -> None:
        await ack()
        for channel in CHANNELS:
            await update_card(client, channel)
        for channel in CHANNELS:
            await reply(client, channel)


# The Slack calls of the writing paths, with fixed content: the bare app's and bare+sql's (bench.command_path_durable).

async def post_card(client: AsyncWebClient, channel: str) -> str:
    """A card posted in `channel`: its ts."""
    posted = await client.chat_postMessage(channel=channel, text="P1 escalation: Checkout fails for ACME",
                                           blocks=CARD, unfurl_links=False)
    return str(posted["ts"])


async def send_link(client: AsyncWebClient, ts: str) -> None:
    """The reporter's DM with the link of the card posted at `ts` in the path's channel."""
    link = await client.chat_getPermalink(channel=CHANNELS[0], message_ts=ts)
    await client.chat_postMessage(channel="U0AGENT1", text=f"Logged ESC-1: {link['permalink']}", unfurl_links=False)


async def update_card(client: AsyncWebClient, channel: str) -> None:
    await client.chat_update(channel=channel, ts=CARD_TS, text="P1 escalation (acknowledged)", blocks=CARD)


async def reply(client: AsyncWebClient, channel: str) -> None:
    await client.chat_postMessage(channel=channel, thread_ts=CARD_TS, text="<@U0AGENT1> acknowledged it.",
                                  unfurl_links=False)


async def open_escalations(database_url: str) -> list[int]:
    """The numbers of the open escalations in supportbot's database (oldest first)."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT id FROM escalations WHERE status = 'open' ORDER BY id"))
            return [int(n) for n in rows.scalars()]
    finally:
        await engine.dispose()


Builder = Callable[[], tuple[bytes, dict[str, str]]]
