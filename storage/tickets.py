"""Helpdesk tickets (DESIGN.md 3.3): upserted by (team, the helpdesk's ticket ID), so importing an export
twice, or a newer export of the same tickets, never counts a ticket twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.ticket_rows import TicketRow
from storage.kpi_models import Ticket
from storage.models import Team

BATCH = 1000
"""Tickets per statement (PostgreSQL): 14 values each stays far below asyncpg's bound-parameter limit."""
SQLITE_BATCH = 5000
"""Tickets per `executemany` (SQLite, where each row is its own statement: no limit but memory)."""
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


def batch_size(session: AsyncSession) -> int:
    """How many tickets to give `upsert` between two commits."""
    return SQLITE_BATCH if session.get_bind().dialect.name == "sqlite" else BATCH


async def team_ids(session: AsyncSession) -> dict[str, int]:
    """Every team's key and id."""
    rows = await session.execute(select(Team.key, Team.id))
    return {key: team_id for key, team_id in rows.all()}


async def upsert(session: AsyncSession, tickets: Iterable[TicketRow], *, teams: Mapping[str, int], source: str,
                 now: datetime, columns: Sequence[str] = COMPARED) -> UpsertCount:
    """Insert or update `tickets` (each names a team in `teams`), `BATCH` at a time; the caller commits.
    A ticket that appears twice is written in order: the later one wins and counts as an update. A ticket
    already stored has only `columns` (of `COMPARED`) changed, the rest kept: a new one gets every column."""
    columns = tuple(columns)
    if session.get_bind().dialect.name == "sqlite":
        return await _upsert_sqlite(session, tickets, teams=teams, source=source, now=now, columns=columns)
    total = UpsertCount()
    batch: list[dict[str, Any]] = []
    keys: set[tuple[int, str]] = set()
    for ticket in tickets:
        if ticket.team is None:
            raise ValueError(f"ticket {ticket.id} names no team")
        row = _row(ticket, teams[ticket.team], source, now)
        key = (row["team_id"], row["external_id"])
        if key in keys or len(batch) >= BATCH:
            total.add(await _write(session, batch, columns))
            batch, keys = [], set()
        batch.append(row)
        keys.add(key)
    if batch:
        total.add(await _write(session, batch, columns))
    return total


def _row(ticket: TicketRow, team_id: int, source: str, now: datetime) -> dict[str, Any]:
    return {
        "team_id": team_id, "external_id": ticket.id, "created_at": ticket.created_at,
        "first_response_at": ticket.first_response_at, "solved_at": ticket.solved_at, "status": ticket.status,
        "channel": ticket.channel, "csat_good": ticket.csat_good, "reopens": ticket.reopens,
        "agent_replies": ticket.agent_replies, "sla_breached": ticket.sla_breached, "source": source,
        "updated_at": now,
    }


async def _write(session: AsyncSession, rows: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> UpsertCount:
    """PostgreSQL: one INSERT … ON CONFLICT DO UPDATE for rows with distinct keys. The update runs only where
    a column differs, and RETURNING names the rows written: new ones plus changed ones; PostgreSQL says which
    were new itself (`xmax = 0` on a row this statement inserted)."""
    from sqlalchemy.dialects import postgresql  # loaded only on PostgreSQL (see storage.dialect)

    table = cast(Table, Ticket.__table__)
    values = postgresql.insert(table)
    excluded = values.excluded
    statement: Any = values.on_conflict_do_update(
        index_elements=[table.c.team_id, table.c.external_id],
        set_={name: excluded[name] for name in (*columns, "updated_at")},
        where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in columns)),
    ).returning(literal_column("xmax = 0"))
    # executemany: one statement, compiled once and cached; SQLAlchemy sends the rows as insertmanyvalues
    connection = await session.connection()
    written = (await connection.execute(statement, list(rows))).all()
    imported = sum(1 for (inserted,) in written if inserted)
    updated = len(written) - imported
    return UpsertCount(imported=imported, updated=updated, unchanged=len(rows) - imported - updated)


@lru_cache(maxsize=64)
def _sqlite_upsert(columns: tuple[str, ...] = COMPARED) -> str:
    """The upsert `_write` sends, for one row with positional parameters in `COLUMNS` order (SQLite),
    changing `columns` of a stored ticket."""
    from sqlalchemy.dialects import sqlite

    table = cast(Table, Ticket.__table__)
    values = sqlite.insert(table).values({name: bindparam(name) for name in COLUMNS})
    statement = values.on_conflict_do_update(
        index_elements=[table.c.team_id, table.c.external_id],
        set_={name: values.excluded[name] for name in (*columns, "updated_at")},
        where=or_(*(table.c[name].is_distinct_from(values.excluded[name]) for name in columns)),
    )
    compiled = statement.compile(dialect=sqlite.dialect())
    assert tuple(compiled.positiontup or ()) == COLUMNS, compiled.positiontup
    return str(compiled)


