"""Zendesk's API answers, read as tickets (`bot.rules.helpdesk`): pure, no HTTP.

Shapes, as Zendesk documents them:
- the cursor-based incremental ticket export, `GET /api/v2/incremental/tickets/cursor.json` with
  `include=metric_sets`: `{"tickets": [...], "metric_sets": [...], "after_cursor": "...", "end_of_stream": bool}`
  (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/);
- a ticket: `id`, `created_at`, `status` (new, open, pending, hold, solved, closed; `deleted` in the export),
  `via.channel`, `group_id`, `brand_id`, `satisfaction_rating.score` (good, bad, offered, unoffered)
  (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/);
- a ticket metric set: `ticket_id`, `reply_time_in_minutes.{calendar,business}`, `full_resolution_time_in_minutes`,
  `solved_at`, `reopens`, `replies` (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/);
- ticket metric events, `GET /api/v2/incremental/ticket_metric_events.json`: `{"ticket_metric_events":
  [{"ticket_id", "metric", "type": "breach", "time"}], "end_time", "end_of_stream"}`
  (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events/).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.rules.customer_replies import reply_time
from bot.rules.helpdesk import FetchedTicket, Page, Unparsed
from bot.rules.ticket_rows import TicketRow, instant, reason

STATUSES = {"new": "new", "open": "open", "pending": "pending", "hold": "on_hold", "solved": "solved",
            "closed": "closed"}
CSAT = {"good": True, "bad": False, "offered": None, "unoffered": None}
METRIC_FIELDS = frozenset({"first_response_at", "solved_at", "reopens", "agent_replies"})


class ShapeError(ValueError):
    """An answer that is not the documented shape at all (not one bad record): the page cannot be used."""


def export_page(body: object, groups: Mapping[int, str], brands: Mapping[int, str]) -> Page:
    """One page of the incremental ticket export with its side-loaded metric sets."""
    if not isinstance(body, dict) or not isinstance(body.get("tickets"), list):
        raise ShapeError("the incremental export's answer has no `tickets` list")
    cursor = body.get("after_cursor")
    if not isinstance(cursor, str) or not cursor:
        raise ShapeError("the incremental export's answer has no `after_cursor`")
    metrics: dict[str, dict[str, Any]] = {}
    for found in body.get("metric_sets") or ():
        if isinstance(found, dict) and found.get("ticket_id") is not None:
            metrics[str(found["ticket_id"])] = found
    tickets, unparsed, skipped = [], [], 0
    for record in body["tickets"]:
        ident = str(record.get("id", "?")) if isinstance(record, dict) else "?"
        try:
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if record.get("status") == "deleted":
                skipped += 1
                continue
            tickets.append(ticket(record, metrics.get(ident), groups, brands))
        except ValidationError as error:
            unparsed.append(Unparsed(ident, reason(error)))
        except (ValueError, TypeError, KeyError) as error:
            unparsed.append(Unparsed(ident, str(error) or error.__class__.__name__))
    return Page(tickets=tickets, cursor=cursor, done=body.get("end_of_stream") is True, unparsed=unparsed,
                skipped=skipped)


def ticket(record: Mapping[str, Any], metric: Mapping[str, Any] | None, groups: Mapping[int, str],
           brands: Mapping[int, str]) -> FetchedTicket:
    """One exported ticket (and its metric set, when Zendesk side-loaded one) as a ticket in the generic fields.
    Raises ValueError (or pydantic's ValidationError) naming what is wrong."""
    if record.get("id") is None:
        raise ValueError("missing id")
    status = record.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    values: dict[str, Any] = {"id": record["id"], "created_at": record.get("created_at"),
                              "status": STATUSES[status]}
    fields = {"created_at", "status"}
    via = record.get("via")
    if isinstance(via, dict) and isinstance(via.get("channel"), str):
        values["channel"], fields = via["channel"][:32], fields | {"channel"}
    if "satisfaction_rating" in record:
        rating = record["satisfaction_rating"]
        score = rating.get("score") if isinstance(rating, dict) else None
        if score is not None and score not in CSAT:
            raise ValueError(f"satisfaction_rating.score: unknown score {score!r}")
        values["csat"], fields = CSAT.get(score) if score is not None else None, fields | {"csat_good"}
    if metric is not None:
        values.update(_metrics(metric, instant(record.get("created_at"))))
        fields |= METRIC_FIELDS
    labels = {}
    group, brand = record.get("group_id"), record.get("brand_id")
    if group is not None and group in groups:
        labels["group"] = groups[group]
    if brand is not None and brand in brands:
        labels["brand"] = brands[brand]
    return FetchedTicket(row=TicketRow.model_validate(values), fields=frozenset(fields), labels=labels)


def _metrics(metric: Mapping[str, Any], created: datetime | None) -> dict[str, Any]:
    """First reply (created + calendar reply minutes), solved time (the metric set's, else created + full
    resolution minutes), reopens and replies."""
    found: dict[str, Any] = {"reopens": metric.get("reopens") or 0, "agent_replies": metric.get("replies"),
                             "first_response_at": None, "solved_at": instant(metric.get("solved_at"))}
    reply = _calendar(metric.get("reply_time_in_minutes"), "reply_time_in_minutes")
    if reply is not None and created is not None:
        found["first_response_at"] = created + timedelta(minutes=reply)
    if found["solved_at"] is None and created is not None:
        full = _calendar(metric.get("full_resolution_time_in_minutes"), "full_resolution_time_in_minutes")
        if full is not None:
            found["solved_at"] = created + timedelta(minutes=full)
    return found


def _calendar(value: object, name: str) -> float | None:
    if value is None:
        return None
    minutes = value.get("calendar") if isinstance(value, dict) else None
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
        raise ValueError(f"{name}.calendar: expected minutes, got {minutes!r}")
    return float(minutes)


def breached_tickets(body: object) -> tuple[set[str], int | None, bool]:
    """From a page of ticket metric events: the ids of tickets with a `breach` event, the `end_time` to ask
    from next, and whether it is the last page."""
    if not isinstance(body, dict) or not isinstance(body.get("ticket_metric_events"), list):
        raise ShapeError("the ticket metric events answer has no `ticket_metric_events` list")
    breached = {str(event["ticket_id"]) for event in body["ticket_metric_events"]
                if isinstance(event, dict) and event.get("type") == "breach" and event.get("ticket_id") is not None}
    end = body.get("end_time")
    return breached, end if isinstance(end, int) else None, body.get("end_of_stream") is True


def names(body: object, key: str) -> dict[int, str]:
    """`{"groups": [{"id": 1, "name": "Tier 1"}]}` (or brands) -> {1: "Tier 1"}."""
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise ShapeError(f"the answer has no `{key}` list")
    return {item["id"]: str(item["name"]) for item in body[key]
            if isinstance(item, dict) and isinstance(item.get("id"), int) and item.get("name") is not None}


def assignees(body: Any) -> dict[str, str | None]:
    """Each exported ticket's assignee's email, from the side-loaded `users` (`include=users`): `{"tickets":
    [{"id", "assignee_id"}], "users": [{"id", "email"}]}`; a ticket with no assignee has None, one whose user
    was not side-loaded is left out."""
    if not isinstance(body, dict):
        return {}
    emails = {user["id"]: user.get("email") for user in body.get("users") or []
              if isinstance(user, dict) and isinstance(user.get("id"), int)}
    found: dict[str, str | None] = {}
    for ticket in body.get("tickets") or []:
        if not isinstance(ticket, dict) or ticket.get("id") is None:
            continue
        assignee = ticket.get("assignee_id")
        if assignee is None:
            found[str(ticket["id"])] = None
        elif assignee in emails and isinstance(emails[assignee], str):
            found[str(ticket["id"])] = emails[assignee]
    return found


def customer_replies(body: Any) -> dict[str, datetime]:
    """When each exported ticket's requester last updated it: its side-loaded metric set's `requester_updated_at`
    ("When the requester last updated the ticket", https://developer.zendesk.com/api-reference/ticketing/tickets/
    ticket_metrics/); a ticket without one is left out."""
    found: dict[str, datetime] = {}
    for metric in (body.get("metric_sets") or []) if isinstance(body, dict) else []:
        if isinstance(metric, dict) and metric.get("ticket_id") is not None \
                and (at := reply_time(metric.get("requester_updated_at"))) is not None:
            found[str(metric["ticket_id"])] = at
    return found
