"""The tickets behind an escalation, as outbox messages: an internal note on each linked helpdesk ticket when the
escalation is logged, acknowledged, updated for the customer and resolved (`bot.rules.ticket_notes`), and on
resolution a Slack DM to each linked ticket's assignee (found by the email the helpdesk sync recorded).

A note is keyed by its ticket and timeline event (`esc:N:ticket:SOURCE:ID:note:EVENT`), so it is written once and
sent once by the dispatcher through `handlers.helpdesk.notes`; the notes of one ticket go in the order written (a
parked note holds the later ones back until `supportbot jobs retry`). The assignee's Slack user is looked up by
email in the dispatcher (`slack.dm_by_email`), never in a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.linked_tickets import TicketRef
from bot.rules.messages import Message
from bot.rules.ticket_notes import KINDS, Facts, Target, assignee_text, note_text, targets
from handlers.outbox import Transport, dispatch_client
from storage import tickets
from storage.models import Escalation, EscalationEvent


def linked(escalation: Escalation, team: TeamProfile) -> list[Target]:
    """The escalation's linked tickets that a configured helpdesk source holds (the sources come with the team
    directory: no query)."""
    if not escalation.tickets or not team.helpdesks:
        return []
    mapping = team.config.helpdesk
    return targets(escalation.tickets, list(team.helpdesks), mapping.source if mapping else None)


async def opened(session: AsyncSession, escalation: Escalation, team: TeamProfile,
                 events: Sequence[EscalationEvent]) -> list[Message]:
    """A new escalation: a note on each linked ticket."""
    found = linked(escalation, team)
    return [m for event in events for m in _notes(escalation, event, found)]


async def changed(session: AsyncSession, escalation: Escalation, team: TeamProfile,
                  event: EscalationEvent | None) -> list[Message]:
    """An acknowledgement, a customer update or a resolution: a note on each linked ticket; a resolution also
    tells each linked ticket's assignee in Slack."""
    if event is None or note_text(_facts(escalation, event)) is None:
        return []
    found = linked(escalation, team)
    messages = _notes(escalation, event, found)
    if event.kind == "resolved" and found:
        emails = await tickets.assignee_emails(session, [(t.kind, t.ticket) for t in found])
        messages += [_assignee_dm(escalation, event, target, email) for target in found
                     if (email := emails.get((target.kind, target.ticket)))]
    return messages


def _facts(escalation: Escalation, event: EscalationEvent) -> Facts:
    return Facts(ref=escalation.ref, priority=escalation.priority, customer=escalation.customer,
                 summary=escalation.summary, kind=event.kind, actor=event.actor,
                 note=escalation.outcome if event.kind == "resolved" else event.note,
                 root_cause=escalation.root_cause if event.kind == "resolved" else None)


def _notes(escalation: Escalation, event: EscalationEvent, found: Sequence[Target]) -> list[Message]:
    text = note_text(_facts(escalation, event))
    if text is None:
        return []
    return [Message(keys.ticket_note(escalation.id, t.source, t.ticket, event.id), "helpdesk.note",
                    {"source": t.source, "ticket": t.ticket, "text": text},
                    f"esc:{escalation.id}@ticket:{t.source}:{t.ticket}") for t in found]


def label(target: Target) -> str:
    system = next((name for name, kind in KINDS.items() if kind == target.kind), target.kind)
    return TicketRef(system, target.ticket, None).label


def _assignee_dm(escalation: Escalation, event: EscalationEvent, target: Target, email: str) -> Message:
    text = assignee_text(escalation.ref, escalation.summary, escalation.outcome, label(target))
    return Message(keys.ticket_assignee_dm(escalation.id, target.source, target.ticket, event.id),
                   "slack.dm_by_email", {"email": email, "text": text}, f"esc:{escalation.id}@assignee:{email}")


def assignee_dm(client: AsyncWebClient) -> dict[str, Transport]:
    """`slack.dm_by_email`: args `{"email", "text"}`: the Slack user with that email (`users.lookupByEmail`, scope
    `users:read.email`) is sent `text` by DM. Slack's refusals are the dispatcher's (`users_not_found` parks it; a
    429 waits for its Retry-After)."""
    slack = dispatch_client(client)

    async def send(args: dict[str, Any]) -> dict[str, Any]:
        found = await slack.users_lookupByEmail(email=str(args["email"]))
        user = (found.get("user") or {}).get("id")
        answer = await slack.chat_postMessage(channel=str(user), text=str(args["text"]), unfurl_links=False)
        return {"channel": answer.get("channel"), "ts": answer.get("ts"), "user": user}

    return {"slack.dm_by_email": send}
