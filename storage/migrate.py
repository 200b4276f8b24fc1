"""Alembic, driven from code so `supportbot db upgrade` and `supportbot run` need no alembic.ini."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 7_337_001  # PostgreSQL advisory lock: replicas starting together migrate one at a time
HEAD = max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
"""The latest revision, from the migrations' file names (a test checks it is alembic's head): a database already
there starts without loading alembic, half a second of every start."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    if revision == "head" and await current(engine) == HEAD:
        return
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current(engine: AsyncEngine) -> str | None:
    """The database's revision; None before the first migration."""
    try:
        async with engine.connect() as connection:
            found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except SQLAlchemyError:
        return None
    return str(found) if found is not None else None


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
