"""Anonymity, checked in the database itself (SQLite and PostgreSQL): no row holding an answer or a
comment holds anything that identifies or orders the person who gave it."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, DateTime, inspect, text

from bot.app import Supportbot
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.pulse_steps import NEW_YORK_ASK, OPENS, answer, pulse_team, tick

ANSWER_TABLES = {"pulse_answers": {"id", "round_id", "question", "value"},
                 "pulse_comments": {"id", "round_id", "text"}}
SUBMISSIONS = [((5, 4, 4, 3), 10), ((4, 4, 3, 3), 8), ((3, 2, 4, 4), 6), ((4, 3, 5, 2), 4), ((2, 3, 3, 4), 2),
               ((5, 5, 4, 5), 0)]


def derived(user_id: str) -> set[str]:
    """A member's ID and what could be derived from it: hashes (hex, any case) and encodings."""
    raw = user_id.encode()
    found = {user_id.lower(), base64.b64encode(raw).decode().lower().rstrip("="), raw.hex()}
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "sha3_256"):
        digest = hashlib.new(name, raw)
        found |= {digest.hexdigest(), digest.hexdigest()[:16], base64.b64encode(digest.digest()).decode().lower()}
    return found


def _rows(connection: Connection, table: str) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]


def _columns(connection: Connection, table: str) -> list[dict[str, Any]]:
    return list(inspect(connection).get_columns(table))


async def _submit_six(app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> list[str]:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score) in zip(team.members, SUBMISSIONS, strict=True):
        await answer(bot, slack, member, scores, score, comment=f"comment number {score}")
    return list(team.members)


async def test_answer_rows_hold_nothing_that_identifies_or_orders_a_person(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    members = await _submit_six(app, slack, bot, clock)
    async with app.services.engine.connect() as connection:
        for table, expected in ANSWER_TABLES.items():
            columns = await connection.run_sync(_columns, table)
            assert {c["name"] for c in columns} == expected, table
            assert not [c["name"] for c in columns if isinstance(c["type"], DateTime)], table
            rows = await connection.run_sync(_rows, table)
            assert rows, table
            forbidden = set().union(*(derived(m) for m in members))
            for row in rows:
                for column, value in row.items():
                    cell = str(value).lower()
                    assert not any(f in cell for f in forbidden), (table, column)
        answers = await connection.run_sync(_rows, "pulse_answers")
    assert len(answers) == 6 * 5
    assert all(len(row["id"]) == 32 and int(row["id"], 16) >= 0 for row in answers)
    # The keys are random: the rows sorted by key are not the submissions in order.
    by_key = [(row["question"], row["value"]) for row in sorted(answers, key=lambda r: r["id"])]
    in_order = [(q, v) for scores, score in SUBMISSIONS for q, v in enumerate((*scores, score))]
    assert by_key != in_order and sorted(by_key) == sorted(in_order)


async def test_every_write_renews_the_whole_rounds_keys(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                                        clock: Clock) -> None:
    """So no key tells when its answer came in: after any submission, all keys are that moment's."""
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    seen: list[set[str]] = []
    for member, (scores, score) in zip(team.members, SUBMISSIONS, strict=True):
        await answer(bot, slack, member, scores, score, comment="x")
        async with app.services.engine.connect() as connection:
            rows = await connection.run_sync(_rows, "pulse_answers")
            comments = await connection.run_sync(_rows, "pulse_comments")
        keys = {row["id"] for row in rows} | {row["id"] for row in comments}
        assert not any(keys & earlier for earlier in seen)
        seen.append(keys)


async def test_the_database_keeps_no_insertion_order_for_answers(app: Supportbot, slack: FakeSlack,
                                                                 bot: SlackDriver, clock: Clock) -> None:
    """SQLite: the answer tables have no rowid. PostgreSQL: every answer row of the round was written by
    one transaction (one xmin), so the transaction ids cannot pair an answer with a participation."""
    await _submit_six(app, slack, bot, clock)
    async with app.services.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            for table in ANSWER_TABLES:
                with pytest.raises(Exception, match="rowid"):
                    await connection.execute(text(f"SELECT rowid FROM {table}"))
                await connection.rollback()
        else:
            for table in ANSWER_TABLES:
                writers = (await connection.execute(text(f"SELECT DISTINCT xmin::text FROM {table}"))).all()
                assert len(writers) == 1, table
            participants = (await connection.execute(text(
                "SELECT DISTINCT xmin::text FROM pulse_participants WHERE answered"))).all()
            assert len(participants) == 6  # each participation was its own transaction


async def test_participation_is_a_separate_record_without_answers(app: Supportbot, slack: FakeSlack,
                                                                  bot: SlackDriver, clock: Clock) -> None:
    members = await _submit_six(app, slack, bot, clock)
    async with app.services.engine.connect() as connection:
        columns = {c["name"] for c in await connection.run_sync(_columns, "pulse_participants")}
        rows = await connection.run_sync(_rows, "pulse_participants")
    assert columns == {"round_id", "user_id", "answered"}
    assert sorted(r["user_id"] for r in rows if r["answered"]) == sorted(members)


async def test_logs_never_hold_an_answer(app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await _submit_six(app, slack, bot, clock)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "comment number" not in logged
    assert not any(m in logged for m in ("U0P1", "U0P2", "U0P3", "U0P4", "U0P5", "U0P6"))
