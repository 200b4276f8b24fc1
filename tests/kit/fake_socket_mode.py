"""Socket Mode side of FakeSlack: a websocket endpoint speaking Slack's Socket Mode frames.

Frame shapes (hello, disconnect, envelopes, acks) follow
``shared/slack/payloads/socket_mode_envelopes.json``. The websocket server runs on FakeSlack's
own event loop; every public method here is safe to call from any other thread or event loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web

from .block_limits import facts_dir

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]

_FALLBACK_HELLO: dict[str, Any] = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-fake", "build_number": 10, "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A111"},
}
_FALLBACK_DISCONNECT: dict[str, Any] = {
    "type": "disconnect",
    "reason": "refresh_requested",
    "num_connections": 1,
    "debug_info": {"host": "applink-fake"},
    "connection_info": {"app_id": "A111"},
}
# interactive payload types for which Slack lets the ack carry a response body
_INTERACTIVE_WITH_RESPONSE = frozenset({"view_submission", "block_suggestion"})


def _load_frames() -> tuple[dict[str, Any], dict[str, Any]]:
    """hello and disconnect frames from the shared reference file (fallback: built-in copies)."""
    try:
        raw = json.loads((facts_dir() / "payloads" / "socket_mode_envelopes.json").read_text("utf-8"))
        return dict(raw["payload"]["hello"]), dict(raw["payload"]["disconnect"])
    except (OSError, ValueError, KeyError, TypeError):
        return dict(_FALLBACK_HELLO), dict(_FALLBACK_DISCONNECT)


def default_accepts_response_payload(kind: str, payload: dict[str, Any]) -> bool:
    """What Slack sets: slash commands and view_submission/block_suggestion accept a response."""
    if kind == "slash_commands":
        return True
    return kind == "interactive" and payload.get("type") in _INTERACTIVE_WITH_RESPONSE


def build_envelope(
    kind: EnvelopeType,
    payload: dict[str, Any],
    accepts_response_payload: bool | None = None,
    envelope_id: str | None = None,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> dict[str, Any]:
    """An envelope shaped like those in socket_mode_envelopes.json."""
    if accepts_response_payload is None:
        accepts_response_payload = default_accepts_response_payload(kind, payload)
    envelope: dict[str, Any] = {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": kind,
        "accepts_response_payload": accepts_response_payload,
    }
    if kind == "events_api":
        envelope["retry_attempt"] = retry_attempt
        envelope["retry_reason"] = retry_reason
    return envelope


class FakeSocketMode:
    """Server side of Socket Mode. Reach it as ``FakeSlack().socket``."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._connections: list[web.WebSocketResponse] = []
        self._acks: list[dict[str, Any]] = []
        self._frames: list[Any] = []
        self._sent: list[dict[str, Any]] = []
        self._total_connections = 0
        self._hello, self._disconnect = _load_frames()

    # -- lifecycle (called by FakeSlack) ----------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        """Bind to the server's event loop and thread."""
        self._loop, self._loop_thread = loop, thread

    async def shutdown(self) -> None:
        """Close every open websocket (runs on the server loop)."""
        with self._cond:
            connections = list(self._connections)
        for ws in connections:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    def reset(self) -> None:
        """Forget acks, frames and sent envelopes (connections stay open)."""
        with self._cond:
            self._acks.clear()
            self._frames.clear()
            self._sent.clear()

    # -- websocket handler ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler: send hello, then record every text frame the client sends."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._cond:
            hello = {**self._hello, "num_connections": len(self._connections) + 1}
        await ws.send_str(json.dumps(hello))
        with self._cond:
            self._connections.append(ws)
            self._total_connections += 1
            self._cond.notify_all()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            with self._cond:
                if ws in self._connections:
                    self._connections.remove(ws)
                self._cond.notify_all()
        return ws

    def _on_text(self, data: str) -> None:
        try:
            frame: Any = json.loads(data)
        except ValueError:
            frame = data
        with self._cond:
            self._frames.append(frame)
            if isinstance(frame, dict) and "envelope_id" in frame:
                self._acks.append(frame)
            self._cond.notify_all()

    # -- inspection -------------------------------------------------------------------------------------
    @property
    def acks(self) -> list[dict[str, Any]]:
        """Ack frames received so far ({"envelope_id": ..., "payload"?: ...})."""
        with self._cond:
            return copy.deepcopy(self._acks)

    @property
    def frames(self) -> list[Any]:
        """Every text frame received (parsed JSON, or the raw string when not JSON)."""
        with self._cond:
            return copy.deepcopy(self._frames)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Envelopes sent to clients, oldest first."""
        with self._cond:
            return copy.deepcopy(self._sent)

    @property
    def connected(self) -> int:
        """Number of currently open client connections."""
        with self._cond:
            return len(self._connections)

    @property
    def total_connections(self) -> int:
        """Connections accepted since start (reconnects count again)."""
        with self._cond:
            return self._total_connections

    def ack_for(self, envelope_id: str) -> dict[str, Any] | None:
        """The ack frame for ``envelope_id``, or None."""
        with self._cond:
            return next((copy.deepcopy(a) for a in self._acks if a.get("envelope_id") == envelope_id), None)

    # -- waiting --------------------------------------------------------------------------------------------
    def _wait(self, predicate: Callable[[], bool], what: str, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; {self._summary()}")

    async def _await(self, predicate: Callable[[], bool], what: str, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if predicate():
                    return
                summary = self._summary()
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; {summary}")
            await asyncio.sleep(0.01)

    def _summary(self) -> str:
        ids = [a.get("envelope_id") for a in self._acks]
        return f"connections={len(self._connections)}, sent={len(self._sent)}, acked={ids}"

    def _connected_check(self, count: int, total: int | None) -> tuple[Callable[[], bool], str]:
        def check() -> bool:
            return len(self._connections) >= count and (total is None or self._total_connections >= total)

        what = f"{count} open Socket Mode connection(s)" + (
            f" and {total} accepted in total" if total else ""
        )
        return check, what

    def wait_connected(self, timeout: float = 5.0, count: int = 1, total: int | None = None) -> None:
        """Block (bounded) until ``count`` clients are connected and greeted with hello.

        ``total`` also waits until that many connections were accepted since start (use it to
        wait for a reconnect, e.g. ``total=2`` after ``disconnect()``).
        """
        self._wait(*self._connected_check(count, total), timeout=timeout)

    async def await_connected(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - same signature as wait_connected on purpose
        count: int = 1,
        total: int | None = None,
    ) -> None:
        """Async variant of wait_connected that yields to the caller's event loop."""
        await self._await(*self._connected_check(count, total), timeout=timeout)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block (bounded) until the client acks ``envelope_id``; return the ack frame.

        Do not call this from the event loop that runs the client (it would block it); use await_ack.
        """
        self._wait(lambda: self._has_ack(envelope_id), f"ack of {envelope_id}", timeout)
        ack = self.ack_for(envelope_id)
        assert ack is not None
        return ack

    async def await_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Async variant of wait_for_ack."""
        await self._await(lambda: self._has_ack(envelope_id), f"ack of {envelope_id}", timeout)
        ack = self.ack_for(envelope_id)
        assert ack is not None
        return ack

    def _has_ack(self, envelope_id: str) -> bool:
        return any(a.get("envelope_id") == envelope_id for a in self._acks)

    # -- sending ----------------------------------------------------------------------------------------
    def send(
        self,
        type: EnvelopeType,
        payload: dict[str, Any],
        accepts_response_payload: bool | None = None,
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope to the newest connected client; return its envelope_id.

        ``accepts_response_payload`` defaults to what Slack sets for that type (see
        default_accepts_response_payload). Raises AssertionError when no client is connected.
        """
        envelope = build_envelope(
            type, payload, accepts_response_payload, envelope_id, retry_attempt, retry_reason
        )
        self._send_frame(envelope, timeout)
        with self._cond:
            self._sent.append(envelope)
        return str(envelope["envelope_id"])

    def disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Send a ``disconnect`` frame (the SDK client then reconnects via apps.connections.open)."""
        self._send_frame({**self._disconnect, "reason": reason}, timeout)

    def _send_frame(self, frame: dict[str, Any], timeout: float) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("FakeSlack is not running")
        if threading.current_thread() is self._loop_thread:
            raise RuntimeError("send() must not be called from FakeSlack's own server thread")
        with self._cond:
            if not self._connections:
                raise AssertionError("no Socket Mode client is connected (call wait_connected first)")
            ws = self._connections[-1]
        future = asyncio.run_coroutine_threadsafe(ws.send_str(json.dumps(frame)), loop)
        future.result(timeout)
