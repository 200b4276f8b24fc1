"""A customer's reply in a linked ticket ends a wait on the customer (issue 22, item 3).

Each helpdesk connector reports, per ticket, when its requester last replied, from a documented field (read by
`bot.rules.zendesk.customer_replies`, `bot.rules.freshdesk.customer_replies`, `bot.rules.intercom.customer_replies`;
Salesforce has no such field on a Case: its customers' latest `EmailMessage` is a query of its own,
`bot.rules.salesforce.customer_emails`). The sync stores it on the ticket; then each paused escalation whose linked
tickets hold a reply later than its pause is resumed (`bot.rules.escalation_changes.customer_replied`). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


def reply_time(value: object) -> datetime | None:
    """A documented reply time: an ISO-8601 string (Zendesk, Freshdesk) or Unix seconds (Intercom); anything else,
    or nothing, is None (a field the helpdesk left empty ends no wait)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


@dataclass(frozen=True)
class Reply:
    """A linked ticket (as its label reads: `Zendesk #4411`) and when its customer last replied (None: never)."""

    ticket: str
    at: datetime | None


def ending_reply(paused_at: datetime | None, replies: Sequence[Reply], now: datetime) -> Reply | None:
    """The reply that ends the wait: the earliest of the linked tickets' latest customer replies that came after
    the pause began (a reply from before the pause, or none, ends nothing). Its time is capped at `now`, so a
    helpdesk clock ahead of ours never ends a pause in the future."""
    if paused_at is None:
        return None
    later = [r for r in replies if r.at is not None and r.at > paused_at]
    if not later:
        return None
    first = min(later, key=lambda r: (r.at, r.ticket))
    assert first.at is not None
    return Reply(first.ticket, min(first.at, max(now, paused_at)))
