"""FakeSlack: a real local HTTP + websocket server that answers like the Slack Web API.

It runs aiohttp on 127.0.0.1 (free port) in its own thread with its own event loop, so it can be
used from any test event loop, from sync code and from subprocesses (pass ``slack.api_url`` as the
slack_sdk ``base_url``). Every call is recorded as a :class:`Call`; state is guarded by one lock.

    with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        assert slack.last("chat.postMessage").text == "hi"

``slack.connections()`` counts the distinct client TCP connections Web API calls came over, so a
test can check that the app keeps one keep-alive connection instead of opening one per call.

Sync waits (``wait_for``, ``socket.wait_for_ack``) block the calling thread: from an async test
whose own loop does the work, use the ``await_*`` variants.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import socket
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .fake_slack_http import _WebApiServer
from .fake_slack_methods import _SlackMethods
from .fake_slack_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    FIRST_TS,
    JSON_FIELDS,
    RESPONSE_URL_METHOD,
    TEAM_ID,
    TEAM_NAME,
    UPLOAD_METHOD,
    WORKSPACE_URL,
    Call,
    Handler,
    SlackError,
    _Fault,
    _Outage,
    _State,
)
from .fake_socket_mode import FakeSocketMode

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "FIRST_TS",
    "JSON_FIELDS",
    "RESPONSE_URL_METHOD",
    "TEAM_ID",
    "TEAM_NAME",
    "UPLOAD_METHOD",
    "WORKSPACE_URL",
    "Call",
    "FakeSlack",
    "Handler",
    "SlackError",
]

log = logging.getLogger(__name__)


class FakeSlack(_WebApiServer, _SlackMethods):
    """Local fake of the Slack Web API (+ Socket Mode via ``.socket``).

    This class holds the lifecycle, configuration and query/assertion API; the HTTP plumbing is in
    :mod:`tests.kit.fake_slack_http`, the per-method handlers in :mod:`tests.kit.fake_slack_methods`
    and the recorded data (:class:`Call`, ``_State``) in :mod:`tests.kit.fake_slack_state`.
    """

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
    # base_url (``http://host:port``) is defined on _Shared, for the handlers that build URLs.
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

    def outage(
        self, status: int = 500, *, retry_after: int = 1, until: float | None = None,
        methods: Collection[str] | None = None,
    ) -> None:
        """Slack is down: answer every Web API call (or those of ``methods``) with HTTP ``status`` (429 adds
        ``Retry-After: retry_after``) until ``end_outage()``, or while ``self.clock()`` is before ``until``
        (set ``clock`` to the app's driven clock for an outage measured in simulated time)."""
        with self._cond:
            self._state.outage = _Outage(status, retry_after, until, frozenset(methods) if methods else None)

    def end_outage(self) -> None:
        with self._cond:
            self._state.outage = None

    def clear_failures(self) -> None:
        """Drop all fail_next / fail_method / outage injections."""
        with self._cond:
            self._state.outage = None
            self._state.faults.clear()
            self._state.failing.clear()
            self._state.delays.clear()

    def reset(self) -> None:
        """Forget calls, messages, views, files, failures and connections; keep users, channels and tokens."""
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

    def connections(self) -> int:
        """Distinct client TCP connections (peer host, port) that sent /api/ requests since reset()."""
        with self._cond:
            return len(self._state.peers)

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
