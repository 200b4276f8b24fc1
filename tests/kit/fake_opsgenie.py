"""FakeOpsgenie: a local HTTP server that answers like Opsgenie's Alert API, for the paging tests.

Shapes follow Opsgenie's documentation, https://docs.opsgenie.com/docs/alert-api, and its OpenAPI description as
generated into github.com/iksaif/opsgenie_swagger (docs/AlertApi.md: host api.opsgenie.com, the `GenieKey`
Authorization header; `acknowledge_alert`, `close_alert`, `create_alert`, `get_request_status`); `identifierType=
alias` on the per-alert calls is confirmed by Atlassian in https://jira.atlassian.com/browse/JSDCLOUD-14179:
- every request carries `Authorization: GenieKey <api key>`; a missing or unknown key is 401;
- `POST /v2/alerts` (create alert) with `{message (required, up to 130 characters), alias (up to 512),
  description (up to 15000), responders, visibleTo, actions, tags, details, entity, source, priority: P1..P5,
  user, note}`; an alert whose alias names an open alert is not created again: the open one's `count` goes up;
- `POST /v2/alerts/{identifier}/acknowledge?identifierType=alias` and `POST /v2/alerts/{identifier}/close?
  identifierType=alias` with `{user, source, note}` (identifierType defaults to `id`);
- every accepted request is 202 `{"result": "Request will be processed", "took": 0.302, "requestId": "…"}`:
  Opsgenie processes it asynchronously, and `GET /v2/alerts/requests/{requestId}` tells whether it succeeded
  (acknowledging an alias no alert has is accepted and then fails there);
- 422 `{"message": "Request body is not processable. Please check the errors.", "errors": {...}, "took",
  "requestId"}` on a body that breaks those rules (400 when it is not JSON);
- 429 when over the rate limit (a test queues one, with `Retry-After` if it asks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import ThreadedFake

API_KEY = "ogkey-5e8a1c2f-93b7-4d06-a1e4-7c9b2d3f6e10"
"""The test integration's API key (conftest's secret scan looks for it in every log line)."""
PRIORITIES = {"P1", "P2", "P3", "P4", "P5"}


@dataclass
class Alert:
    alias: str
    message: str
    priority: str
    status: str = "open"  # open | closed
    acknowledged: bool = False
    count: int = 1
    notes: list[str] = field(default_factory=list)


class FakeOpsgenie(ThreadedFake):
    name = "FakeOpsgenie"

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.alerts: list[Alert] = []
            self.statuses: dict[str, dict[str, Any]] = {}
            self.requests.clear()
            self.limited.clear()
            self.errors: list[int] = []
            self.api_key = API_KEY

    def fail_next(self, status: int) -> None:
        with self._lock:
            self.errors.append(status)

    def rate_limit_next(self, retry_after: int | None = None) -> None:
        self.limited.append({"Retry-After": str(retry_after)} if retry_after is not None else {})

    def alert(self, alias: str) -> Alert | None:
        """The open alert with this alias, else the latest closed one."""
        found = [a for a in self.alerts if a.alias == alias]
        return next((a for a in found if a.status == "open"), found[-1] if found else None)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/alerts", self._create)
        app.router.add_post("/v2/alerts/{identifier}/acknowledge", self._acknowledge)
        app.router.add_post("/v2/alerts/{identifier}/close", self._close)
        app.router.add_get("/v2/alerts/requests/{request_id}", self._status)

    def authorized(self, authorization: str | None) -> bool:
        return authorization == f"GenieKey {self.api_key}"

    def refusal(self) -> web.Response:
        return web.json_response({"message": "Could not authenticate", "took": 0.0,
                                  "requestId": str(uuid.uuid4())}, status=401)

    def too_many(self, headers: dict[str, str]) -> web.Response:
        return web.json_response({"message": "You are making too many requests! To avoid errors, we recommend "
                                  "you limit requests.", "took": 0.0, "requestId": str(uuid.uuid4())},
                                 status=429, headers=headers)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        with self._lock:
            error = self.errors.pop(0) if self.errors else None
        if error is not None:
            return None, web.json_response({"message": "Internal Server Error", "took": 0.0,
                                            "requestId": str(uuid.uuid4())}, status=error)
        try:
            body = await request.json() if request.body_exists else {}
        except ValueError:
            return None, web.json_response({"message": "Could not parse the request body", "took": 0.0,
                                            "requestId": str(uuid.uuid4())}, status=400)
        if not isinstance(body, dict):
            return None, _unprocessable({"body": "must be a JSON object"})
        return body, None

    def _accepted(self, success: bool, detail: str) -> web.Response:
        request_id = str(uuid.uuid4())
        self.statuses[request_id] = {"success": success, "status": detail}
        return web.json_response({"result": "Request will be processed", "took": 0.01, "requestId": request_id},
                                 status=202)

    async def _create(self, request: web.Request) -> web.Response:
        body, refused = await self._body(request)
        if refused is not None or body is None:
            return refused or _unprocessable({})
        errors: dict[str, str] = {}
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            errors["message"] = "Message can not be empty."
        elif len(message) > 130:
            errors["message"] = "Message can not be longer than 130 characters."
        alias = body.get("alias")
        if alias is not None and (not isinstance(alias, str) or len(alias) > 512):
            errors["alias"] = "Alias can not be longer than 512 characters."
        if len(str(body.get("description") or "")) > 15000:
            errors["description"] = "Description can not be longer than 15000 characters."
        if body.get("priority", "P3") not in PRIORITIES:
            errors["priority"] = "Priority should be one of [P1, P2, P3, P4, P5]."
        if errors:
            return _unprocessable(errors)
        with self._lock:
            alias = alias or str(uuid.uuid4())
            existing = next((a for a in self.alerts if a.alias == alias and a.status == "open"), None)
            if existing is not None:
                existing.count += 1
            else:
                self.alerts.append(Alert(alias, str(message), str(body.get("priority", "P3"))))
            return self._accepted(True, "Created alert")

    async def _acknowledge(self, request: web.Request) -> web.Response:
        return await self._act(request, "acknowledge")

    async def _close(self, request: web.Request) -> web.Response:
        return await self._act(request, "close")

    async def _act(self, request: web.Request, action: str) -> web.Response:
        body, refused = await self._body(request)
        if refused is not None or body is None:
            return refused or _unprocessable({})
        kind = request.query.get("identifierType", "id")
        if kind not in ("id", "tiny", "alias"):
            return _unprocessable({"identifierType": "should be one of [id, tiny, alias]"})
        identifier = request.match_info["identifier"]
        with self._lock:
            alert = next((a for a in self.alerts if a.status == "open" and kind == "alias" and a.alias == identifier),
                         None)
            if alert is None:
                return self._accepted(False, "Alert does not exist")
            if body.get("note"):
                alert.notes.append(str(body["note"]))
            if action == "acknowledge":
                alert.acknowledged = True
            else:
                alert.status = "closed"
            return self._accepted(True, "Acknowledged" if action == "acknowledge" else "Closed")

    async def _status(self, request: web.Request) -> web.Response:
        found = self.statuses.get(request.match_info["request_id"])
        if found is None:
            return web.json_response({"message": "Request not found", "took": 0.0}, status=404)
        return web.json_response({"data": found, "took": 0.0, "requestId": str(uuid.uuid4())})


def _unprocessable(errors: dict[str, str]) -> web.Response:
    return web.json_response({"message": "Request body is not processable. Please check the errors.",
                              "errors": errors, "took": 0.0, "requestId": str(uuid.uuid4())}, status=422)
