"""Upgrading keeps the previous release's data: a database made at revision 0002 (before stand-ups, pulse and
KPIs), filled with plain SQL as that release stored it, is upgraded to head with every row intact."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, Connection, DateTime, bindparam, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.seed import seed_escalation
from storage import directory, escalations
from storage.db import make_engine, session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import Escalation
from tests.kit.databases import scratch_postgres

PREVIOUS_HEAD = "0002"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
AT = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
NEW_TABLES = {"people", "standup_entries", "standup_days", "standup_away", "pulse_rounds", "pulse_participants",
              "pulse_answers", "pulse_comments", "tickets", "manual_metrics", "metric_alert_states",
              "metric_baselines"}


def _insert(connection: Connection, table: str, **row: Any) -> None:
    """One row, in plain SQL; values bound with the column types that release used."""
    types = {name: DateTime(timezone=True) if isinstance(value, datetime) else JSON() if isinstance(value, dict | list)
             else Boolean() if isinstance(value, bool) else None for name, value in row.items()}
    statement = text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + name for name in row)})")
    statement = statement.bindparams(*(bindparam(name, type_=kind) for name, kind in types.items() if kind is not None))
    connection.execute(statement, row)


def _id(connection: Connection, table: str, where: str, **values: Any) -> int:
    return int(connection.execute(text(f"SELECT id FROM {table} WHERE {where}"), values).scalar_one())


def _fill_previous_release(connection: Connection) -> None:
    """Two teams, their people and escalation paths, three escalations with timelines, posts and claims."""
    for key, name, zone in (("tier1", "Tier 1 Support", "America/New_York"), ("emea", "EMEA Support", "Europe/Berlin")):
        _insert(connection, "teams", key=key, name=name, timezone=zone, updated_at=AT,
                channels={"escalations": f"C0{key.upper()}ESC", "digest": f"C0{key.upper()}DIG"},
                settings={})
        team = _id(connection, "teams", "key = :key", key=key)
        people = (("A", "member"), ("B", "member"), ("M", "manager"))
        for user, role in ((f"U0{key.upper()}{letter}", role) for letter, role in people):
            _insert(connection, "team_members", team_id=team, user_id=user, role=role, active=True, since=AT)
        for position, (path, channel) in enumerate((("engineering", "C0ENG"), ("billing", "C0BILL"))):
            _insert(connection, "escalation_paths", team_id=team, key=path, name=path.title(),
                    channel=f"{channel}{key.upper()}", position=position, active=True)
    _insert(connection, "revisions", name="teams", number=7)
    tier1 = _id(connection, "teams", "key = 'tier1'")
    engineering = _id(connection, "escalation_paths", "team_id = :team AND key = 'engineering'", team=tier1)
    for number, status in enumerate(("resolved", "acknowledged", "open"), start=1):
        opened = AT + timedelta(hours=number)
        _insert(connection, "escalations", team_id=tier1, path_id=engineering, submission_key=f"view:V{number}",
                reporter="U0TIER1A", owner="U0TIER1B" if status != "open" else None, customer="ACME Corp",
                summary=f"Checkout fails <{number}> & more", details="Customers see 500s", status=status,
                tickets=[{"system": "zendesk", "id": str(1000 + number)}], severity="high", impact="several",
                urgency="today", priority="P2", opened_at=opened,
                acknowledged_at=opened + timedelta(minutes=10) if status != "open" else None,
                last_update_at=None, resolved_at=opened + timedelta(hours=3) if status == "resolved" else None,
                priority_changed_at=opened, ack_due=opened + timedelta(minutes=30),
                update_due=opened + timedelta(hours=2), resolve_due=opened + timedelta(hours=8),
                outcome="Rolled back" if status == "resolved" else None,
                root_cause="bug" if status == "resolved" else None,
                customer_told=True if status == "resolved" else None)
        escalation = _id(connection, "escalations", "submission_key = :key", key=f"view:V{number}")
        for kind in ("opened", "acknowledged", "resolved")[:4 - number]:
            _insert(connection, "escalation_events", escalation_id=escalation, at=opened, actor="U0TIER1A", kind=kind,
                    old=None, new=kind, note=None)
        for channel in ("C0ENGTIER1", "C0TIER1ESC"):
            _insert(connection, "escalation_posts", escalation_id=escalation, channel=channel,
                    ts=f"1700000000.00{number}", posted_event_id=1, shown_event_id=1)
            _insert(connection, "claims", key=f"esc:{escalation}:card:{channel}", claimed_at=opened, done_at=opened)
    _insert(connection, "claims", key="escalation-review:tier1:2026-10-05", claimed_at=AT, done_at=None)


TABLES = ("teams", "team_members", "escalation_paths", "revisions", "escalations", "escalation_events",
          "escalation_posts", "claims")


def _snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the previous release's tables, in a stable order: the previous release's columns only (a
    later release may add one, e.g. `escalation_events.customer_visible`)."""
    return {table: sorted(tuple(map(str, row)) for row in connection.execute(
        text(f"SELECT {', '.join(PREVIOUS_COLUMNS.get(table, ['*']))} FROM {table}"))) for table in TABLES}


