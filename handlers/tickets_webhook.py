"""`POST /webhooks/tickets` (HTTP mode, and the health port in Socket Mode): helpdesk tickets as JSON, one
or a list, in the generic fields.

The caller is checked before the body is read (`Authorization: Bearer <SUPPORTBOT_WEBHOOK_TOKEN>`,
compared in constant time): 401 otherwise. A body over `envelope.MAX_BODY` is 413. Every ticket is parsed
before anything is stored: one bad ticket refuses the whole body (422, each field error with the ticket's
index), and nothing is written. Otherwise the tickets are upserted by (team, id): a new ticket gets every
field (absent ones empty); a stored one changes only the fields its body names (an explicit null clears
one) and keeps its created time. Fields the webhook does not know (`priority`…) are ignored and named in
the answer: 200 with how many were imported, updated and unchanged. Without a token configured the endpoint
does not exist (404)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.rules.ticket_rows import FIELDS, TicketRow, field_errors, parse
from handlers import envelope
from storage import tickets
from storage.db import SessionFactory

log = logging.getLogger(__name__)

SOURCE = "webhook"
OFF = {"error": "the tickets webhook is off: set SUPPORTBOT_WEBHOOK_TOKEN to turn it on"}
UNAUTHORIZED = {"error": "missing or wrong bearer token (Authorization: Bearer <SUPPORTBOT_WEBHOOK_TOKEN>)"}
TOO_LARGE = {"error": "request too large"}
KNOWN = frozenset(FIELDS)
KEPT = frozenset({"created_at"})
"""What a stored ticket keeps whatever the body says: when it was created does not change."""

Sent = tuple[TicketRow, tuple[str, ...]]
"""A ticket, and the columns (of `tickets.COMPARED`) its body names: what a stored ticket has changed."""
Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint(db: SessionFactory, token: str | None, clock: Callable[[], datetime]) -> Endpoint:
    """The Starlette endpoint, given where tickets are stored, the expected token and the clock."""
    expected = token.encode() if token else None

    async def receive_tickets(request: Request) -> Response:
        if expected is None:
            return JSONResponse(OFF, status_code=404)
        if not _authorized(request.headers.get("authorization"), expected):
            return JSONResponse(UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        raw = await envelope.read_capped(request)
        if raw is None:
            return JSONResponse(TOO_LARGE, status_code=413)
        # A full 1 MiB body (4,000 tickets) takes ~50 ms to validate: off the event loop, so Slack's requests
        # are not kept waiting behind it
        items, errors, ignored = await asyncio.to_thread(_parse_body, raw)
        if errors:
            return _refused(errors)
        async with db() as session:
            teams = await tickets.team_ids(session)
            errors = _team_errors([ticket for ticket, _columns in items], teams)
            if errors:
                return _refused(errors)
            count = tickets.UpsertCount()
            for columns, run in _runs(items):
                count.add(await tickets.upsert(session, run, teams=teams, source=SOURCE, now=clock(),
                                               columns=columns))
            await session.commit()
        log.info("tickets webhook: %d imported, %d updated, %d unchanged%s", count.imported, count.updated,
                 count.unchanged, f"; ignored {', '.join(ignored)}" if ignored else "")
        return JSONResponse({"imported": count.imported, "updated": count.updated, "unchanged": count.unchanged,
                             "ignored": ignored})

    return receive_tickets


def _authorized(header: str | None, expected: bytes) -> bool:
    scheme, _, given = (header or "").partition(" ")
    if scheme.casefold() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected)


def _parse_body(raw: bytes) -> tuple[list[Sent], list[dict[str, Any]], list[str]]:
    """Every ticket of the body with the columns it names, or every error found in it; and the fields
    ignored (sorted)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        return [], [{"index": None, "field": None, "error": f"the body is not JSON: {error}"}], []
    except RecursionError:  # nested past the parser's depth: no ticket is shaped like that
        return [], [{"index": None, "field": None, "error": "the body nests too deeply to be tickets"}], []
    listed = body if isinstance(body, list) else [body]
    items: list[Sent] = []
    errors: list[dict[str, Any]] = []
    ignored: set[str] = set()
    for index, item in enumerate(listed):
        if not isinstance(item, dict):
            errors.append({"index": index, "field": None, "error": "expected a ticket: a JSON object"})
            continue
        ignored.update(name for name in item if name not in KNOWN)
        try:
            ticket = parse({name: value for name, value in item.items() if name in KNOWN})
        except ValidationError as error:
            errors.extend({"index": index, "field": problem.field, "error": problem.error}
                          for problem in field_errors(error))
            continue
        if ticket.team is None:
            errors.append({"index": index, "field": "team", "error": "missing team"})
        named = ticket.model_fields_set
        items.append((ticket, tuple(c for c in tickets.COMPARED if c == "source" or (c in named and c not in KEPT))))
    return items, errors, sorted(ignored)


def _runs(items: list[Sent]) -> list[tuple[tuple[str, ...], list[TicketRow]]]:
    """The tickets in order, in runs that name the same columns (one upsert each)."""
    runs: list[tuple[tuple[str, ...], list[TicketRow]]] = []
    for ticket, columns in items:
        if runs and runs[-1][0] == columns:
            runs[-1][1].append(ticket)
        else:
            runs.append((columns, [ticket]))
    return runs


def _team_errors(items: list[TicketRow], teams: dict[str, int]) -> list[dict[str, Any]]:
    return [{"index": index, "field": "team", "error": f"unknown team {ticket.team!r}"}
            for index, ticket in enumerate(items) if ticket.team not in teams]


def _refused(errors: list[dict[str, Any]]) -> Response:
    return JSONResponse({"errors": errors}, status_code=422)
