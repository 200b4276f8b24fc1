"""The database's own INSERT, for `ON CONFLICT`: PostgreSQL's or SQLite's. Each dialect module is imported
only when a statement for it is built, so a SQLite deployment never loads PostgreSQL's (2 MB of RSS)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Table) -> Any:
    """`INSERT INTO table` in the dialect of the database `session` talks to."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