PREVIOUS_COLUMNS = {"escalation_events": ["id", "escalation_id", "at", "actor", "kind", "old", "new", "note"],
                    "escalations": [column.name for column in Escalation.__table__.columns
                                    if column.name not in ("paused_at", "pauses", "paging_failure", "merged_into",
                                                           "merged_from")]}


def _revision(connection: Connection) -> str:
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


async def _upgrade_keeps_everything(engine: AsyncEngine) -> None:
    await upgrade(engine, PREVIOUS_HEAD)
    async with engine.begin() as connection:
        assert await connection.run_sync(_revision) == PREVIOUS_HEAD
        await connection.run_sync(_fill_previous_release)
    async with engine.connect() as connection:
        before = await connection.run_sync(_snapshot)

    await upgrade(engine)

    async with engine.connect() as connection:
        after = await connection.run_sync(_snapshot)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        revision = await connection.run_sync(_revision)
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert after == before
    async with engine.connect() as connection:  # 0016: no escalation was waiting on a customer
        paused = (await connection.execute(text("SELECT paused_at, pauses FROM escalations"))).all()
    assert paused and all(at is None and str(pauses) == "[]" for at, pauses in paused)
    assert {table: len(rows) for table, rows in after.items()} == {
        "teams": 2, "team_members": 6, "escalation_paths": 4, "revisions": 1, "escalations": 3,
        "escalation_events": 6, "escalation_posts": 6, "claims": 7}
    assert tables >= NEW_TABLES
    await _the_new_release_reads_and_extends_it(engine)


async def _the_new_release_reads_and_extends_it(engine: AsyncEngine) -> None:
    """The upgraded data works: the directory loads, old escalations read back, a new one is numbered after them."""
    async with session_factory(engine)() as session:
        teams = await directory.load(session)
        tier1 = teams.find("tier1")
        assert tier1 is not None
        assert sorted(tier1.managers) == ["U0TIER1M"]
        assert [p.key for p in tier1.active_paths] == ["engineering", "billing"]
        old = await escalations.get(session, 1)
        assert old is not None and old.status == "resolved" and old.outcome == "Rolled back"
        await session.refresh(old, ["posts"])  # `get` leaves them out (a click never reads them)
        assert old.resolved_at == AT + timedelta(hours=4) and len(old.posts) == 2
        fresh = await seed_escalation(session, tier1, now=AT + timedelta(days=1), summary="After the upgrade")
        assert fresh.ref == "ESC-4"


def test_sqlite_upgrade_from_the_previous_release_keeps_every_row(tmp_path: Path) -> None:
    async def check() -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'previous.db'}")
        try:
            await _upgrade_keeps_everything(engine)
        finally:
            await engine.dispose()

    asyncio.run(check())


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only when TEST_DATABASE_URL is set")
def test_postgresql_upgrade_from_the_previous_release_keeps_every_row() -> None:
    assert TEST_DATABASE_URL is not None
    with scratch_postgres(TEST_DATABASE_URL, "supportbot_upgrade") as url:
        async def check() -> None:
            engine = make_engine(url)
            try:
                await _upgrade_keeps_everything(engine)
            finally:
                await engine.dispose()

        asyncio.run(check())
