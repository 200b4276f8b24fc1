"""FakeSlack: a real local HTTP + websocket server that answers like the Slack Web API.

It runs aiohttp on 127.0.0.1 (free port) in its own thread with its own event loop, so it can be
used from any test event loop, from sync code and from subprocesses (pass ``slack.api_url`` as the
slack_sdk ``base_url``). Every call is recorded as a :class:`Call`; state is guarded by one lock.

    with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        assert slack.last("chat.postMessage").text == "hi"

Sync waits (``wait_for``, ``socket.wait_for_ack``) block the calling thread: from an async test
whose own loop does the work, use the ``await_*`` variants.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .block_limits import LIMITS, problems, view_problems
from .fake_socket_mode import FakeSocketMode

log = logging.getLogger(__name__)

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
    arrived: list[str] = field(default_factory=list)  # methods whose call has reached Slack (answered or not)
    counter: int = 0


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


class FakeSlack:
    """Local fake of the Slack Web API (+ Socket Mode via ``.socket``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.valid_tokens: set[str] | None = None  # None: any xoxb-… (Web API) / xapp-… (Socket Mode)
        self.clock: Callable[[], float] = time.time  # "now" for chat.scheduleMessage checks
        self.errors: list[str] = []  # tracebacks of crashes inside FakeSlack itself
        self.socket = FakeSocketMode()
        self._cond = threading.Condition(threading.RLock())
        self._state = _State()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = self._build_handlers()

    # ================================================================ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Web API base URL to pass as slack_sdk's ``base_url``."""
        return f"{self.base_url}/api/"

    @property
    def response_url(self) -> str:
        """Prefix for the response_url of commands and actions the tests send."""
        return f"{self.base_url}/hooks/"

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> FakeSlack:
        """Bind a free port and serve in a background thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("FakeSlack already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run, args=(loop, sock, ready, failure), name=f"FakeSlack:{self.port}", daemon=True
        )
        self._loop, self._thread = loop, thread
        self.socket.attach(loop, thread)
        thread.start()
        if not ready.wait(timeout) or failure:
            self._thread = self._loop = None
            thread.join(timeout)
            raise RuntimeError(f"FakeSlack failed to start: {failure[0] if failure else 'timeout'}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close websockets, shut the server down and join its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        except Exception:  # still stop the loop below
            log.exception("FakeSlack shutdown failed")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = None

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        ready: threading.Event,
        failure: list[BaseException],
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(sock))
        except BaseException as exc:
            failure.append(exc)
            sock.close()
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._cancel_leftovers(loop)
            loop.close()

    @staticmethod
    def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_post("/hooks/{tail:.*}", self._response_url)
        app.router.add_get("/socket-mode/{tail:.*}", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        await self.socket.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        """Turn any crash inside FakeSlack into a 500 answer (recorded in ``errors``)."""
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except (web.HTTPException, asyncio.CancelledError):
            raise
        except Exception as exc:
            with self._cond:
                self.errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
            return web.json_response(_error("fake_slack_crashed", [repr(exc)]), status=500)

    # ================================================================ configuration
    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        tz: str = "America/New_York",
        tz_offset: int | None = None,
        is_bot: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a user for users.info (tz_offset defaults to tz's current UTC offset)."""
        name = real_name or f"User {user_id}"
        if tz_offset is None:
            offset = datetime.now(ZoneInfo(tz)).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        handle = name.lower().replace(" ", ".")
        profile = {
            "real_name": name,
            "real_name_normalized": name,
            "display_name": name,
            "display_name_normalized": name,
            "email": f"{handle}@example.com",
            "team": TEAM_ID,
        }
        user = {
            "id": user_id, "team_id": TEAM_ID, "name": handle, "real_name": name, "deleted": False,
            "tz": tz, "tz_offset": tz_offset, "is_bot": is_bot, "is_admin": False, "profile": profile,
        }  # fmt: skip
        user.update(extra)
        with self._cond:
            self.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
        """Register a channel returned by conversations.info (unknown channels get a default)."""
        channel = {**self._default_channel(channel_id), **({"name": name} if name else {}), **extra}
        with self._cond:
            self.channels[channel_id] = channel
        return channel

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, times: int = 1, error: str | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with HTTP ``status`` (429 adds Retry-After).

        ``status=200`` answers ``{"ok": false, "error": error}`` once per time instead.
        """
        with self._cond:
            self._state.faults.setdefault(method, []).extend(
                _Fault(status, retry_after, error) for _ in range(times)
            )

    def delay_next(self, method: str, seconds: float) -> None:
        """Make the next call of ``method`` take ``seconds`` before Slack answers (a slow Slack)."""
        with self._cond:
            self._state.delays.setdefault(method, []).append(seconds)

    def fail_method(self, method: str, error: str = "channel_not_found") -> None:
        """Answer every ``method`` call with ok:false ``error`` until clear_failures()."""
        with self._cond:
            self._state.failing[method] = error

    def clear_failures(self) -> None:
        """Drop all fail_next / fail_method injections."""
        with self._cond:
            self._state.faults.clear()
            self._state.failing.clear()
            self._state.delays.clear()

    def reset(self) -> None:
        """Forget calls, messages, views, files and failures; keep users, channels and tokens."""
        with self._cond:
            self._state = _State(counter=self._state.counter)
            self.errors.clear()
        self.socket.reset()

    # ================================================================ queries
    def calls(self, method: str | None = None, **match: Any) -> list[Call]:
        """Recorded calls (oldest first) of ``method`` whose top-level args equal ``match``."""
        with self._cond:
            return self._matching(method, match)

    def _matching(self, method: str | None, match: dict[str, Any]) -> list[Call]:
        return [
            c
            for c in self._state.calls
            if (method is None or c.method == method) and all(c.args.get(k) == v for k, v in match.items())
        ]

    def count(self, method: str | None = None, **match: Any) -> int:
        """Number of matching recorded calls."""
        return len(self.calls(method, **match))

    def last(self, method: str, **match: Any) -> Call:
        """Most recent matching call; AssertionError listing what was recorded when none."""
        with self._cond:
            found = self._matching(method, match)
            if not found:
                raise AssertionError(self._missing(method, match, 1, 0))
            return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, **match: Any) -> list[Call]:
        """Block (bounded) until ``count`` matching calls were recorded; return them.

        Blocks the calling thread: in an async test whose loop makes the calls use await_for.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._matching(method, match)) >= count, timeout):
                raise AssertionError(self._missing(method, match, count, timeout))
            return self._matching(method, match)

    def wait_arrived(self, method: str, timeout: float = 5.0) -> None:
        """Block (bounded) until a call of ``method`` has reached the fake, even if it is not answered yet."""
        with self._cond:
            if not self._cond.wait_for(lambda: method in self._state.arrived, timeout):
                raise AssertionError(f"no {method} call arrived within {timeout} s")

    async def await_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - same signature as wait_for on purpose
        **match: Any,
    ) -> list[Call]:
        """Like wait_for, but polls with asyncio.sleep so the caller's event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, **match)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                with self._cond:
                    raise AssertionError(self._missing(method, match, count, timeout))
            await asyncio.sleep(0.01)

    def _missing(self, method: str, match: dict[str, Any], count: int, timeout: float) -> str:
        found = len(self._matching(method, match))
        wanted = f"{count} {method} call(s)" + (f" matching {match}" if match else "")
        waited = f" within {timeout}s" if timeout else ""
        recorded = "\n  ".join(c.summary() for c in self._state.calls[-30:]) or "(none)"
        return f"expected {wanted}{waited}, found {found}. Recorded calls (last 30):\n  {recorded}"

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Current stored message (after updates), or None if never posted / deleted."""
        with self._cond:
            msg = self._state.messages.get((self._dm_for(channel), ts))
            return copy.deepcopy(msg)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages (each with its "channel"), in posting order."""
        with self._cond:
            return [
                copy.deepcopy({**m, "channel": ch})
                for (ch, _), m in self._state.messages.items()
                if channel is None or ch == self._dm_for(channel)
            ]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Stored view by id (as last opened/pushed/updated/published)."""
        with self._cond:
            return copy.deepcopy(self._state.views.get(view_id))

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab view last published for ``user_id``."""
        with self._cond:
            view_id = self._state.homes.get(user_id)
            return copy.deepcopy(self._state.views.get(view_id)) if view_id else None

    def file(self, file_id: str) -> dict[str, Any] | None:
        """Upload state of ``file_id`` (filename, length, data bytes, completed, title...)."""
        with self._cond:
            return copy.deepcopy(self._state.files.get(file_id))

    # ================================================================ HTTP plumbing
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, token, parse_error = await self._read_args(request)
        with self._cond:
            self._state.arrived.append(method)
            self._cond.notify_all()
            pending = self._state.delays.get(method)
            delay = pending.pop(0) if pending else 0.0
        if delay:
            await asyncio.sleep(delay)
        with self._cond:
            status, body, headers = self._answer(method, args, token, parse_error)
            self._record(Call(method, args, token, status, body))
        return web.json_response(body, status=status, headers=headers)

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None, str | None]:
        """Merge query params and the form/JSON body; returns (args, token, parse error)."""
        args: dict[str, Any] = dict(request.query)
        parse_error = None
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = json.loads(await request.text())
                except ValueError:
                    body, parse_error = {}, "invalid_json"
                if isinstance(body, dict):
                    args.update(body)
                else:
                    parse_error = "invalid_json"
            else:
                form = await request.post()
                for key, value in form.items():
                    args[key] = value if isinstance(value, str) else getattr(value, "filename", "file")
        form_token = args.pop("token", None)
        token = _bearer(request) or (form_token if isinstance(form_token, str) else None)
        return _decode_json_fields(args), token, parse_error

    def _record(self, call: Call) -> None:
        self._state.calls.append(call)
        self._cond.notify_all()

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, parse_error: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON body and extra headers for one Web API call (lock held)."""
        fault = self._take_fault(method)
        if fault is not None:
            return fault
        handler = self._handlers.get(method)
        if handler is None:
            return 200, _error("unknown_method"), {}
        error = parse_error or self._auth_error(method, token) or self._state.failing.get(method)
        if error:
            return 200, _error(error), {}
        try:
            return 200, {"ok": True, **handler(args)}, {}
        except SlackError as exc:
            return 200, _error(exc.error, exc.messages), {}

    def _take_fault(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        queue = self._state.faults.get(method)
        if not queue:
            return None
        fault = queue.pop(0)
        error = fault.error or _FAULT_ERRORS.get(fault.status, "fatal_error")
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        return fault.status, _error(error), headers

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        wants_app_token = method == "apps.connections.open"
        if token.startswith("xapp-") != wants_app_token:
            return "not_allowed_token_type"
        if self.valid_tokens is not None:
            return None if token in self.valid_tokens else "invalid_auth"
        return None if token.startswith("xapp-" if wants_app_token else "xoxb-") else "invalid_auth"

    async def _response_url(self, request: web.Request) -> web.Response:
        """POST to a response_url (slash commands, block actions): a message like chat.postMessage's."""
        try:
            args = json.loads(await request.text() or "{}")
        except ValueError:
            args = {}
        blocks = args.get("blocks") or []
        found = problems(blocks, surface="message")
        if not args.get("text") and not blocks and not args.get("delete_original"):
            found.append("no_text")
        status = 400 if found else 200
        with self._cond:
            self._record(Call(RESPONSE_URL_METHOD, args, None, status, {"ok": not found, "problems": found}))
        return web.Response(text="ok" if not found else "invalid_blocks", status=status)

    async def _upload(self, request: web.Request) -> web.Response:
        """POST to an upload_url from files.getUploadURLExternal: store the bytes."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        with self._cond:
            fault = self._take_fault(UPLOAD_METHOD)
            entry = self._state.files.get(file_id)
            if fault is not None:
                status, text = fault[0], json.dumps(fault[1])
            elif entry is None:
                status, text = 404, "Not Found"
            else:
                entry["data"], status, text = data, 200, f"OK - {len(data)}"
            args = {"file_id": file_id, "length": len(data), "filename": (entry or {}).get("filename")}
            self._record(Call(UPLOAD_METHOD, args, None, status, {"ok": status == 200}, data))
        return web.Response(text=text, status=status, content_type="text/plain")

    # ================================================================ helpers for handlers
    def _next_id(self, prefix: str) -> str:
        self._state.counter += 1
        return f"{prefix}0{self._state.counter:08d}"

    def _next_ts(self) -> str:
        self._state.counter += 1
        micros = self._state.counter * 100
        return f"{FIRST_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    @staticmethod
    def _dm_for(channel: str) -> str:
        """Posting to a user ID goes to the DM with that user, like Slack does."""
        return "D" + channel if channel[:1] in ("U", "W") else channel

    @staticmethod
    def _require(args: dict[str, Any], key: str, error: str) -> Any:
        value = args.get(key)
        if value in (None, "", []):
            raise SlackError(error, [f"missing required field: {key}"])
        return value

    @staticmethod
    def _check_content(args: dict[str, Any]) -> None:
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        if "blocks" in args:
            found = problems(args["blocks"], "message")
            if found:
                raise SlackError("invalid_blocks", found)

    @staticmethod
    def _message_from(args: dict[str, Any], ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "team": TEAM_ID,
            "text": args.get("text") or "", "ts": ts,
        }  # fmt: skip
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                msg[key] = args[key]
        return msg

    def _stored_message(self, args: dict[str, Any], ts_key: str = "ts") -> tuple[str, str, dict[str, Any]]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        ts = str(self._require(args, ts_key, "message_not_found"))
        msg = self._state.messages.get((channel, ts))
        if msg is None:
            raise SlackError("message_not_found")
        return channel, ts, msg

    @staticmethod
    def _default_channel(channel_id: str) -> dict[str, Any]:
        is_im = channel_id.startswith("D")
        channel = {
            "id": channel_id, "name": channel_id.lower(), "is_channel": channel_id.startswith("C"),
            "is_im": is_im, "is_private": not channel_id.startswith("C"), "is_archived": False,
            "is_member": True, "created": FIRST_TS, "context_team_id": TEAM_ID,
        }  # fmt: skip
        if is_im:
            channel["user"] = channel_id[1:]
        return channel

    # ================================================================ method handlers
    def _build_handlers(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "chat.scheduleMessage": self._chat_schedule_message,
            "views.open": lambda a: self._views_open(a, "views.open"),
            "views.push": lambda a: self._views_open(a, "views.push"),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": WORKSPACE_URL, "team": TEAM_NAME, "user": "supportbot", "team_id": TEAM_ID,
            "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
        }  # fmt: skip

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        self._check_content(args)
        ts = self._next_ts()
        msg = self._message_from(args, ts)
        self._state.messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(msg)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._stored_message(args)
        self._check_content(args)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                msg[key] = args[key]
        msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": msg.get("text", ""), "message": copy.deepcopy(msg)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "channel_not_found")
        self._require(args, "user", "user_not_found")
        self._check_content(args)
        return {"message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(self._require(args, "channel", "channel_not_found"))
        ts = str(self._require(args, "message_ts", "message_not_found"))
        return {
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, _ = self._stored_message(args)
        del self._state.messages[(channel, ts)]
        return {"channel": channel, "ts": ts}

    def _chat_schedule_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        try:
            post_at = int(float(self._require(args, "post_at", "invalid_time")))
        except (TypeError, ValueError):
            raise SlackError("invalid_time") from None
        now = self.clock()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + LIMITS.schedule_max_future_days * 86400:
            raise SlackError("time_too_far")
        self._check_content(args)
        scheduled_id = self._next_id("Q")
        msg = self._message_from(args, str(post_at))
        self._state.scheduled[scheduled_id] = {**msg, "channel": channel, "post_at": post_at}
        return {"channel": channel, "scheduled_message_id": scheduled_id, "post_at": post_at, "message": msg}

    # -- views
    def _check_view(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", ["missing required field: view"])
        if view.get("type") != kind:
            raise SlackError("invalid_arguments", [f"view.type must be {kind!r}"])
        found = view_problems(view)
        if found:
            raise SlackError("invalid_arguments", found)
        return view

    def _store_view(
        self, view: dict[str, Any], view_id: str, previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "private_metadata": "", "callback_id": "", "external_id": "", "clear_on_close": False,
            "notify_on_close": False, "submit": None, "close": None, "previous_view_id": None,
            **copy.deepcopy(view),
            "id": view_id, "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
            "app_installed_team_id": TEAM_ID,
            "state": {"values": {}}, "hash": f"{int(time.time())}.{self._next_id('H')}",
            "root_view_id": (previous or {}).get("root_view_id") or view_id,
        }  # fmt: skip
        old_external = (previous or {}).get("external_id")
        if old_external and self._state.external_ids.get(old_external) == view_id:
            del self._state.external_ids[old_external]
        if stored["external_id"]:
            self._state.external_ids[stored["external_id"]] = view_id
        self._state.views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, args: dict[str, Any], method: str) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise SlackError("invalid_arguments", [f"{method}: missing required field: trigger_id"])
        view = self._check_view(args, "modal")
        external_id = view.get("external_id")
        if external_id and external_id in self._state.external_ids:
            raise SlackError("duplicate_external_id")
        return {"view": self._store_view(view, self._next_id("V"))}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._state.external_ids.get(str(args.get("external_id") or ""))
        previous = self._state.views.get(str(view_id)) if view_id else None
        if previous is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != previous["hash"]:
            raise SlackError("hash_conflict")
        view = self._check_view(args, str(previous["type"]))
        return {"view": self._store_view(view, str(view_id), previous)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(self._require(args, "user_id", "invalid_arguments"))
        view = self._check_view(args, "home")
        view_id = self._state.homes.get(user_id) or self._next_id("V")
        self._state.homes[user_id] = view_id
        return {"view": self._store_view(view, view_id, self._state.views.get(view_id))}

    # -- conversations / users
    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = args.get("users")
        names = users if isinstance(users, list) else [u for u in str(users or "").split(",") if u]
        if not names:
            raise SlackError("users_list_not_supplied")
        if len(names) == 1:
            return {"channel": {"id": "D" + names[0]}}
        digest = hashlib.sha1(",".join(sorted(names)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": "G" + digest}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(self._require(args, "channel", "channel_not_found"))
        return {"channel": copy.deepcopy(self.channels.get(channel_id) or self._default_channel(channel_id))}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    # -- files
    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(self._require(args, "filename", "invalid_arguments"))
        try:
            length = int(self._require(args, "length", "invalid_arguments"))
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", ["length must be an integer"]) from None
        file_id = self._next_id("F")
        self._state.files[file_id] = {
            "id": file_id, "filename": filename, "length": length, "data": None, "completed": False,
        }  # fmt: skip
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", ["missing required field: files"])
        entries = [self._state.files.get(str(f.get("id"))) if isinstance(f, dict) else None for f in files]
        if any(e is None or e["data"] is None for e in entries):
            raise SlackError("file_not_found")
        done = []
        for spec, entry in zip(files, entries, strict=True):
            assert entry is not None
            title = spec.get("title") or entry["filename"]
            entry.update(completed=True, title=title, channel_id=args.get("channel_id"))
            entry.update(initial_comment=args.get("initial_comment"), thread_ts=args.get("thread_ts"))
            done.append({
                "id": entry["id"], "name": entry["filename"], "title": title, "size": len(entry["data"]),
                "user": BOT_USER_ID, "created": int(time.time()),
                "permalink": f"https://fake.slack.com/files/{BOT_USER_ID}/{entry['id']}/{entry['filename']}",
            })  # fmt: skip
        return {"files": done}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = self._next_id("ticket")
        return {"url": f"ws://{self.host}:{self.port}/socket-mode/link/?ticket={ticket}&app_id={APP_ID}"}
