"""Data safety: SQLite in WAL with foreign keys enforced, and no secret ever written to a log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.app import Supportbot
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import SecretsInLogs, TeamPeople
from tests.kit.fake_slack import FakeSlack

AT = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


async def test_every_sqlite_connection_runs_in_wal_with_foreign_keys_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        async with engine.connect() as first, engine.connect() as second:  # two pooled connections
            for connection in (first, second):
                pragmas = [(await connection.execute(text(f"PRAGMA {name}"))).scalar()
                           for name in ("journal_mode", "foreign_keys", "busy_timeout")]
                assert pragmas == ["wal", 1, 30000]
    finally:
        await engine.dispose()


async def test_sqlite_refuses_a_row_pointing_at_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        await upgrade(engine)
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text(
                    "INSERT INTO team_members (team_id, user_id, role, active, since) "
                    "VALUES (404, 'U0NOBODY', 'member', 1, '2026-11-02 14:00:00.000000')"))
    finally:
        await engine.dispose()


def test_the_log_scan_catches_a_token_or_a_known_secret(secret_scan: SecretsInLogs) -> None:
    before = len(secret_scan.leaks)
    log = logging.getLogger("handlers.data_safety_probe")
    log.warning("calling Slack with %s", "xoxb-1234-5678-abcdef")
    log.warning("webhook token was %r", "whk-3f9c2a7e5d1b")
    log.debug("nothing to see: the SLACK_BOT_TOKEN starts with xoxb-")
    try:
        raise RuntimeError("xapp-1-A0APP-secret")
    except RuntimeError:
        log.exception("a failure whose text holds a token")
    try:
        assert len(secret_scan.leaks) - before == 3
    finally:
        del secret_scan.leaks[before:]  # the probe's own records must not fail the session


async def test_slack_traffic_is_scanned_at_debug(app: Supportbot, slack: FakeSlack, team: TeamPeople,
                                                 secret_scan: SecretsInLogs) -> None:
    """The Slack client's request log (DEBUG) reaches the scan, and holds no token."""
    before, leaks = secret_scan.seen, len(secret_scan.leaks)
    await app.services.client.chat_postMessage(channel=team.agent, text="hello")
    assert secret_scan.seen > before
    assert len(secret_scan.leaks) == leaks
