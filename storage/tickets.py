"""Helpdesk tickets (DESIGN.md 3.3): upserted by (team, the helpdesk's ticket ID), so importing an export
twice, or a newer export of the same tickets, never counts a ticket twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.ticket_rows import TicketRow
from storage.kpi_models import Ticket
from storage.models import Team

BATCH = 1000
"""Tickets per statement: 14 values each stays far below SQLite's and asyncpg's bound-parameter limits."""
COMPARED = ("created_at", "first_response_at", "solved_at", "status", "channel", "csat_good", "reopens",
            "agent_replies", "sla_breached", "source")
"""A re-imported ticket whose columns all equal these is left as it is (and counted unchanged)."""


@dataclass
class UpsertCount:
    imported: int = 0
    """Tickets that were not there before."""
    updated: int = 0
    """Tickets that were there, with something different."""
    unchanged: int = 0
    """Tickets that were there, exactly so."""

    def add(self, other: UpsertCount) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged


async def team_ids(session: AsyncSession) -> dict[str, int]:
    """Every team's key and id."""
    rows = await session.execute(select(Team.key, Team.id))
    return {key: team_id for key, team_id in rows.all()}


async def upsert(session: AsyncSession, tickets: Iterable[TicketRow], *, teams: Mapping[str, int], source: str,
                 now: datetime) -> UpsertCount:
    """Insert or update `tickets` (each names a team in `teams`), `BATCH` at a time; the caller commits.
    A ticket that appears twice is written in order: the later one wins and counts as an update."""
    total = UpsertCount()
    batch: list[dict[str, Any]] = []
    keys: set[tuple[int, str]] = set()
    for ticket in tickets:
        if ticket.team is None:
            raise ValueError(f"ticket {ticket.id} names no team")
        row = _row(ticket, teams[ticket.team], source, now)
        key = (row["team_id"], row["external_id"])
        if key in keys or len(batch) >= BATCH:
            total.add(await _write(session, batch))
            batch, keys = [], set()
        batch.append(row)
        keys.add(key)
    if batch:
        total.add(await _write(session, batch))
    return total


def _row(ticket: TicketRow, team_id: int, source: str, now: datetime) -> dict[str, Any]:
    return {
        "team_id": team_id, "external_id": ticket.id, "created_at": ticket.created_at,
        "first_response_at": ticket.first_response_at, "solved_at": ticket.solved_at, "status": ticket.status,
        "channel": ticket.channel, "csat_good": ticket.csat_good, "reopens": ticket.reopens,
        "agent_replies": ticket.agent_replies, "sla_breached": ticket.sla_breached, "source": source,
        "updated_at": now,
    }


async def _write(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> UpsertCount:
    """One INSERT … ON CONFLICT DO UPDATE for rows with distinct keys. The update runs only where a column
    differs, and RETURNING names the rows written: new ones plus changed ones. Which were new: PostgreSQL
    says so itself (`xmax = 0` on a row this statement inserted); on SQLite a count of the keys already
    there, taken first, tells."""
    postgres = session.get_bind().dialect.name == "postgresql"
    existing = None if postgres else await _existing(session, rows)
    table = cast(Table, Ticket.__table__)
    values = (postgresql.insert if postgres else sqlite.insert)(table)
    excluded = values.excluded
    statement = values.on_conflict_do_update(
        index_elements=[table.c.team_id, table.c.external_id],
        set_={name: excluded[name] for name in (*COMPARED, "updated_at")},
        where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in COMPARED)),
    ).returning(literal_column("xmax = 0") if postgres else table.c.id)
    # executemany: one statement, compiled once and cached; SQLAlchemy sends the rows as insertmanyvalues
    connection = await session.connection()
    written = (await connection.execute(statement, list(rows))).all()
    if existing is None:
        imported = sum(1 for (inserted,) in written if inserted)
        existing = len(rows) - imported
    else:
        imported = len(rows) - existing
    updated = len(written) - imported
    return UpsertCount(imported=imported, updated=updated, unchanged=existing - updated)


async def _existing(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """How many of `rows` are already stored: one count per team in the batch (SQLite; the unique index
    on (team_id, external_id) answers it)."""
    by_team: dict[int, list[str]] = {}
    for row in rows:
        by_team.setdefault(row["team_id"], []).append(row["external_id"])
    found = 0
    for team_id, external_ids in by_team.items():
        found += (await session.scalar(
            select(func.count()).select_from(Ticket)
            .where(Ticket.team_id == team_id, Ticket.external_id.in_(external_ids))
        )) or 0
    return found
