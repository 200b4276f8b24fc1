"""The tickets behind an escalation: which helpdesk ticket each linked ticket is, which internal note an escalation's
timeline event puts on it, and what its assignee is told when the escalation is resolved.

A linked ticket (`bot.rules.linked_tickets.TicketRef`, stored on the escalation as `{system, ref, url}`) is written
to through a configured helpdesk source of its kind: the one whose URL has the link's host, else the team's own
source, else the only source of that kind; a plain id or another link is nobody's, and gets no note. Notes are
internal (Zendesk `public: false`, Salesforce `IsPublished: false`, an Intercom `note`, Freshdesk `private: true`).
Pure: the escalation's facts in, the targets and texts out.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

KINDS: dict[str, str] = {"Zendesk": "zendesk", "Salesforce": "salesforce", "Intercom": "intercom",
                         "Freshdesk": "freshdesk"}
"""A linked ticket's system, as `linked_tickets` names it, and the helpdesk kind that holds it."""
NOTED = ("opened", "acknowledged", "customer_update", "resolved")
"""The timeline events a linked ticket hears about."""
HTML_BODIES = frozenset({"freshdesk", "intercom"})
"""Kinds whose note body is HTML (Freshdesk's `body`, Intercom's note); Zendesk's and Salesforce's are plain text."""
MAX_BODY = {"salesforce": 4000}
"""Salesforce's `CommentBody` holds at most 4,000 bytes."""
DEFAULT_MAX_BODY = 20_000


@dataclass(frozen=True)
class Source:
    """A configured helpdesk: its key, kind and API URL."""

    key: str
    kind: str
    url: str


@dataclass(frozen=True)
class Target:
    """One linked ticket, as the helpdesk source that holds it knows it."""

    source: str
    kind: str
    ticket: str


@dataclass(frozen=True)
class Facts:
    """What a note says of the escalation and the event."""

    ref: str
    priority: str
    customer: str
    summary: str
    kind: str
    actor: str | None = None
    note: str | None = None
    root_cause: str | None = None


def _host(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def targets(tickets: Sequence[Mapping[str, Any]], sources: Sequence[Source], team_source: str | None) -> list[Target]:
    """The linked tickets a note can be written on, each once, in the order they were linked."""
    found: list[Target] = []
    for ticket in tickets:
        kind = KINDS.get(str(ticket.get("system")))
        ref = str(ticket.get("ref") or "")
        candidates = [s for s in sources if s.kind == kind]
        if kind is None or not ref or not candidates:
            continue
        host = _host(ticket.get("url"))
        chosen = next((s for s in candidates if host and _host(s.url) == host), None) \
            or next((s for s in candidates if s.key == team_source), None) \
            or (candidates[0] if len(candidates) == 1 else None)
        if chosen is not None and (target := Target(chosen.key, kind, ref)) not in found:
            found.append(target)
    return found


def escalated_tickets(open_escalations: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
                      kind: str | None) -> dict[str, str]:
    """Which stored ticket ids (of a source of `kind`) are linked to an open escalation, and to which (the first
    logged): a link of that helpdesk, or a plain id (`#4411`, `4411`)."""
    found: dict[str, str] = {}
    for ref, tickets in open_escalations:
        for ticket in tickets:
            system, ident = ticket.get("system"), str(ticket.get("ref") or "")
            if system is None and ticket.get("url") is None:
                ident = ident.removeprefix("#")
            elif kind is None or KINDS.get(str(system)) != kind:
                continue
            if ident:
                found.setdefault(ident, ref)
    return found


def note_text(facts: Facts) -> str | None:
    """The internal note a timeline event puts on each linked ticket (None: this event adds none)."""
    if facts.kind not in NOTED:
        return None
    head = f"{facts.ref} {facts.priority} · {facts.customer}: {facts.summary}"
    by = f" by {facts.actor}" if facts.actor else ""
    if facts.kind == "opened":
        return f"Escalated in Slack{by}: {head}. The escalation's updates will be noted here."
    if facts.kind == "acknowledged":
        return f"{facts.ref} was acknowledged in Slack{by}."
    if facts.kind == "customer_update":
        return f"{facts.ref}: the customer was sent an update{by}:\n{facts.note or ''}".rstrip()
    cause = f" (root cause: {facts.root_cause})" if facts.root_cause else ""
    return f"{facts.ref} was resolved in Slack{by}{cause}. Outcome: {facts.note or 'not given'}"


def body_for(kind: str, text: str) -> str:
    """The note's body as `kind` takes it: HTML escaped, lines kept, for Freshdesk and Intercom; plain text
    clipped to the helpdesk's limit otherwise."""
    limit = MAX_BODY.get(kind, DEFAULT_MAX_BODY)
    if kind in HTML_BODIES:
        return "<br>".join(html.escape(line) for line in text[:limit].split("\n"))
    clipped = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return clipped


def assignee_text(ref: str, summary: str, outcome: str | None, ticket_label: str) -> str:
    """The Slack DM to a linked ticket's assignee when the escalation is resolved (mrkdwn escaped)."""
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f"{esc(ref)} ({esc(summary)}), escalated from your ticket {esc(ticket_label)}, is resolved. "
            f"Outcome: {esc(outcome or 'not given')}")
