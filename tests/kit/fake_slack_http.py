"""FakeSlack's HTTP plumbing: read a Web API request, apply injected faults and auth, record the call.

:class:`_WebApiServer` is a mixin of :class:`tests.kit.fake_slack.FakeSlack`: its aiohttp handlers
(``/api/{method}``, upload URLs and response URLs) turn requests into :class:`Call` records and hand
Web API methods to the per-method handlers of :mod:`tests.kit.fake_slack_methods`.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .block_limits import problems
from .fake_slack_state import (
    _FAULT_ERRORS,
    RESPONSE_URL_METHOD,
    UPLOAD_METHOD,
    Call,
    SlackError,
    _bearer,
    _decode_json_fields,
    _error,
    _Shared,
)


class _WebApiServer(_Shared):
    """aiohttp handlers of FakeSlack (every method runs on FakeSlack's own event loop)."""

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

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, token, parse_error = await self._read_args(request)
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        with self._cond:
            if peer is not None:
                self._state.peers.add(tuple(peer))
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
        fault = self._take_fault(method) or self._outage_answer(method)
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

    def _outage_answer(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        outage = self._state.outage
        if outage is None or (outage.methods is not None and method not in outage.methods):
            return None
        if outage.until is not None and self.clock() >= outage.until:
            return None
        headers = {"Retry-After": str(outage.retry_after)} if outage.status == 429 else {}
        return outage.status, _error(_FAULT_ERRORS.get(outage.status, "fatal_error")), headers

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
