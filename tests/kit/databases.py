"""Scratch PostgreSQL databases for tests: created empty, dropped afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine


async def postgres_admin(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE, TRUNCATE)."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def scratch_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`; its URL while the block runs."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
