"""The plumbing the helpdesk fakes share (tests/kit/fake_freshdesk.py, fake_intercom.py): aiohttp on 127.0.0.1
(a free port) in a thread of its own, every request recorded, and 429s queued by a test."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any = None


class LocalServer:
    """An aiohttp server on 127.0.0.1 (a free port) in a thread of its own, for a `with` block: a subclass
    names itself (`name`) and serves its app on the socket it is given (`_serve`). Every helpdesk fake is one."""

    name = "fake helpdesk"

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._serve(sock))
            ready.set()
            loop.run_forever()

        self._loop, self._thread = loop, threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class ThreadedFake(LocalServer):
    """A subclass adds its routes (`routes`) and answers; `url` is the base URL to configure."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.limited: list[dict[str, str]] = []  # headers of each of the next API answers to be 429

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def authorized(self, authorization: str | None) -> bool:
        raise NotImplementedError

    def refusal(self) -> web.Response:
        raise NotImplementedError

    def too_many(self, headers: dict[str, str]) -> web.Response:
        return web.json_response({"message": "rate limited"}, status=429, headers=headers)

    def calls(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(middlewares=[self._gate])
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record the call; then the credentials, then the rate limit."""
        auth = request.headers.get("Authorization")
        body = await request.json() if request.method == "POST" and request.can_read_body else None
        with self._lock:
            self.requests.append(Request(request.method, request.path, dict(request.query), auth, body))
        if not self.authorized(auth):
            return self.refusal()
        with self._lock:
            limited = self.limited.pop(0) if self.limited else None
        if limited is not None:
            return self.too_many(limited)
        return await handler(request)
