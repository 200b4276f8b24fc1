"""Drive the real app the way Slack does: signed HTTP requests into its ASGI front."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.app import Supportbot
from tests.kit.signing import signed_headers

TEAM_ID = "T0TEAM"
_triggers = itertools.count(1)


@dataclass
class Reply:
    """What Slack got back for one request."""

    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """The text of an ack body (a slash command's private answer), or the raw body."""
        try:
            data = self.json
        except json.JSONDecodeError:
            return self.body
        texts = [str(data.get("text", ""))]
        texts += [_block_text(block) for block in data.get("blocks", [])]
        return "\n".join(t for t in texts if t)

    @property
    def errors(self) -> dict[str, str]:
        data = self.json
        assert data.get("response_action") == "errors", f"expected inline errors, got {self.body!r}"
        return dict(data["errors"])


def _block_text(block: dict[str, Any]) -> str:
    parts: list[str] = []
    if isinstance(block.get("text"), dict):
        parts.append(block["text"].get("text", ""))
    parts += [f.get("text", "") for f in block.get("fields", []) or []]
    parts += [e.get("text", "") for e in block.get("elements", []) or [] if isinstance(e, dict)]
    return "\n".join(p for p in parts if p)


class SlackDriver:
    """Sends signed slash commands, block actions, view submissions and events to the app. After each answer
    it waits until the app's outbox is sent (`settle`), as a person would a moment later; a test of the answer
    itself turns that off (`driver.settle = False`) and drains the outbox when it wants."""

    def __init__(self, bot: Supportbot, signing_secret: str, *, response_url: str, settle: bool = True) -> None:
        self.bot = bot
        self.settle = settle
        self.secret = signing_secret
        self.response_url = response_url
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bot.asgi()), base_url="http://supportbot.test"
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def post(self, body: str, *, content_type: str, timestamp: int | None = None,
                   headers: dict[str, str] | None = None) -> Reply:
        signed = signed_headers(self.secret, body, timestamp if timestamp is not None else int(time.time()),
                                content_type=content_type)
        response = await self._http.post("/slack/events", content=body.encode(),
                                         headers={**signed, **(headers or {})})
        if self.settle:
            await self.bot.services.outbox.drain()
        return Reply(response.status_code, response.text)

    async def command(self, command: str, text: str = "", *, user: str, channel: str = "C0HERE") -> Reply:
        form = {
            "token": "verification-token", "team_id": TEAM_ID, "team_domain": "acme",
            "channel_id": channel, "channel_name": "support", "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": "A0APP",
            "response_url": f"{self.response_url}commands/{TEAM_ID}/1/x",
            "trigger_id": self._trigger(),
        }
        return await self.post(urlencode(form), content_type="application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> Reply:
        payload = {"token": "verification-token", "api_app_id": "A0APP",
                   "team": {"id": TEAM_ID, "domain": "acme"}, **payload}
        return await self.post(urlencode({"payload": json.dumps(payload)}),
                               content_type="application/x-www-form-urlencoded")

    async def click(self, action_id: str, *, user: str, value: str | None = None,
                    message: dict[str, Any] | None = None, channel: str | None = None,
                    view: dict[str, Any] | None = None, **selection: Any) -> Reply:
        """A block action: a button press (`value`) or a select (`selected_user=…`, …)."""
        action: dict[str, Any] = {"action_id": action_id, "block_id": _block_of(action_id, message, view),
                                  "type": "button", "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        action.update(selection)
        if selection:
            action["type"] = "users_select" if "selected_user" in selection else "static_select"
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "trigger_id": self._trigger(), "actions": [action],
            "response_url": f"{self.response_url}actions/{TEAM_ID}/1/x",
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
            payload["view"] = view
        else:
            ts = (message or {}).get("ts", "1700000000.000100")
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel or "C0HERE",
                                    "is_ephemeral": False}
            payload["channel"] = {"id": channel or "C0HERE", "name": "support"}
            payload["message"] = {"type": "message", "ts": ts, **(message or {})}
        return await self.interact(payload)

    async def submit(self, view: dict[str, Any], *, user: str, **values: Any) -> Reply:
        """Submit a modal as Slack would, with `block_id=value` for each input filled in."""
        submitted = {**view, "id": view.get("id", "V0SUBMIT"), "state": {"values": state_of(view, values)},
                     "hash": "1700000000.abc", "team_id": TEAM_ID, "app_id": "A0APP", "bot_id": "B0BOT"}
        return await self.interact({"type": "view_submission", "trigger_id": self._trigger(),
                                    "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                                    "view": submitted, "response_urls": []})

    async def event(self, event: dict[str, Any]) -> Reply:
        envelope = {"token": "verification-token", "team_id": TEAM_ID, "api_app_id": "A0APP",
                    "event": event, "type": "event_callback", "event_id": f"Ev{next(_triggers)}",
                    "event_time": int(time.time()),
                    "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": "U0BOT",
                                        "is_bot": True, "is_enterprise_install": False}]}
        return await self.post(json.dumps(envelope), content_type="application/json")

    @staticmethod
    def _trigger() -> str:
        return f"{next(_triggers)}.1111.abcdef"


def _block_of(action_id: str, message: dict[str, Any] | None, view: dict[str, Any] | None) -> str:
    for block in (message or view or {}).get("blocks", []):
        elements = block.get("elements", []) + ([block["accessory"]] if "accessory" in block else [])
        if any(isinstance(e, dict) and e.get("action_id") == action_id for e in elements):
            return str(block.get("block_id", "b"))
    return "b"


def state_of(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Build `view.state.values` for the given input blocks, shaped by each element's type. An input the test
    does not name keeps its initial value, as Slack sends it (name it with None to send it cleared)."""
    state: dict[str, Any] = {}
    inputs = {b["block_id"]: b["element"] for b in view.get("blocks", []) if b.get("type") == "input"}
    unknown = set(values) - set(inputs)
    assert not unknown, f"the view has no input blocks {sorted(unknown)}; it has {sorted(inputs)}"
    for block_id, element in inputs.items():
        value = values[block_id] if block_id in values else _initial(element)
        kind = element["type"]
        entry: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "url_text_input", "email_text_input", "number_input"):
            entry["value"] = value
        elif kind in ("static_select", "radio_buttons"):
            entry["selected_option"] = _option(element, value) if value is not None else None
        elif kind == "checkboxes":
            entry["selected_options"] = [_option(element, v) for v in (value or [])]
        elif kind == "users_select":
            entry["selected_user"] = value
        elif kind == "multi_users_select":
            entry["selected_users"] = list(value or [])
        elif kind == "conversations_select":
            entry["selected_conversation"] = value
        elif kind == "datepicker":
            entry["selected_date"] = value
        else:
            raise AssertionError(f"state_of does not know element type {kind}")
        state[block_id] = {element["action_id"]: entry}
    return state


def _initial(element: dict[str, Any]) -> Any:
    """What Slack sends for an input nobody touched: its initial value, in the form `state_of` takes."""
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        return (element.get("initial_option") or {}).get("value")
    if kind == "checkboxes":
        return [option["value"] for option in element.get("initial_options", [])]
    return element.get({"users_select": "initial_user", "multi_users_select": "initial_users",
                        "conversations_select": "initial_conversation",
                        "datepicker": "initial_date"}.get(kind, "initial_value"))


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group["options"]
    for option in options:
        if option["value"] == value:
            return dict(option)
    raise AssertionError(f"{value!r} is not an option of {element['action_id']}: "
                         f"{[o['value'] for o in options]}")
