"""Freshdesk's API answers, read as tickets (`bot.rules.helpdesk`): pure, no HTTP.

Shapes, as Freshdesk documents them (https://developers.freshdesk.com/api/):
- `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&include=stats&per_page=100&page=N`
  answers a JSON list of tickets; a `Link: <…>; rel="next"` header while there is a next page; at most 300
  pages (#list_all_tickets, #pagination);
- a ticket: `id`, `created_at`, `updated_at`, `status` (2 Open, 3 Pending, 4 Resolved, 5 Closed; custom
  statuses have other numbers), `source` (1 Email, 2 Portal, 3 Phone, 7 Chat, 9 Feedback Widget, 10 Outbound
  Email), `group_id`, `fr_escalated` (the first response was overdue), `is_escalated`, and with
  `include=stats` a `stats` object: `first_responded_at`, `resolved_at`, `closed_at`, `reopened_at`
  (#ticket_attributes);
- `GET /api/v2/groups`: a list of `{"id", "name", …}` (#list_all_groups);
- `GET /api/v2/surveys/satisfaction_ratings?created_since=…`: a list of `{"id", "ticket_id", "ratings":
  {"default_question": 103}, "created_at", …}`; ratings 101 to 103 are happy, 100 neutral, -101 to -103
  unhappy (#view_all_satisfaction_ratings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.rules.customer_replies import reply_time
from bot.rules.helpdesk import FetchedTicket, Page, Unparsed
from bot.rules.helpdesk_cursor import TimeCursor
from bot.rules.ticket_rows import TicketRow, instant, reason
from bot.rules.zendesk import ShapeError

STATUSES = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
CUSTOM_STATUS = "open"
"""A custom status (a number past 5): still unsolved, so in the backlog."""
SOURCES = {1: "Email", 2: "Portal", 3: "Phone", 7: "Chat", 9: "Feedback Widget", 10: "Outbound Email"}
"""As the ticket export's `Source` column writes them, so synced and imported tickets group alike."""
MAX_PAGE = 300
STATS_FIELDS = frozenset({"first_response_at", "solved_at", "reopens"})


