"""The database's own INSERT, for `ON CONFLICT`: PostgreSQL's or SQLite's. Each dialect module is imported
only when a statement for it is built, so a SQLite deployment never loads PostgreSQL's (2 MB of RSS).

Shared state is written without reading it first: two replicas (or two ticks) that both read "nothing there"
would both insert, and the second would fail on the unique key. `upsert` and `put` write whichever is first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def insert(session: AsyncSession, table: Table) -> Any:
    """`INSERT INTO table` in the dialect of the database `session` talks to."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def table_of(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


async def upsert(session: AsyncSession, model: type[DeclarativeBase], row: Mapping[str, Any],
                 keys: Sequence[str]) -> None:
    """Insert `row`, or set the stored row with the same `keys` (a unique key) to it: one `INSERT … ON
    CONFLICT DO UPDATE` (not committed)."""
    table = table_of(model)
    statement = insert(session, table).values(dict(row))
    await session.execute(statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={name: statement.excluded[name] for name in row if name not in keys}))


async def put(session: AsyncSession, model: type[DeclarativeBase], row: Mapping[str, Any],
              keys: Sequence[str]) -> bool:
    """`upsert`, saying whether a row with these `keys` was there already (True: it was replaced): an
    `INSERT … ON CONFLICT DO NOTHING`, then an `UPDATE` when it inserted nothing (not committed)."""
    table = table_of(model)
    inserted = await session.execute(insert(session, table).values(dict(row))
                                     .on_conflict_do_nothing(index_elements=[table.c[key] for key in keys])
                                     .returning(table.c[keys[0]]))
    if inserted.first() is not None:
        return False
    await session.execute(update(table).where(*(table.c[key] == row[key] for key in keys))
                          .values({name: value for name, value in row.items() if name not in keys}))
    return True
