"""Helpdesk connectors (DESIGN.md 3.3): one small interface every helpdesk implements, and the rules the
sync applies to what a connector fetched (which team a ticket is, what a sync says).

A connector fetches the tickets changed since a cursor, one page at a time, already mapped to the ticket
model the import uses (`TicketRow`, with no team), and says the cursor to ask from next and whether it has
reached the present. Each ticket says which stored columns its source actually provides (`fields`): only
those are written over a stored ticket, so a field the source does not give never wipes what the import or
another source set. A record that does not map is returned as `Unparsed` with its id and the reason, and
the rest of the page is kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.rules.helpdesk_config import TeamHelpdesk
from bot.rules.ticket_rows import TicketRow

TICKET_COLUMNS = ("created_at", "first_response_at", "solved_at", "status", "channel", "csat_good", "reopens",
                  "agent_replies", "sla_breached")
"""The stored ticket's columns a source may provide (`storage.tickets.COMPARED` without `source`)."""


@dataclass(frozen=True)
class FetchedTicket:
    row: TicketRow
    """The ticket in the import's model; its `team` is None (the sync routes it, `team_for`)."""
    fields: frozenset[str]
    """The columns (of `TICKET_COLUMNS`) this source gave a value for, None included when it said "none"."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """What a team's `match` is compared with: {"group": "Tier 1", "brand": "Acme"}."""


@dataclass(frozen=True)
class Unparsed:
    """A record the connector could not map: the helpdesk's id for it and why."""

    id: str
    reason: str

    def __str__(self) -> str:
        return f"ticket {self.id}: {self.reason}"


@dataclass(frozen=True)
class Page:
    tickets: Sequence[FetchedTicket]
    cursor: str
    """Where the next fetch starts; stored only once this page's tickets are committed."""
    done: bool
    """True when the page reaches the present (Zendesk's `end_of_stream`)."""
    unparsed: Sequence[Unparsed] = ()
    skipped: int = 0
    """Records that are no tickets to store (deleted in the helpdesk)."""
    assignees: Mapping[str, str | None] = field(default_factory=dict)
    """The assignee's email of each ticket whose source says it (Zendesk's side-loaded users)."""
    replies: Mapping[str, datetime] = field(default_factory=dict)
    """When the customer last replied in each ticket whose source says it (`bot.rules.customer_replies`)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """The helpdesk's other id of each ticket, which a link may name (Salesforce's case `Id` by `CaseNumber`)."""


class HelpdeskError(Exception):
    """The helpdesk refused or failed a request; the message is one line for an operator, with no secret."""


class Connector(Protocol):
    """What a helpdesk offers the sync. `start` is where a fetch with no cursor begins."""

    async def fetch(self, cursor: str | None, start: datetime) -> Page: ...

    async def labels(self) -> Mapping[str, Sequence[str]]:
        """Every name a team may match, by kind: {"group": [...], "brand": [...]} (for the sync and `check`)."""
        ...

    async def check(self) -> None:
        """Raise HelpdeskError when the credentials do not work."""
        ...


def team_for(labels: Mapping[str, str], source: str, teams: Sequence[tuple[str, TeamHelpdesk | None]]
             ) -> str | None:
    """The first team (by key) whose mapping names `source` and whose every `match` label equals the ticket's."""
    for key, mapping in sorted(teams, key=lambda item: item[0]):
        if mapping is None or mapping.source != source:
            continue
        if all(labels.get(kind) == value for kind, value in mapping.match.labels().items()):
            return key
    return None


def unmatched_labels(names: Mapping[str, Sequence[str]], source: str,
                     teams: Sequence[tuple[str, TeamHelpdesk | None]]) -> dict[str, list[str]]:
    """The groups (and brands) of a source that no team's `match` names: their tickets would belong to no team.
    A source whose teams match by brand only has its groups left out, and the other way round."""
    wanted: dict[str, set[str]] = {}
    for _key, mapping in teams:
        if mapping is not None and mapping.source == source:
            for kind, value in mapping.match.labels().items():
                wanted.setdefault(kind, set()).add(value)
    return {kind: sorted(set(values) - wanted[kind]) for kind, values in names.items() if kind in wanted}


@dataclass
class SyncReport:
    """What one sync of one source did, for the CLI, the job's log and the stored state."""

    source: str
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    pages: int = 0
    unmatched: Counter[str] = field(default_factory=Counter)
    """Tickets that matched no team, by their labels (`group=Tier 3`)."""
    unparsed: list[Unparsed] = field(default_factory=list)
    skipped: int = 0
    breaches: int = 0
    ratings: int = 0
    """Stored tickets whose CSAT a satisfaction rating changed (Freshdesk's, read apart from the tickets)."""
    resumed: int = 0
    """Escalations waiting on the customer that a customer's reply in a linked ticket resumed."""
    busy: bool = False
    """Another replica holds this source's sync: nothing was done."""
    error: str | None = None

    @property
    def synced(self) -> int:
        return self.imported + self.updated + self.unchanged

    def line(self) -> str:
        if self.busy:
            return f"{self.source}: skipped, another sync of this source is running"
        parts = [f"{self.synced:,} tickets synced ({self.imported:,} new, {self.updated:,} updated)"]
        if self.unmatched:
            which = ", ".join(f"{label} ({count:,})" for label, count in sorted(self.unmatched.items()))
            parts.append(f"{sum(self.unmatched.values()):,} matched no team: {which}")
        if self.unparsed:
            shown = "; ".join(str(problem) for problem in self.unparsed[:5])
            more = f" and {len(self.unparsed) - 5:,} more" if len(self.unparsed) > 5 else ""
            parts.append(f"{len(self.unparsed):,} not read: {shown}{more}")
        if self.skipped:
            parts.append(f"{self.skipped:,} deleted in the helpdesk, not stored")
        if self.breaches:
            parts.append(f"{self.breaches:,} SLA breaches marked")
        if self.ratings:
            parts.append(f"{self.ratings:,} CSAT ratings marked")
        if self.resumed:
            parts.append(f"{self.resumed:,} escalations resumed by the customer's reply")
        if self.error:
            parts.append(f"stopped: {self.error}")
        return f"{self.source}: " + "; ".join(parts)


def label_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{kind}={value}" for kind, value in sorted(labels.items())) or "unassigned"