def stamp(moment: datetime) -> str:
    """The form `updated_since` and `created_since` take: 2026-11-02T14:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tickets_page(body: object, groups: Mapping[int, str], cursor: TimeCursor, *, more: bool, per_page: int) -> Page:
    """One page of the ticket list fetched from `cursor` (`more`: Freshdesk linked a next page). A full last
    page the cap allows (whether or not Freshdesk links one past it) starts a new walk from the latest
    `updated_at` seen."""
    if not isinstance(body, list):
        raise ShapeError("the ticket list's answer is not a JSON list")
    tickets, unparsed, changes = [], [], []
    for record in body:
        ident = str(record.get("id", "?")) if isinstance(record, dict) else "?"
        try:
            if not isinstance(record, dict) or record.get("id") is None:
                raise ValueError("not a ticket with an id")
            updated = instant(record.get("updated_at"))
            if updated is not None:
                changes.append((ident, updated))
            if cursor.fresh(ident, updated):
                tickets.append(ticket(record, groups))
        except ValidationError as error:
            unparsed.append(Unparsed(ident, reason(error)))
        except (ValueError, TypeError, KeyError) as error:
            unparsed.append(Unparsed(ident, str(error) or error.__class__.__name__))
    walked = cursor.saw(changes)
    page = int(cursor.page or 1)
    if page >= MAX_PAGE and len(body) >= per_page:
        following, done = walked.restart(), False
    elif more:
        following, done = walked.next_page(str(page + 1)), False
    else:
        following, done = walked.caught_up(), True
    return Page(tickets=tickets, cursor=following.dump(), done=done, unparsed=unparsed)


def ticket(record: Mapping[str, Any], groups: Mapping[int, str]) -> FetchedTicket:
    """One listed ticket as a ticket in the generic fields, with the fields Freshdesk gave. Raises ValueError
    (or pydantic's ValidationError) naming what is wrong."""
    status = record.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or status < 2:
        raise ValueError(f"unknown status {status!r}")
    values: dict[str, Any] = {"id": record["id"], "created_at": record.get("created_at"),
                              "status": STATUSES.get(status, CUSTOM_STATUS)}
    fields = {"created_at", "status"}
    source = record.get("source")
    if isinstance(source, int) and not isinstance(source, bool):
        values["channel"], fields = SOURCES.get(source, f"source {source}"), fields | {"channel"}
    stats = record.get("stats")
    if isinstance(stats, dict):
        values.update(first_response_at=stats.get("first_responded_at"),
                      solved_at=stats.get("resolved_at") or stats.get("closed_at"),
                      reopens=1 if stats.get("reopened_at") else 0)
        fields |= STATS_FIELDS
    if "fr_escalated" in record or "is_escalated" in record:
        values["sla_breached"] = record.get("fr_escalated") is True or record.get("is_escalated") is True
        fields.add("sla_breached")
    group = record.get("group_id")
    labels = {"group": groups[group]} if group is not None and group in groups else {}
    return FetchedTicket(row=TicketRow.model_validate(values), fields=frozenset(fields), labels=labels)


def rating(value: object) -> bool | None:
    """A rating's `default_question`: happy (101 to 103) good; neutral (100) and unhappy (-101 to -103) bad,
    as the CSV import reads Freshdesk's "Neutral" (CSAT is the satisfied among all who rated). Raises
    ValueError on anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 101 <= value <= 103:
            return True
        if -103 <= value <= -101 or value == 100:
            return False
    raise ValueError(f"unknown rating {value!r}")


def ratings(body: object) -> tuple[dict[str, bool | None], datetime | None, list[Unparsed]]:
    """A page of satisfaction ratings: each ticket's CSAT (its latest rating wins), the latest `created_at`,
    and the ratings that did not read (by their ticket)."""
    if not isinstance(body, list):
        raise ShapeError("the satisfaction ratings' answer is not a JSON list")
    found: list[tuple[datetime, str, bool | None]] = []
    unread: list[Unparsed] = []
    for record in body:
        ident = str(record.get("ticket_id", "?")) if isinstance(record, dict) else "?"
        try:
            if not isinstance(record, dict) or record.get("ticket_id") is None:
                raise ValueError("not a rating of a ticket")
            created = instant(record.get("created_at"))
            scores = record.get("ratings")
            if created is None or not isinstance(scores, dict):
                raise ValueError("no created_at or no ratings")
            found.append((created, ident, rating(scores.get("default_question"))))
        except ValueError as error:
            unread.append(Unparsed(ident, f"satisfaction rating: {error}"))
    found.sort(key=lambda item: item[0])
    return {ident: good for _at, ident, good in found}, (found[-1][0] if found else None), unread


def names(body: object) -> dict[int, str]:
    """`[{"id": 1, "name": "Tier 1"}]` -> {1: "Tier 1"}."""
    if not isinstance(body, list):
        raise ShapeError("the groups' answer is not a JSON list")
    return {item["id"]: str(item["name"]) for item in body
            if isinstance(item, dict) and isinstance(item.get("id"), int) and item.get("name") is not None}


def responders(body: Any) -> dict[str, int | None]:
    """Each listed ticket's assignee (`responder_id`, an agent's id; None: unassigned)."""
    found: dict[str, int | None] = {}
    for record in body if isinstance(body, list) else []:
        if isinstance(record, dict) and record.get("id") is not None:
            responder = record.get("responder_id")
            found[str(record["id"])] = responder if isinstance(responder, int) else None
    return found


def agent_emails(body: Any) -> dict[int, str]:
    """`GET /api/v2/agents`: `[{"id", "contact": {"email", "name"}}]` -> {id: email}."""
    if not isinstance(body, list):
        return {}
    return {item["id"]: str(item["contact"]["email"]) for item in body
            if isinstance(item, dict) and isinstance(item.get("id"), int) and isinstance(item.get("contact"), dict)
            and isinstance(item["contact"].get("email"), str)}


def customer_replies(body: Any) -> dict[str, datetime]:
    """When each listed ticket's requester last responded: `stats.requester_responded_at`, listed with
    `include=stats` (https://developers.freshdesk.com/api/#list_all_tickets, #view_a_ticket; the SDK's `Stats`:
    https://developers.freshworks.com/freshdesk-sdk/docs/Stats.html); a ticket without one is left out."""
    found: dict[str, datetime] = {}
    for record in body if isinstance(body, list) else []:
        numbers = record.get("stats") if isinstance(record, dict) and record.get("id") is not None else None
        if isinstance(numbers, dict) and (at := reply_time(numbers.get("requester_responded_at"))) is not None:
            found[str(record["id"])] = at
    return found
