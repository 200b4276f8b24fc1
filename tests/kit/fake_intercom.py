"""FakeIntercom: a local HTTP server that answers like Intercom's REST API, for the helpdesk sync's tests.

Shapes follow Intercom's documentation (https://developers.intercom.com/docs/references/rest-api/):
- authentication: `Authorization: Bearer <access token>`; a bad token is 401 `{"type": "error.list",
  "request_id", "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]}`
  (https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/);
- `POST /conversations/search` with `{"query": {"field": "updated_at", "operator": ">", "value": …},
  "pagination": {"per_page": …, "starting_after": …}}`: `{"type": "conversation.list", "conversations",
  "total_count", "pages": {"type": "pages", "page", "per_page", "total_pages", "next": {"page",
  "starting_after"}}}`, `next` only while there is a next page; `per_page` at most 150
  (api.intercom.io/Conversations/searchConversations, rest-api/common-structures/pagination-search);
- a conversation (api.intercom.io/models/conversation): `type`, `id` (a string), `created_at`, `updated_at`
  (Unix seconds), `state` (open, closed, snoozed), `source` (`type`: conversation, email, …), `admin_assignee_id`,
  `team_assignee_id`, `statistics` (models/conversation_statistics: `first_admin_reply_at`, `last_close_at`,
  `count_reopens`, `count_conversation_parts`, `last_contact_reply_at` (when the contact last replied: `reply`),
  …), `conversation_rating` (models/conversation_rating: `rating` 1–5, `remark`, `created_at`, …), `sla_applied`
  (models/sla_applied: `sla_name`, `sla_status`);
- `GET /teams`: `{"type": "team.list", "teams": [{"type": "team", "id", "name", "admin_ids"}]}`
  (api.intercom.io/Teams/listTeams);
- `GET /admins`: `{"type": "admin.list", "admins": [{"type": "admin", "id", "name", "email", …}]}`, the admins a
  conversation's `admin_assignee_id` names (api.intercom.io/Admins/listAdmins);
- `GET /me`: the access token's admin, `{"type": "admin", "id", "name", "email", "app"}`
  (api.intercom.io/Admins/identifyAdmin);
- a note: `POST /conversations/{id}/reply` with `{"message_type": "note", "type": "admin", "admin_id", "body"}`
  (HTML), answered 200 with the conversation; an unknown admin or a missing body is 400 `parameter_invalid` /
  `parameter_not_found`, an unknown conversation 404 `not_found`
  (api.intercom.io/Conversations/replyConversation);
- over the rate limit: 429 with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (a Unix
  time) and the error code `rate_limit_exceeded` (https://developers.intercom.com/docs/references/rest-api/
  errors/rate-limiting).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import ThreadedFake

ACCESS_TOKEN = "ictoken-7d3a90e1b64f"
"""The app's access token in the tests (conftest's secret scan looks for it in every log line)."""
ADMIN_ID = "991267"
"""The access token's admin (`GET /me`)."""
EPOCH = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


