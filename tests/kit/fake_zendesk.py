"""FakeZendesk: a local HTTP server that answers like Zendesk's API, for the helpdesk sync's tests.

Shapes follow Zendesk's documentation:
- OAuth, client-credentials grant: `POST /oauth/tokens` with JSON `{grant_type, client_id, client_secret, scope}`,
  answered `{"access_token", "token_type": "bearer", "scope", "expires_in"}`; a wrong client is 401
  `{"error": "invalid_client"}`; API calls carry `Authorization: Bearer …` and a bad or expired token is 401
  (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/,
  https://developer.zendesk.com/documentation/api-basics/authentication/api-tokens-to-oauth/);
- the cursor-based incremental ticket export, `GET /api/v2/incremental/tickets/cursor.json?start_time=…` then
  `?cursor=…`, `include=metric_sets` side-loading `metric_sets`, answered `{"tickets", "metric_sets",
  "after_cursor", "after_url", "before_cursor", "end_of_stream"}`; up to 1,000 tickets a page; a ticket
  changed again comes again, later
  (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/,
  https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api);
- `GET /api/v2/groups.json`, `GET /api/v2/brands.json`: `{"groups": [{"id", "name"}], "next_page", "count"}`
  (https://developer.zendesk.com/api-reference/ticketing/groups/groups/);
- `GET /api/v2/incremental/ticket_metric_events.json?start_time=…`: `{"ticket_metric_events": [{"id",
  "ticket_id", "metric", "instance_id", "type", "time"}], "end_time", "end_of_stream", "count"}`
  (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events/);
- a metric set's `requester_updated_at`, when the requester last updated the ticket (the ticket's creation until
  `reply`; https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/);
- users side-loaded on the export (`include=users`): `"users": [{"id", "name", "email", "role"}]` for the
  tickets' assignees (https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading/);
- an internal note: `PUT /api/v2/tickets/{id}.json` with `{"ticket": {"comment": {"body", "public": false}}}`
  (a comment is created through the ticket update; `public: false` makes it private), answered 200 with
  `{"ticket", "audit"}`; an unknown ticket is 404 `{"error": "RecordNotFound"}`, a comment with no body 422
  `{"error": "RecordInvalid"}` (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/,
  https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket);
- over a rate limit, 429 with `Retry-After` in seconds
  (https://developer.zendesk.com/api-reference/introduction/rate-limits/); the incremental exports allow 10
  requests a minute (`EXPORT_LIMIT`; https://developer.zendesk.com/api-reference/ticketing/ticket-management/
  incremental_exports/, "Rate limits"). Tests queue 429s themselves (`rate_limit`); `export_limit` enforces a
  limit on the incremental endpoints instead (a sliding window; the benchmarks scale its window, so its
  `Retry-After` keeps a tenth of a second rather than Zendesk's whole seconds).

It runs aiohttp on 127.0.0.1 (a free port) in a thread of its own; `url` is the base URL to configure.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import itertools
import math
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import LocalServer

CLIENT_ID = "supportbot_sync"
CLIENT_SECRET = "zdsecret-6b1f0c9e4a7d"
"""The OAuth client's secret in the tests (conftest's secret scan looks for it in every log line)."""
EXPORT_LIMIT = (10, 60.0)
"""Zendesk's documented limit of the incremental exports: 10 requests a minute."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeZendesk(LocalServer):
    name = "FakeZendesk"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.reset()

    # ------------------------------------------------------------------ what a test sets
    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.tickets: dict[int, dict[str, Any]] = {}
            self.metrics: dict[int, dict[str, Any]] = {}
            self.order: dict[int, int] = {}  # ticket id -> its place in the change stream
            self.raw: list[tuple[int, dict[str, Any] | Any]] = []  # (place, record) of malformed records
            self.groups: dict[int, str] = {}
            self.brands: dict[int, str] = {}
            self.events: list[dict[str, Any]] = []
            self.requests: list[Request] = []
            self.valid_tokens: set[str] = set()
            self.tokens_issued = 0
            self.expires_in: int | None = 7200
            self.page_size = 1000
            self.limited: list[float] = []  # Retry-After of each of the next API answers to be 429
            self.token_delay = 0.0
            self.export_limit: tuple[int, float] | None = None
            """(requests, seconds) allowed on the incremental endpoints; None: no limit but `limited`."""
            self.exported: list[float] = []  # monotonic times of the incremental requests answered
            self.refused = 0  # incremental requests answered 429 by `export_limit`
            self.busy = 0.0  # seconds spent answering (the fake's own time, for the benchmarks to subtract)
            self._places = itertools.count(1)
            self.assignees: dict[int, tuple[int, str]] = {}  # ticket id -> (assignee's user id, email)
            self.notes: list[tuple[int, dict[str, Any]]] = []  # (ticket id, comment) of each note taken
            self._sorted: list[tuple[int, Any]] | None = None

    def add_group(self, group_id: int, name: str) -> None:
        self.groups[group_id] = name

    def add_brand(self, brand_id: int, name: str) -> None:
        self.brands[brand_id] = name

    def put(self, ticket_id: int, *, created: datetime, status: str = "open", group_id: int | None = None,
            brand_id: int | None = None, channel: str | None = "email", score: str | None = None,
            reply_minutes: int | None = None, solved: datetime | None = None, reopens: int = 0, replies: int = 1,
            metrics: bool = True, rating: bool = True) -> None:
        """Create or change a ticket: it joins the change stream's end (as Zendesk's `updated_at` moves)."""
        record: dict[str, Any] = {"id": ticket_id, "url": f"{self.url}/api/v2/tickets/{ticket_id}.json",
                                  "created_at": stamp(created), "updated_at": stamp(created), "status": status,
                                  "group_id": group_id, "brand_id": brand_id, "subject": f"Ticket {ticket_id}",
                                  "assignee_id": self.assignees.get(ticket_id, (None, ""))[0]}
        if channel is not None:
            record["via"] = {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
        if rating:
            record["satisfaction_rating"] = {"score": score or "unoffered"}
        with self._lock:
            self.tickets[ticket_id] = record
            self.order[ticket_id] = next(self._places)
            self._sorted = None
            if metrics:
                self.metrics[ticket_id] = {
                    "id": ticket_id + 100_000, "ticket_id": ticket_id, "reopens": reopens, "replies": replies,
                    "reply_time_in_minutes": {"calendar": reply_minutes, "business": reply_minutes},
                    "full_resolution_time_in_minutes": {"calendar": None, "business": None},
                    "solved_at": stamp(solved) if solved else None, "created_at": stamp(created),
                    "updated_at": stamp(created), "requester_updated_at": stamp(created)}
            else:
                self.metrics.pop(ticket_id, None)

    def reply(self, ticket_id: int, at: datetime) -> None:
        """The requester replied at `at`: the ticket's metric set's `requester_updated_at` ("When the requester
        last updated the ticket", https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/)
        moves to it, and the ticket joins the change stream's end (its `updated_at` moves)."""
        with self._lock:
            self.tickets[ticket_id]["updated_at"] = stamp(at)
            self.metrics[ticket_id]["requester_updated_at"] = stamp(at)
            self.order[ticket_id] = next(self._places)
            self._sorted = None

    def assign(self, ticket_id: int, user_id: int, email: str) -> None:
        """The ticket's assignee (side-loaded by the export), before `put`."""
        self.assignees[ticket_id] = (user_id, email)

    def put_raw(self, record: Any) -> None:
        """A record as it is (a malformed one): it joins the change stream's end."""
        with self._lock:
            self.raw.append((next(self._places), record))
            self._sorted = None

    def breach(self, ticket_id: int, at: datetime, metric: str = "reply_time") -> None:
        with self._lock:
            self.events.append({"id": len(self.events) + 1, "ticket_id": ticket_id, "metric": metric,
                                "instance_id": 1, "type": "breach", "time": stamp(at)})

    def rate_limit(self, times: int = 1, retry_after: float = 7) -> None:
        with self._lock:
            self.limited.extend([retry_after] * times)

    def expire_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def calls(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # ------------------------------------------------------------------ the server
    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/oauth/tokens", self._token)
        app.router.add_get("/api/v2/incremental/tickets/cursor.json", self._export)
        app.router.add_get("/api/v2/groups.json", self._groups)
        app.router.add_get("/api/v2/brands.json", self._brands)
        app.router.add_get("/api/v2/incremental/ticket_metric_events.json", self._events)
        app.router.add_put("/api/v2/tickets/{ticket}.json", self._comment)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record the call; then rate limits, then the Bearer token (the OAuth endpoint checks its client)."""
        auth = request.headers.get("Authorization")
        with self._lock:
            self.requests.append(Request(request.method, request.path, dict(request.query), auth))
            limited = self.limited.pop(0) if self.limited and request.path != "/oauth/tokens" else None
            valid = auth is not None and auth.removeprefix("Bearer ") in self.valid_tokens
        if limited is None and request.path.startswith("/api/v2/incremental/"):
            limited = self._over_limit()
        if limited is not None:
            return web.json_response({"error": "APIRateLimitExceeded"}, status=429,
                                     headers={"Retry-After": f"{limited:g}"})
        if request.path != "/oauth/tokens" and not valid:
            return web.json_response({"error": "invalid_token",
                                      "error_description": "The access token provided is expired, revoked, "
                                      "malformed or invalid for other reasons."}, status=401)
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            with self._lock:
                self.busy += time.perf_counter() - started

    def _over_limit(self) -> float | None:
        """Seconds until `export_limit` allows another incremental request (None: allowed now, and counted)."""
        if self.export_limit is None:
            return None
        allowed, window = self.export_limit
        now = time.monotonic()
        with self._lock:
            recent = [at for at in self.exported[-allowed:] if at > now - window]
            if len(recent) >= allowed:
                self.refused += 1
                return math.ceil((recent[0] + window - now) * 10) / 10
            self.exported.append(now)
        return None

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("grant_type") != "client_credentials" or body.get("client_id") != CLIENT_ID or \
                body.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"error": "invalid_client", "error_description": "Client authentication "
                                      "failed due to unknown client, no client authentication included, or "
                                      "unsupported authentication method."}, status=401)
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        token = "zdtoken-" + secrets.token_hex(12)
        with self._lock:
            self.valid_tokens.add(token)
            self.tokens_issued += 1
        answer: dict[str, Any] = {"access_token": token, "token_type": "bearer", "scope": body.get("scope", "read")}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        return web.json_response(answer)

    def _stream(self) -> list[tuple[int, Any]]:
        """Every record by its place in the change stream (kept until the next change: the benchmarks page
        through 100,000 tickets)."""
        if self._sorted is None:
            changed = [(place, self.tickets[ticket]) for ticket, place in self.order.items()]
            self._sorted = sorted([*changed, *self.raw], key=lambda item: item[0])
        return self._sorted

    async def _export(self, request: web.Request) -> web.Response:
        query = request.query
        with self._lock:
            if "cursor" in query:
                after = int(base64.urlsafe_b64decode(query["cursor"]).decode())
                stream = self._stream()
                found = stream[bisect.bisect_right(stream, after, key=lambda item: item[0]):]
            else:
                start = datetime.fromtimestamp(int(query["start_time"]), UTC)
                found = [(place, r) for place, r in self._stream()
                         if not isinstance(r, dict) or "updated_at" not in r
                         or datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")) >= start]
                after = 0
            page = found[:self.page_size]
            last = page[-1][0] if page else max([after, *self.order.values(), *(p for p, _ in self.raw)])
            records = [record for _place, record in page]
            metric_sets = [self.metrics[r["id"]] for r in records
                           if isinstance(r, dict) and r.get("id") in self.metrics and "include" in query]
            users = [{"id": user, "name": email.split("@")[0], "email": email, "role": "agent"}
                     for user, email in {self.assignees[r["id"]] for r in records
                                         if isinstance(r, dict) and r.get("id") in self.assignees}]
            if "users" not in query.get("include", "").split(","):
                users = []
        cursor = base64.urlsafe_b64encode(str(last).encode()).decode()
        return web.json_response({
            "tickets": records, "metric_sets": metric_sets, "users": users, "after_cursor": cursor,
            "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
            "before_cursor": None, "before_url": None, "end_of_stream": len(found) <= self.page_size})

    async def _comment(self, request: web.Request) -> web.Response:
        try:
            ticket_id, body = int(request.match_info["ticket"]), await request.json()
        except ValueError:
            return web.json_response({"error": "InvalidEndpoint"}, status=400)
        comment = body.get("ticket", {}).get("comment") if isinstance(body, dict) and \
            isinstance(body.get("ticket"), dict) else None
        with self._lock:
            known = ticket_id in self.tickets
        if not known:
            return web.json_response({"error": "RecordNotFound", "description": "Not found"}, status=404)
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str) or not comment["body"].strip() \
                or not isinstance(comment.get("public", True), bool):
            return web.json_response({"error": "RecordInvalid", "description": "Record validation errors",
                                      "details": {"base": [{"description": "Comment: cannot be blank"}]}},
                                     status=422)
        with self._lock:
            self.notes.append((ticket_id, comment))
        return web.json_response({"ticket": self.tickets[ticket_id], "audit": {"events": [
            {"type": "Comment", "body": comment["body"], "public": comment.get("public", True)}]}})

    async def _groups(self, request: web.Request) -> web.Response:
        items = [{"id": key, "name": name, "deleted": False} for key, name in sorted(self.groups.items())]
        return web.json_response({"groups": items, "next_page": None, "previous_page": None, "count": len(items)})

    async def _brands(self, request: web.Request) -> web.Response:
        items = [{"id": key, "name": name, "active": True} for key, name in sorted(self.brands.items())]
        return web.json_response({"brands": items, "next_page": None, "previous_page": None, "count": len(items)})

    async def _events(self, request: web.Request) -> web.Response:
        start = int(request.query["start_time"])
        with self._lock:
            found = [event for event in self.events
                     if datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp() >= start]
        end = max([start, *(int(datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()) + 1
                            for e in found)])
        return web.json_response({"ticket_metric_events": found, "end_time": end, "end_of_stream": True,
                                  "count": len(found), "next_page": None})


@contextmanager
def running() -> Iterator[FakeZendesk]:
    with FakeZendesk() as server:
        yield server


def hours_ago(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
