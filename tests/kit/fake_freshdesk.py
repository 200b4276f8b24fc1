"""FakeFreshdesk: a local HTTP server that answers like Freshdesk's API v2, for the helpdesk sync's tests.

Shapes follow Freshdesk's documentation, https://developers.freshdesk.com/api/:
- authentication (#authentication): HTTP basic auth, the API key as the user name and `X` as the password;
  a wrong key is 401 `{"code": "invalid_credentials", "message": "You have to be logged in to perform this
  action."}`;
- `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&include=stats&per_page=…&page=…`
  (#list_all_tickets, #filter_tickets for `updated_since`): a JSON list of tickets with `id`, `created_at`,
  `updated_at`, `status`, `source`, `group_id`, `fr_escalated`, `is_escalated`, and `stats`
  (`first_responded_at`, `resolved_at`, `closed_at`, `reopened_at`, `requester_responded_at` (when the
  requester last responded: `reply`), …) when `include=stats` (#view_a_ticket);
- pagination (#pagination): `per_page` up to 100, `page` from 1; a `Link: <…>; rel="next"` header while there
  is a next page; the ticket list stops at page 300 (`page_cap`, a smaller one in tests: a page past it is
  400, and the last one allowed links none, as we could not confirm Freshdesk links one there);
- `GET /api/v2/groups` (#list_all_groups): a list of `{"id", "name", "description", …}`;
- `GET /api/v2/surveys/satisfaction_ratings?created_since=…` (#view_all_satisfaction_ratings): a list of
  `{"id", "survey_id", "user_id", "agent_id", "feedback", "group_id", "ticket_id", "ratings":
  {"default_question": 103}, "created_at", "updated_at"}`;
- `GET /api/v2/agents` (#list_all_agents): a list of `{"id", "available", "occasional", "contact": {"name",
  "email", …}, …}`, the agents a ticket's `responder_id` names;
- `POST /api/v2/tickets/{id}/notes` (#add_note_to_a_ticket) with `{"body": HTML, "private": true}`: 201 with the
  note `{"id", "ticket_id", "body", "body_text", "private", "incoming", …}`; a missing or empty `body`, or a
  `private` that is not a boolean, is 400 `{"description": "Validation failed", "errors": [{"field", "message",
  "code": "missing_field" | "datatype_mismatch"}]}`, an unknown ticket 404; `refuse_notes` makes the next notes
  400 as a test asks;
- over the per-minute limit (#ratelimit): 429 with `Retry-After` in seconds, and the `X-RateLimit-Total`,
  `X-RateLimit-Remaining` headers.
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import ThreadedFake

API_KEY = "fdkey-2c8e51a9d07b"
"""The agent's API key in the tests (conftest's secret scan looks for it in every log line)."""
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeFreshdesk(ThreadedFake):
    name = "FakeFreshdesk"

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.tickets: dict[int, dict[str, Any]] = {}
            self.raw: list[tuple[datetime, Any]] = []
            self.groups: dict[int, str] = {}
            self.ratings: list[dict[str, Any]] = []
            self.notes: list[dict[str, Any]] = []
            self.agents: dict[int, str] = {}  # agent id -> email
            self.refusing = 0
            self.requests.clear()
            self.limited.clear()
            self.page_cap = 300
            self.api_key = API_KEY
            self._ticks = itertools.count(1)

    def tick(self) -> datetime:
        """The next change's `updated_at`: one second after the last."""
        return EPOCH + timedelta(seconds=next(self._ticks))

    def add_group(self, group_id: int, name: str) -> None:
        self.groups[group_id] = name

    def put(self, ticket_id: int, *, created: datetime, status: int = 2, group_id: int | None = None,
            source: int | None = 1, first_response: datetime | None = None, resolved: datetime | None = None,
            reopened: datetime | None = None, escalated: bool | None = False, stats: bool = True,
            updated: datetime | None = None, responder: int | None = None) -> None:
        """Create or change a ticket: its `updated_at` moves on (to `updated`, else the next tick); `responder`
        is its assignee (an agent's id, `add_agent`)."""
        record: dict[str, Any] = {
            "id": ticket_id, "subject": f"Ticket {ticket_id}", "created_at": stamp(created),
            "updated_at": stamp(updated or self.tick()), "status": status, "priority": 1, "group_id": group_id,
            "responder_id": responder, "type": None, "due_by": stamp(created + timedelta(days=3)),
            "fr_due_by": stamp(created + timedelta(hours=1))}
        if source is not None:
            record["source"] = source
        if escalated is not None:
            record.update(fr_escalated=escalated, is_escalated=False)
        if stats:
            record["stats"] = {"agent_responded_at": stamp(first_response) if first_response else None,
                               "requester_responded_at": None,
                               "first_responded_at": stamp(first_response) if first_response else None,
                               "status_updated_at": record["updated_at"], "reopened_at":
                               stamp(reopened) if reopened else None, "resolved_at":
                               stamp(resolved) if resolved else None, "closed_at":
                               stamp(resolved) if resolved and status == 5 else None, "pending_since": None}
        with self._lock:
            self.tickets[ticket_id] = record

    def reply(self, ticket_id: int, at: datetime) -> None:
        """The requester replied at `at`: `stats.requester_responded_at` moves to it (listed with `include=stats`,
        https://developers.freshdesk.com/api/#view_a_ticket; the SDK's `Stats`,
        https://developers.freshworks.com/freshdesk-sdk/docs/Stats.html), and the ticket's `updated_at` moves on."""
        with self._lock:
            record = self.tickets[ticket_id]
            record["updated_at"] = stamp(self.tick())
            record["stats"]["requester_responded_at"] = stamp(at)

    def put_raw(self, record: Any, updated: datetime | None = None) -> None:
        """A record as it is (a malformed one), listed as changed at `updated` (else the next tick)."""
        with self._lock:
            self.raw.append((updated or self.tick(), record))

    def rate(self, ticket_id: int, value: int, at: datetime) -> None:
        with self._lock:
            self.ratings.append({"id": len(self.ratings) + 1, "survey_id": 1, "user_id": 7, "agent_id": 3,
                                 "feedback": "", "group_id": None, "ticket_id": ticket_id,
                                 "ratings": {"default_question": value}, "created_at": stamp(at),
                                 "updated_at": stamp(at)})

    def rate_limit(self, times: int = 1, retry_after: float = 7) -> None:
        with self._lock:
            self.limited.extend([{"Retry-After": f"{retry_after:g}", "X-RateLimit-Total": "100",
                                  "X-RateLimit-Remaining": "0"}] * times)

    # ------------------------------------------------------------------ the server
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v2/tickets", self._tickets)
        app.router.add_get("/api/v2/groups", self._groups)
        app.router.add_get("/api/v2/surveys/satisfaction_ratings", self._ratings)
        app.router.add_post("/api/v2/tickets/{ticket}/notes", self._note)
        app.router.add_get("/api/v2/agents", self._agents)

    def authorized(self, authorization: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:X".encode()).decode()
        return authorization == expected

    def refusal(self) -> web.Response:
        return web.json_response({"code": "invalid_credentials",
                                  "message": "You have to be logged in to perform this action."}, status=401)

    def too_many(self, headers: dict[str, str]) -> web.Response:
        return web.json_response({"message": "You have exceeded the limit of requests per minute"}, status=429,
                                 headers=headers)

    def _page(self, request: web.Request, items: list[Any], cap: int | None = None) -> web.Response:
        try:
            per_page, page = int(request.query.get("per_page", "30")), int(request.query.get("page", "1"))
        except ValueError:
            return web.json_response({"description": "Validation failed"}, status=400)
        if not 1 <= per_page <= 100 or page < 1 or (cap is not None and page > cap):
            return web.json_response({"description": "Validation failed", "errors": [
                {"field": "page" if page < 1 or (cap and page > cap) else "per_page",
                 "message": "It should be a Positive Integer", "code": "invalid_value"}]}, status=400)
        chosen = items[(page - 1) * per_page:page * per_page]
        headers = {"X-RateLimit-Total": "100", "X-RateLimit-Remaining": "99"}
        if len(items) > page * per_page and (cap is None or page < cap):
            query = {**request.query, "page": str(page + 1)}
            link = str(request.url.with_query(query))
            headers["Link"] = f'<{link}>; rel="next"'
        return web.json_response(chosen, headers=headers)

    async def _tickets(self, request: web.Request) -> web.Response:
        query = request.query
        since = _time(query["updated_since"]) if "updated_since" in query else EPOCH
        with self._lock:
            listed = [(_time(r["updated_at"]), r["id"], r) for r in self.tickets.values()]
            listed += [(at, -index, r) for index, (at, r) in enumerate(self.raw)]
            chosen = sorted((item for item in listed if item[0] >= since), key=lambda item: (item[0], item[1]))
            records = []
            for _at, _id, record in chosen:
                if isinstance(record, dict) and "stats" in record and query.get("include") != "stats":
                    record = {k: v for k, v in record.items() if k != "stats"}
                records.append(record)
        return self._page(request, records, self.page_cap)

    async def _groups(self, request: web.Request) -> web.Response:
        items = [{"id": key, "name": name, "description": None, "escalate_to": None}
                 for key, name in sorted(self.groups.items())]
        return self._page(request, items)

    async def _ratings(self, request: web.Request) -> web.Response:
        since = _time(request.query["created_since"]) if "created_since" in request.query else EPOCH
        with self._lock:
            items = [r for r in self.ratings if _time(r["created_at"]) >= since]
        return self._page(request, items)

    def refuse_notes(self, times: int = 1) -> None:
        """The next `times` notes are answered 400 (a validation error), as a test asks."""
        with self._lock:
            self.refusing += times

    async def _note(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()  # read (and kept) by the gate already
        except ValueError:
            body = None
        with self._lock:
            ticket = self.tickets.get(int(request.match_info["ticket"])) \
                if request.match_info["ticket"].isdigit() else None
            refused, self.refusing = self.refusing > 0, max(0, self.refusing - 1)
        if ticket is None:
            return web.json_response({"code": "access_denied", "message": "Not found"}, status=404)
        problems = []
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"].strip():
            problems.append({"field": "body", "message": "It should be a/an String", "code": "missing_field"})
        elif not isinstance(body.get("private", True), bool):
            problems.append({"field": "private", "message": "It should be a/an Boolean",
                             "code": "datatype_mismatch"})
        elif refused:
            problems.append({"field": "body", "message": "refused as the test asked", "code": "invalid_value"})
        if problems:
            return web.json_response({"description": "Validation failed", "errors": problems}, status=400)
        assert isinstance(body, dict)
        with self._lock:
            note = {"id": len(self.notes) + 1, "ticket_id": ticket["id"], "body": body["body"],
                    "body_text": body["body"], "private": body.get("private", True), "incoming": False}
            self.notes.append(note)
        return web.json_response(note, status=201)

    def add_agent(self, agent_id: int, email: str) -> None:
        with self._lock:
            self.agents[agent_id] = email

    async def _agents(self, request: web.Request) -> web.Response:
        with self._lock:
            items = [{"id": key, "available": True, "occasional": False, "ticket_scope": 1,
                      "contact": {"name": email.split("@")[0], "email": email, "active": True}}
                     for key, email in sorted(self.agents.items())]
        return self._page(request, items)
