"""Migrations build, from an empty database, exactly the schema the models declare (both databases)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import Base


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, Base.metadata))


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _check(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # a second run is a no-op
        async with engine.connect() as connection:
            diff = await connection.run_sync(_schema_diff)
            revision = await connection.run_sync(_current)
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert diff == []
    assert revision == head
    assert {"teams", "team_members", "escalation_paths", "claims"} <= tables


async def test_sqlite_migrates_up_from_empty(tmp_path: Path) -> None:
    await _check(f"sqlite:///{tmp_path / 'empty.db'}")


async def test_the_test_database_migrated_up_from_empty(database_url: str) -> None:
    """On PostgreSQL (TEST_DATABASE_URL) the session database was created empty and migrated."""
    await _check(database_url)


async def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
            timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
    finally:
        await engine.dispose()
    assert (journal, keys, timeout) == ("wal", 1, 30000)


def test_the_head_read_from_file_names_is_alembics() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == migrate.HEAD


async def test_a_database_at_head_starts_without_loading_alembic(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'at-head.db'}")
    try:
        assert await migrate.current(engine) is None
        await upgrade(engine)
        assert await migrate.current(engine) == migrate.HEAD
        code = ("import asyncio, sys; from storage.db import make_engine; from storage.migrate import upgrade; "
                f"asyncio.run(upgrade(make_engine('sqlite:///{tmp_path / 'at-head.db'}'))); "
                "sys.exit(1 if 'alembic' in sys.modules else 0)")
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code], check=False, timeout=60)
        assert done.returncode == 0
    finally:
        await engine.dispose()


async def test_a_sqlite_deployment_never_loads_postgresqls_dialect_or_driver(tmp_path: Path) -> None:
    """`storage.dialect` imports a dialect's INSERT only for the database in use: 2 MB less RSS on SQLite. (The
    file is migrated here first: alembic, which a start at head never loads, imports every dialect.)"""
    url = f"sqlite:///{tmp_path / 'sqlite-only.db'}"
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    code = ("import asyncio, sys\n"
            "from datetime import UTC, datetime\n"
            "import bot.app, bot.cli, handlers\n"
            "from bot.rules.people import Person\n"
            "from storage import claims, people\n"
            "from storage.db import make_engine, session_factory\n"
            "from storage.migrate import upgrade\n"
            "async def main():\n"
            f"    engine = make_engine({url!r})\n"
            "    await upgrade(engine)\n"
            "    now = datetime.now(UTC)\n"
            "    async with session_factory(engine)() as session:\n"
            "        assert await claims.record(session, 'k', now=now)\n"
            "        assert not await claims.record(session, 'k', now=now)\n"
            "        await people.remember(session, [Person('U1', 'Ann', 'UTC')], now=now)\n"
            "    await engine.dispose()\n"
            "asyncio.run(main())\n"
            "loaded = sorted({'alembic', 'asyncpg', 'sqlalchemy.dialects.postgresql'} & set(sys.modules))\n"
            "sys.exit(f'loaded on SQLite: {loaded}' if loaded else 0)\n")
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code], check=False, timeout=60,
                                   capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