COLUMNS = ("team_id", "external_id", "created_at", "first_response_at", "solved_at", "status", "channel",
           "csat_good", "reopens", "agent_replies", "sla_breached", "source", "updated_at")
SQLITE_UPSERT = _sqlite_upsert()


def _stamp(value: datetime | None) -> str | None:
    """A time as SQLAlchemy stores it in SQLite (`UTCDateTime`: UTC, then `YYYY-MM-DD HH:MM:SS.ffffff`)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


async def _upsert_sqlite(session: AsyncSession, tickets: Iterable[TicketRow], *, teams: Mapping[str, int],
                         source: str, now: datetime, columns: tuple[str, ...]) -> UpsertCount:
    """SQLite: the rows go to the driver's `executemany` as they are stored (no per-row statement or type
    processing in SQLAlchemy), `SQLITE_BATCH` at a time. Each row is its own upsert, in order, so a ticket that
    appears twice needs no care. What happened is told by the changes (inserted plus updated rows) and by
    how many rows have an id above the largest one before (new rows: SQLite gives them the next ids)."""
    total, stamp, batch = UpsertCount(), _stamp(now), []
    for ticket in tickets:
        if ticket.team is None:
            raise ValueError(f"ticket {ticket.id} names no team")
        batch.append((teams[ticket.team], ticket.id, _stamp(ticket.created_at), _stamp(ticket.first_response_at),
                      _stamp(ticket.solved_at), ticket.status, ticket.channel, ticket.csat_good, ticket.reopens,
                      ticket.agent_replies, ticket.sla_breached, source, stamp))
        if len(batch) >= SQLITE_BATCH:
            total.add(await _write_sqlite(session, batch, columns))
            batch = []
    if batch:
        total.add(await _write_sqlite(session, batch, columns))
    return total


async def _write_sqlite(session: AsyncSession, rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> UpsertCount:
    connection = await session.connection()
    last = (await connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM tickets")).scalar_one()
    statement = SQLITE_UPSERT if columns == COMPARED else _sqlite_upsert(columns)
    changed = (await connection.exec_driver_sql(statement, rows)).rowcount
    imported = (await connection.exec_driver_sql("SELECT count(*) FROM tickets WHERE id > ?", (last,))).scalar_one()
    updated = changed - imported
    return UpsertCount(imported=imported, updated=updated, unchanged=len(rows) - changed)


def _named(ids: Sequence[str]) -> ColumnElement[bool]:
    """The tickets a link naming one of `ids` means: by their id, or by the helpdesk's other id (`helpdesk_id`)."""
    return or_(Ticket.external_id.in_(ids), Ticket.helpdesk_id.in_(ids))


async def assignee_emails(session: AsyncSession, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The assignee's email of each (helpdesk kind, ticket id) stored with one, whichever team it is routed to."""
    ids = sorted({ident for _kind, ident in wanted})
    if not ids:
        return {}
    rows = (await session.execute(select(Ticket.source, Ticket.external_id, Ticket.helpdesk_id, Ticket.assignee_email)
                                  .where(_named(ids), Ticket.assignee_email.is_not(None)))).all()
    found = {(str(source), str(ident)): str(email) for source, number, other, email in rows
             for ident in (number, other) if ident is not None}
    return {key: found[key] for key in wanted if key in found}


async def customer_replies(session: AsyncSession, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """When the customer last replied in each (helpdesk kind, ticket id) stored with a reply, whichever team it is
    routed to (the latest, if two teams hold it)."""
    ids = sorted({ident for _kind, ident in wanted})
    if not ids:
        return {}
    rows = (await session.execute(select(Ticket.source, Ticket.external_id, Ticket.helpdesk_id,
                                         Ticket.customer_replied_at)
                                  .where(_named(ids), Ticket.customer_replied_at.is_not(None)))).all()
    found: dict[tuple[str, str], datetime] = {}
    for source, number, other, at in rows:
        for key in ((str(source), str(ident)) for ident in (number, other) if ident is not None):
            if at is not None and (key not in found or at > found[key]):
                found[key] = at
    return {key: found[key] for key in wanted if key in found}
