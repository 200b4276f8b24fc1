"""FakeSlack's data: the recorded :class:`Call`, the Slack-side state and small request helpers.

Everything here is plain data or a pure function; :mod:`tests.kit.fake_slack` owns the lock that
guards a :class:`_State`. ``_Shared`` names the attributes FakeSlack sets up that its mixins (the
HTTP plumbing in :mod:`tests.kit.fake_slack_http`, the method handlers in
:mod:`tests.kit.fake_slack_methods`) read and write.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM_ID = "T0TEAM"
TEAM_NAME = "Fake Team"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
WORKSPACE_URL = "https://fake.slack.com/"
UPLOAD_METHOD = "upload"  # pseudo-method under which POSTs to an upload_url are recorded
RESPONSE_URL_METHOD = "response_url"  # pseudo-method for POSTs to a response_url
FIRST_TS = 1_700_000_000

# Fields slack_sdk sends as JSON-encoded strings in form/query bodies; decoded when recorded.
JSON_FIELDS = frozenset({"blocks", "view", "files", "attachments", "metadata", "message", "user_auth_blocks"})

_FAULT_ERRORS = {429: "ratelimited", 500: "fatal_error", 503: "service_unavailable"}

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class SlackError(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": error}``."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


@dataclass(frozen=True)
class Call:
    """One recorded request: what was asked and what FakeSlack answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int
    response: dict[str, Any]
    data: bytes | None = None  # raw body of an upload_url POST

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")

    @property
    def text(self) -> str | None:
        return self.args.get("text")

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        return self.args.get("blocks")

    @property
    def channel(self) -> str | None:
        return self.args.get("channel") or self.args.get("channel_id")

    @property
    def view(self) -> dict[str, Any] | None:
        return self.args.get("view")

    @property
    def ts(self) -> str | None:
        """ts sent (chat.update/delete) or, for posts, the ts Slack answered."""
        return self.args.get("ts") or self.response.get("ts") or self.response.get("message_ts")

    @property
    def thread_ts(self) -> str | None:
        return self.args.get("thread_ts")

    @property
    def user(self) -> str | None:
        return self.args.get("user") or self.args.get("user_id")

    def summary(self) -> str:
        """One line for failure listings."""
        keys = ("channel", "user", "user_id", "ts", "text", "view_id", "external_id", "trigger_id")
        shown = ", ".join(f"{k}={str(self.args[k])[:40]!r}" for k in keys if k in self.args)
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method}({shown}) -> {outcome}"


@dataclass
class _Fault:
    status: int
    retry_after: int
    error: str | None


@dataclass(frozen=True)
class _Outage:
    """Every call (or those of ``methods``) answered with ``status`` while ``until`` (on FakeSlack.clock) is
    not reached, or until ``end_outage()`` when it is None."""

    status: int
    retry_after: int
    until: float | None
    methods: frozenset[str] | None


@dataclass
class _State:
    """Mutable Slack-side state (guarded by FakeSlack's lock)."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    scheduled: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    failing: dict[str, str] = field(default_factory=dict)
    delays: dict[str, list[float]] = field(default_factory=dict)
    outage: _Outage | None = None
    arrived: list[str] = field(default_factory=list)  # methods whose call has reached Slack (answered or not)
    peers: set[tuple[Any, ...]] = field(default_factory=set)  # client (host, port) of each /api/ connection
    counter: int = 0
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # usergroups.users.list


class _Shared:
    """Attributes FakeSlack.__init__ sets that the HTTP and method mixins use (for type checkers)."""

    host: str
    port: int
    users: dict[str, dict[str, Any]]
    channels: dict[str, dict[str, Any]]
    valid_tokens: set[str] | None
    clock: Callable[[], float]
    errors: list[str]
    _cond: threading.Condition
    _state: _State
    _handlers: dict[str, Handler]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


def _error(error: str, messages: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
    return body


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None