class FakeIntercom(ThreadedFake):
    name = "FakeIntercom"

    def __init__(self) -> None:
        super().__init__()
        self.clock: Callable[[], float] = time.time
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.conversations: dict[str, Any] = {}
            self.teams: dict[str, str] = {}
            self.notes: list[tuple[str, dict[str, Any]]] = []
            self.admins: dict[str, str] = {}  # admin id -> email
            self.requests.clear()
            self.limited.clear()
            self.token = ACCESS_TOKEN
            self._tick = EPOCH

    def tick(self) -> int:
        self._tick += 1
        return self._tick

    def add_team(self, team_id: str, name: str) -> None:
        self.teams[team_id] = name

    def put(self, conversation_id: int | str, *, created: datetime, state: str = "open", team: str | None = None,
            source: str | None = "conversation", first_reply: datetime | None = None,
            closed: datetime | None = None, reopens: int = 0, rating: int | None = None, sla: str | None = None,
            statistics: bool = True, rated: bool = True, updated: int | None = None,
            assignee: str | None = None) -> None:
        """Create or change a conversation: its `updated_at` moves on (to `updated`, else the next tick)."""
        record: dict[str, Any] = {
            "type": "conversation", "id": str(conversation_id), "title": None,
            "created_at": int(created.timestamp()), "updated_at": updated or self.tick(),
            "waiting_since": None, "snoozed_until": None, "open": state != "closed", "state": state, "read": True,
            "priority": "not_priority", "admin_assignee_id": None if assignee is None else int(assignee),
            "team_assignee_id": None if team is None else int(team)}
        if source is not None:
            record["source"] = {"type": source, "id": "403918330", "delivered_as": "customer_initiated",
                                "subject": "", "body": "<p>Hi</p>", "author": {"type": "user", "id": "1"}}
        if statistics:
            record["statistics"] = {
                "type": "conversation_statistics", "time_to_assignment": 0, "time_to_admin_reply": None,
                "first_contact_reply_at": int(created.timestamp()), "last_contact_reply_at": int(created.timestamp()),
                "first_admin_reply_at": int(first_reply.timestamp()) if first_reply else None,
                "last_close_at": int(closed.timestamp()) if closed else None, "count_reopens": reopens,
                "count_assignments": 1, "count_conversation_parts": 4}
        if rated:
            record["conversation_rating"] = None if rating is None else {
                "rating": rating, "remark": "", "created_at": int(created.timestamp()),
                "contact": {"type": "contact", "id": "1"}, "teammate": {"type": "admin", "id": "2"}}
        if sla is not None:
            record["sla_applied"] = {"type": "sla_applied", "sla_name": "First reply", "sla_status": sla}
        with self._lock:
            self.conversations[str(conversation_id)] = record

    def reply(self, conversation_id: int | str, at: datetime) -> None:
        """The contact replied at `at`: `statistics.last_contact_reply_at` moves to it (Unix seconds;
        https://developers.intercom.com/docs/references/rest-api/api.intercom.io/models/conversation_statistics),
        and the conversation's `updated_at` moves on."""
        with self._lock:
            record = self.conversations[str(conversation_id)]
            record["updated_at"] = self.tick()
            record["statistics"]["last_contact_reply_at"] = int(at.timestamp())

    def put_raw(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.conversations[str(record.get("id"))] = record

    def rate_limit(self, times: int = 1, reset_in: int = 7) -> None:
        with self._lock:
            self.limited.extend([{"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset": str(int(self.clock()) + reset_in)}] * times)

    # ------------------------------------------------------------------ the server
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/conversations/search", self._search)
        app.router.add_get("/teams", self._teams)
        app.router.add_get("/me", self._me)
        app.router.add_get("/admins", self._admins)
        app.router.add_post("/conversations/{conversation}/reply", self._reply)

    def authorized(self, authorization: str | None) -> bool:
        return authorization == f"Bearer {self.token}"

    def refusal(self) -> web.Response:
        return web.json_response({"type": "error.list", "request_id": "b3f0", "errors": [
            {"code": "unauthorized", "message": "Access Token Invalid"}]}, status=401)

    def too_many(self, headers: dict[str, str]) -> web.Response:
        return web.json_response({"type": "error.list", "request_id": "c1a9", "errors": [
            {"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}]}, status=429,
            headers=headers)

    async def _search(self, request: web.Request) -> web.Response:
        body = await request.json()
        query, pagination = body.get("query", {}), body.get("pagination") or {}
        per_page = pagination.get("per_page", 50)
        if query.get("field") != "updated_at" or query.get("operator") != ">" or \
                not isinstance(query.get("value"), int) or not 1 <= per_page <= 150:
            return web.json_response({"type": "error.list", "errors": [
                {"code": "parameter_invalid", "message": "Invalid query"}]}, status=400)
        with self._lock:
            found = sorted(((r.get("updated_at"), str(r.get("id"))), r) for r in self.conversations.values()
                           if isinstance(r.get("updated_at"), int) and r["updated_at"] > query["value"])
        if "starting_after" in pagination:
            pointer = json.loads(base64.urlsafe_b64decode(pagination["starting_after"]))
            found = [item for item in found if item[0] > (pointer[0], pointer[1])]
            page = int(pointer[2]) + 1
        else:
            page = 1
        chosen = found[:per_page]
        pages: dict[str, Any] = {"type": "pages", "page": page, "per_page": per_page,
                                 "total_pages": page + max(0, -(-(len(found) - per_page) // per_page))}
        if len(found) > per_page:
            last = chosen[-1][0]
            pointer = base64.urlsafe_b64encode(json.dumps([last[0], last[1], page]).encode()).decode()
            pages["next"] = {"page": page + 1, "starting_after": pointer}
        return web.json_response({"type": "conversation.list", "conversations": [r for _key, r in chosen],
                                  "total_count": len(found), "pages": pages})

    async def _teams(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "team.list", "teams": [
            {"type": "team", "id": key, "name": name, "admin_ids": [1]} for key, name in sorted(self.teams.items())]})

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "admin", "id": ADMIN_ID, "name": "supportbot", "email": "bot@example.com",
                                  "app": {"type": "app", "id_code": "abc123"}})

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation = request.match_info["conversation"]
        with self._lock:
            found = self.conversations.get(conversation)
        if found is None:
            return web.json_response({"type": "error.list", "errors": [
                {"code": "not_found", "message": "Resource Not Found"}]}, status=404)
        if not isinstance(body, dict) or body.get("type") != "admin" or body.get("message_type") not in (
                "comment", "note") or not isinstance(body.get("body"), str) or not body["body"].strip():
            return web.json_response({"type": "error.list", "errors": [
                {"code": "parameter_not_found", "message": "Body is required"}]}, status=400)
        if body.get("admin_id") != ADMIN_ID:
            return web.json_response({"type": "error.list", "errors": [
                {"code": "parameter_invalid", "message": "Admin not found"}]}, status=400)
        with self._lock:
            self.notes.append((conversation, body))
        return web.json_response(found)

    def add_admin(self, admin_id: str, email: str) -> None:
        with self._lock:
            self.admins[admin_id] = email

    async def _admins(self, request: web.Request) -> web.Response:
        with self._lock:
            items = [{"type": "admin", "id": key, "name": email.split("@")[0], "email": email,
                      "away_mode_enabled": False} for key, email in sorted(self.admins.items())]
        return web.json_response({"type": "admin.list", "admins": items})
