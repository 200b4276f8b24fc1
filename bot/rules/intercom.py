"""Intercom's API answers, read as tickets (`bot.rules.helpdesk`): pure, no HTTP.

Shapes, as Intercom documents them (https://developers.intercom.com/docs/references/rest-api/):
- `POST /conversations/search` with `{"query": {"field": "updated_at", "operator": ">", "value": <Unix
  seconds>}, "pagination": {"per_page": 150, "starting_after": "…"}}` answers `{"type": "conversation.list",
  "conversations": [...], "total_count", "pages": {"type": "pages", "page", "per_page", "total_pages",
  "next": {"page", "starting_after"}}}`; `next` is absent on the last page; at most 150 a page
  (api.intercom.io/Conversations/searchConversations, rest-api/common-structures/pagination-search);
- a conversation: `id` (a string), `created_at`, `updated_at` (Unix seconds), `state` (open, closed, snoozed),
  `source.type` (conversation, email, facebook, instagram, phone_call, phone_switch, push, sms, twitter,
  whatsapp), `team_assignee_id`, `statistics` (`first_admin_reply_at`, `last_close_at`, `count_reopens`,
  `count_conversation_parts`, …), `conversation_rating` (`rating` 1–5, `remark`, …), `sla_applied`
  (`sla_name`, `sla_status`: hit, missed, cancelled, active) (api.intercom.io/models/conversation,
  models/conversation_statistics, models/conversation_rating, models/sla_applied);
- `GET /teams`: `{"type": "team.list", "teams": [{"type": "team", "id", "name", "admin_ids"}]}`
  (api.intercom.io/Teams/listTeams).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.rules.customer_replies import reply_time
from bot.rules.helpdesk import FetchedTicket, Page, Unparsed
from bot.rules.helpdesk_cursor import TimeCursor
from bot.rules.ticket_rows import TicketRow, reason
from bot.rules.zendesk import ShapeError

STATES = {"open": "open", "snoozed": "pending", "closed": "solved"}
STATS_FIELDS = frozenset({"first_response_at", "solved_at", "reopens"})


def seconds(value: object, name: str) -> datetime | None:
    """Unix seconds (Intercom's times) as an aware UTC time; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name}: expected Unix seconds, got {value!r}")
    return datetime.fromtimestamp(int(value), UTC)


def query(cursor: TimeCursor, per_page: int) -> dict[str, Any]:
    """The search body for the page `cursor` is at: changed at or after its `since` (`>` one second before)."""
    pagination: dict[str, Any] = {"per_page": per_page}
    if cursor.page is not None:
        pagination["starting_after"] = cursor.page
    return {"query": {"field": "updated_at", "operator": ">", "value": int(cursor.since.timestamp()) - 1},
            "pagination": pagination}


def search_page(body: object, teams: Mapping[str, str], cursor: TimeCursor) -> Page:
    """One page of the conversation search fetched from `cursor`."""
    if not isinstance(body, dict) or not isinstance(body.get("conversations"), list):
        raise ShapeError("the conversation search's answer has no `conversations` list")
    pages = body.get("pages")
    following = pages.get("next") if isinstance(pages, dict) else None
    after = following.get("starting_after") if isinstance(following, dict) else None
    tickets, unparsed, changes = [], [], []
    for record in body["conversations"]:
        ident = str(record.get("id", "?")) if isinstance(record, dict) else "?"
        try:
            if not isinstance(record, dict) or record.get("id") is None:
                raise ValueError("not a conversation with an id")
            updated = seconds(record.get("updated_at"), "updated_at")
            if updated is not None:
                changes.append((ident, updated))
            if cursor.fresh(ident, updated):
                tickets.append(conversation(record, teams))
        except ValidationError as error:
            unparsed.append(Unparsed(ident, reason(error)))
        except (ValueError, TypeError, KeyError) as error:
            unparsed.append(Unparsed(ident, str(error) or error.__class__.__name__))
    walked = cursor.saw(changes)
    if isinstance(after, str) and after:
        return Page(tickets=tickets, cursor=walked.next_page(after).dump(), done=False, unparsed=unparsed)
    return Page(tickets=tickets, cursor=walked.caught_up().dump(), done=True, unparsed=unparsed)


def csat(rating: object) -> bool | None:
    """A conversation rating of 1–5: 4–5 good, 1–3 bad (CSAT counts the satisfied among all who rated, as the
    CSV import and the generic 1–5 scale do, so a neutral 3 is rated and not satisfied)."""
    if rating is None:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValueError(f"conversation_rating.rating: expected 1 to 5, got {rating!r}")
    return rating >= 4


def conversation(record: Mapping[str, Any], teams: Mapping[str, str]) -> FetchedTicket:
    """One conversation as a ticket in the generic fields, with the fields Intercom gave. Raises ValueError
    (or pydantic's ValidationError) naming what is wrong."""
    state = record.get("state")
    if not isinstance(state, str) or state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    values: dict[str, Any] = {"id": record["id"], "created_at": seconds(record.get("created_at"), "created_at"),
                              "status": STATES[state]}
    fields = {"created_at", "status"}
    source = record.get("source")
    if isinstance(source, dict) and isinstance(source.get("type"), str):
        values["channel"], fields = source["type"][:32], fields | {"channel"}
    stats = record.get("statistics")
    if isinstance(stats, dict):
        closed = seconds(stats.get("last_close_at"), "statistics.last_close_at")
        values.update(first_response_at=seconds(stats.get("first_admin_reply_at"), "statistics.first_admin_reply_at"),
                      solved_at=closed if state == "closed" else None, reopens=stats.get("count_reopens") or 0)
        fields |= STATS_FIELDS
    if "conversation_rating" in record:
        rated = record["conversation_rating"]
        values["csat"] = csat(rated.get("rating") if isinstance(rated, dict) else None)
        fields.add("csat_good")
    if "sla_applied" in record:
        applied = record["sla_applied"]
        values["sla_breached"] = isinstance(applied, dict) and applied.get("sla_status") == "missed"
        fields.add("sla_breached")
    team = record.get("team_assignee_id")
    labels = {"team": teams[str(team)]} if team is not None and str(team) in teams else {}
    return FetchedTicket(row=TicketRow.model_validate(values), fields=frozenset(fields), labels=labels)


def team_names(body: object) -> dict[str, str]:
    """`{"teams": [{"id": "814865", "name": "Billing"}]}` -> {"814865": "Billing"}."""
    if not isinstance(body, dict) or not isinstance(body.get("teams"), list):
        raise ShapeError("the teams' answer has no `teams` list")
    return {str(item["id"]): str(item["name"]) for item in body["teams"]
            if isinstance(item, dict) and item.get("id") is not None and item.get("name") is not None}


def assignees(body: Any) -> dict[str, str | None]:
    """Each found conversation's assigned admin (`admin_assignee_id`, an admin's id; None: unassigned)."""
    found: dict[str, str | None] = {}
    records = body.get("conversations") if isinstance(body, dict) else None
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict) and record.get("id") is not None:
            admin = record.get("admin_assignee_id")
            found[str(record["id"])] = None if admin is None else str(admin)
    return found


def admin_emails(body: Any) -> dict[str, str]:
    """`GET /admins`: `{"admins": [{"id", "email"}]}` -> {id: email}."""
    admins = body.get("admins") if isinstance(body, dict) else None
    if not isinstance(admins, list):
        return {}
    return {str(item["id"]): str(item["email"]) for item in admins
            if isinstance(item, dict) and item.get("id") is not None and isinstance(item.get("email"), str)}


def customer_replies(body: Any) -> dict[str, datetime]:
    """When each found conversation's contact last replied: `statistics.last_contact_reply_at` (Unix seconds;
    https://developers.intercom.com/docs/references/rest-api/api.intercom.io/models/conversation_statistics);
    a conversation without one is left out."""
    found: dict[str, datetime] = {}
    records = body.get("conversations") if isinstance(body, dict) else None
    for record in records if isinstance(records, list) else []:
        numbers = record.get("statistics") if isinstance(record, dict) and record.get("id") is not None else None
        if isinstance(numbers, dict) and (at := reply_time(numbers.get("last_contact_reply_at"))) is not None:
            found[str(record["id"])] = at
    return found
