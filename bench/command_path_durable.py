"""bare+sql, the third server of `bench.command_path`: the floor of a durable, exactly-once writing path.

The bare app stores nothing; supportbot stores every change and sends each Slack message exactly once (its
claim row committed before the send, completed after). bare+sql is the bare app's listeners (the same Slack
calls with the same fixed content, `bench.command_path_paths`) plus the fewest durable writes those same
guarantees need, in hand-written SQL straight through the driver (raw `aiosqlite` or raw `asyncpg`: no
SQLAlchemy, no ORM). supportbot ÷ bare+sql is what our code costs beyond the guarantees themselves; bare+sql ÷
bare is what the guarantees cost.

Its schema is a small copy of supportbot's (`storage.models`), only the columns these writes need: escalations
(unique submission key), escalation_events, escalation_posts, claims (key primary key, claimed_at, done_at).
It is created at the server's start in a database of its own, and dropped at its end: a SQLite file of its own
(the pragmas of `storage.db`: WAL, foreign keys, busy timeout 30 s, synchronous NORMAL), or a schema of its own
(`bare_sql`) in supportbot's PostgreSQL database. Its connections are lent to one transaction (or one read) at
a time, as SQLAlchemy's pool lends supportbot's sessions theirs: 5 on PostgreSQL (SQLAlchemy's pool_size), a
single one on SQLite (one writer at a time: more connections only wait for its lock, and cost CPU per request
in trials with 5 and 15). Per request:

- submit: INSERT the escalation (`ON CONFLICT (submission_key) DO NOTHING RETURNING id`: a repeated submission
  does nothing more), its "opened" event, the claims of both cards (one statement); then for each card
  `chat.postMessage` and INSERT its post row + UPDATE its claim done; then INSERT the DM's claim;
  `chat.getPermalink`, `chat.postMessage`, UPDATE the claim done. 3 statements, then 2 ×2, 1, 1: 5 commits.
- acknowledge: SELECT the escalation's status and owner (no transaction); INSERT the event, UPDATE the
  escalation (status, owner, acknowledged_at), INSERT both replies' claims (one statement; their keys carry the
  new event's id); the two `chat.update`; each reply's `chat.postMessage` then UPDATE its claim done, the first
  with the UPDATE of both posts' shown_event_id. 1 read, then 3, 2, 1 statements: 3 commits. Each press is on
  an escalation of its own: `--seed` of them (enough for SQL_ACK_RATE presses a second; open, with their event
  and two posts) are written in bulk at the start, numbered 1 … seed, and the benchmark sends each number once,
  as it sends each of supportbot's open escalations (logged through its form) once.
- /escalate stores nothing in supportbot either: bare+sql does not serve it (bare is its floor).

A Slack call that fails leaves its claim unfinished (supportbot's would be released or taken over later):
the fake Slack never fails, and nothing here retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bench.command_path_paths import (
    ACKNOWLEDGE,
    CARD_TS,
    CHANNELS,
    ESCALATION_FORM,
    FORM,
    post_card,
    reply,
    send_link,
    update_card,
)

if TYPE_CHECKING:
    import aiosqlite
    import asyncpg

BARE_SQL = "bare+sql"  # the server's name
PATHS = ("submit", "acknowledge")  # the paths bare+sql is loaded on
SQLITE_POOL = 1  # connections: SQLite has one writer at a time, more only wait for its lock (and cost CPU)
POSTGRES_POOL = 5  # SQLAlchemy's default pool_size, which supportbot keeps
SQL_ACK_RATE = 1000.0  # acknowledgements per second to seed escalations for (above the bare app's rate)
SCHEMA = "bare_sql"  # PostgreSQL

TABLES = """
CREATE TABLE escalations (
    id {autoincrement}, submission_key VARCHAR(255) NOT NULL UNIQUE, reporter VARCHAR(32) NOT NULL,
    owner VARCHAR(32), customer VARCHAR(200) NOT NULL, summary VARCHAR(150) NOT NULL, status VARCHAR(16) NOT NULL,
    opened_at {time} NOT NULL, acknowledged_at {time});
CREATE TABLE escalation_events (
    id {serial}, escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    at {time} NOT NULL, actor VARCHAR(32) NOT NULL, kind VARCHAR(32) NOT NULL);
CREATE INDEX ix_escalation_events_escalation_id ON escalation_events (escalation_id);
CREATE TABLE escalation_posts (
    id {serial}, escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    channel VARCHAR(32) NOT NULL, ts VARCHAR(32) NOT NULL, shown_event_id INTEGER NOT NULL,
    UNIQUE (escalation_id, channel));
CREATE TABLE claims (key VARCHAR(255) PRIMARY KEY, claimed_at {time} NOT NULL, done_at {time});
"""
SQLITE_TYPES = {"autoincrement": "INTEGER PRIMARY KEY AUTOINCREMENT", "serial": "INTEGER PRIMARY KEY",
                "time": "DATETIME"}  # supportbot's escalation numbers are never reused (sqlite_autoincrement)
POSTGRES_TYPES = {"autoincrement": "SERIAL PRIMARY KEY", "serial": "SERIAL PRIMARY KEY",
                  "time": "TIMESTAMP WITH TIME ZONE"}

# The statements, in PostgreSQL's $n placeholders (SQLite's ?n once rewritten).
ESCALATION = ("INSERT INTO escalations (submission_key, reporter, customer, summary, status, opened_at) "
              "VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT (submission_key) DO NOTHING RETURNING id")
EVENT = "INSERT INTO escalation_events (escalation_id, at, actor, kind) VALUES ($1, $2, $3, $4) RETURNING id"
CLAIMS = "INSERT INTO claims (key, claimed_at) VALUES ($1, $3), ($2, $3) ON CONFLICT (key) DO NOTHING RETURNING key"
CLAIM = "INSERT INTO claims (key, claimed_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key"
POST = "INSERT INTO escalation_posts (escalation_id, channel, ts, shown_event_id) VALUES ($1, $2, $3, $4)"
DONE = "UPDATE claims SET done_at = $2 WHERE key = $1"
STATUS = "SELECT status, owner FROM escalations WHERE id = $1"
ACKNOWLEDGED = "UPDATE escalations SET status = 'acknowledged', owner = $2, acknowledged_at = $3 WHERE id = $1"
SHOWN = "UPDATE escalation_posts SET shown_event_id = $2 WHERE escalation_id = $1"
SEED_ESCALATIONS = ("INSERT INTO escalations (submission_key, reporter, customer, summary, status, opened_at) "
                    "VALUES ($1, $2, $3, $4, 'open', $5)")
SEED_EVENTS = ("INSERT INTO escalation_events (escalation_id, at, actor, kind) "
               "SELECT id, opened_at, reporter, 'opened' FROM escalations ORDER BY id")
SEED_POSTS = ("INSERT INTO escalation_posts (escalation_id, channel, ts, shown_event_id) "
              "SELECT escalation_id, $1, $2, id FROM escalation_events")


class Connection(Protocol):
    """One driver connection: statements in $n placeholders; a transaction is begin … commit/rollback."""

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]: ...
    async def execute(self, sql: str, *args: Any) -> None: ...
    async def begin(self) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


@functools.cache
def qmark(sql: str) -> str:
    """$n placeholders as SQLite's ?n."""
    return re.sub(r"\$(\d+)", r"?\1", sql)


class SqliteConnection:
    """aiosqlite: each call one hop to the connection's thread; sqlite3 opens the transaction itself at the
    first INSERT or UPDATE (its default isolation level, as supportbot's engine)."""

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        return list(await self.raw.execute_fetchall(qmark(sql), args))

    async def execute(self, sql: str, *args: Any) -> None:
        await self.raw.execute_fetchall(qmark(sql), args)

    async def begin(self) -> None:
        pass

    async def commit(self) -> None:
        await self.raw.commit()

    async def rollback(self) -> None:
        await self.raw.rollback()

    async def close(self) -> None:
        await self.raw.close()


class PostgresConnection:
    """asyncpg: statements prepared once per connection (its statement cache), BEGIN … COMMIT."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw
        self.transaction: Any = None

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        rows: list[Any] = await self.raw.fetch(sql, *args)
        return rows

    async def execute(self, sql: str, *args: Any) -> None:
        await self.raw.execute(sql, *args)

    async def begin(self) -> None:
        self.transaction = self.raw.transaction()
        await self.transaction.start()

    async def commit(self) -> None:
        await self.transaction.commit()

    async def rollback(self) -> None:
        await self.transaction.rollback()

    async def close(self) -> None:
        await self.raw.close()


class Database:
    """bare+sql's database: a few connections, each lent to one transaction (or read) at a time."""

    def __init__(self, url: str, connections: list[Connection]) -> None:
        self.url, self.postgres, self.connections = url, not url.startswith("sqlite"), connections
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)

    @classmethod
    async def open(cls, url: str) -> Database:
        """Connect to a fresh database: an empty SQLite file, or an empty schema of its own in PostgreSQL."""
        connections: list[Connection] = []
        if url.startswith("sqlite"):
            import aiosqlite

            remove_sqlite(url)
            for _ in range(SQLITE_POOL):
                raw = await aiosqlite.connect(sqlite_path(url), timeout=30)
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
                    await raw.execute_fetchall(f"PRAGMA {pragma}")
                connections.append(SqliteConnection(raw))
        else:
            import asyncpg

            admin = await asyncpg.connect(url)
            try:
                await admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
            finally:
                await admin.close()
            for _ in range(POSTGRES_POOL):
                connections.append(PostgresConnection(await asyncpg.connect(
                    url, server_settings={"search_path": SCHEMA})))
        return cls(url, connections)

    def now(self) -> Any:
        """The time as each driver binds it: an aware datetime (asyncpg), text as SQLAlchemy writes it (SQLite)."""
        now = datetime.now(UTC)
        return now if self.postgres else now.replace(tzinfo=None).isoformat(" ", "microseconds")

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        connection = await self.idle.get()
        try:
            yield connection
        finally:
            self.idle.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection in a transaction, committed at the block's end (rolled back if it raises)."""
        async with self.connection() as connection:
            await connection.begin()
            try:
                yield connection
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()

    async def create(self, seed: int) -> None:
        """The tables, then `seed` open escalations numbered 1 … seed, each with its event and two posts."""
        ddl = TABLES.format(**(POSTGRES_TYPES if self.postgres else SQLITE_TYPES))
        async with self.connection() as connection:
            if self.postgres:
                await connection.execute(ddl)
            else:
                assert isinstance(connection, SqliteConnection)
                await connection.raw.executescript(ddl)
        if not seed:
            return
        now, rows = self.now(), [(f"seed:{n}", "U0REPORTER", FORM["customer"], FORM["summary"]) for n in
                                 range(1, seed + 1)]
        async with self.transaction() as db:
            if isinstance(db, PostgresConnection):
                await db.raw.executemany(SEED_ESCALATIONS, [(*row, now) for row in rows])
            else:
                assert isinstance(db, SqliteConnection)
                await db.raw.executemany(qmark(SEED_ESCALATIONS), [(*row, now) for row in rows])
            await db.execute(SEED_EVENTS)
            for channel in CHANNELS:
                await db.execute(SEED_POSTS, channel, CARD_TS)
            numbers = await db.fetch("SELECT min(id), max(id), count(*) FROM escalations")
        if tuple(numbers[0]) != (1, seed, seed):
            raise RuntimeError(f"seeded escalations are not numbered 1 … {seed}: {tuple(numbers[0])}")

    async def drop(self) -> None:
        """Drop what `open` and `create` made, and disconnect."""
        if self.postgres:
            async with self.connection() as connection:
                await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        for connection in self.connections:
            await connection.close()
        if not self.postgres:
            remove_sqlite(self.url)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def remove_sqlite(url: str) -> None:
    """The SQLite database file of `url` and its WAL files, gone."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path(url)}{suffix}").unlink(missing_ok=True)


def sql_url(database: str, url: str, folder: Path) -> str:
    """Where bare+sql keeps its data: a SQLite file of its own beside supportbot's, or supportbot's PostgreSQL
    database (in a schema of its own)."""
    return f"sqlite:///{folder / 'bare_sql.db'}" if database == "SQLite" else url


def seed_size(path: str, pool: int, rounds: int, seconds: float, warm_up: float) -> int:
    """How many open escalations to seed for the Acknowledge presses of a run on `path` (none without them)."""
    if path not in ("acknowledge", "all"):
        return 0
    return max(pool, int(SQL_ACK_RATE * (rounds * seconds + min(warm_up, seconds)) * 1.2))


def register_bare_sql(bolt: Any, database: Database) -> None:
    """bare+sql's listeners: the bare app's Slack calls, with the durable writes of the module docstring."""
    from slack_bolt.async_app import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient

    @bolt.view(ESCALATION_FORM)
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, now = body["user"]["id"], database.now()
        async with database.transaction() as db:
            made = await db.fetch(ESCALATION, body["view"]["id"], user, FORM["customer"], FORM["summary"], now)
            if not made:
                return  # a repeated submission: its escalation exists, its messages are claimed
            number = made[0][0]
            event = (await db.fetch(EVENT, number, now, user, "opened"))[0][0]
            cards = {f"esc:{number}:card:{channel}": channel for channel in CHANNELS}
            claimed = {row[0] for row in await db.fetch(CLAIMS, *cards, now)}
        posted: dict[str, str] = {}
        for key, channel in cards.items():
            if key in claimed:
                posted[channel] = await post_card(client, channel)
                async with database.transaction() as db:
                    await db.execute(POST, number, channel, posted[channel], event)
                    await db.execute(DONE, key, database.now())
        dm = f"esc:{number}:event:{event}:dm:{user}"
        async with database.transaction() as db:
            mine = await db.fetch(CLAIM, dm, database.now())
        if mine and CHANNELS[0] in posted:
            await send_link(client, posted[CHANNELS[0]])
            async with database.transaction() as db:
                await db.execute(DONE, dm, database.now())

    @bolt.action(ACKNOWLEDGE)
    async def acknowledge(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        number, user = int(body["actions"][0]["value"]), body["user"]["id"]
        async with database.connection() as db:
            found = await db.fetch(STATUS, number)
        if not found or found[0][0] != "open":
            return  # no Slack call: the benchmark counts it as a failure
        now = database.now()
        async with database.transaction() as db:
            event = (await db.fetch(EVENT, number, now, user, "acknowledged"))[0][0]
            await db.execute(ACKNOWLEDGED, number, user, now)
            replies = {f"esc:{number}:event:{event}:reply:{channel}": channel for channel in CHANNELS}
            claimed = {row[0] for row in await db.fetch(CLAIMS, *replies, now)}
        for channel in CHANNELS:
            await update_card(client, channel)
        shown = False  # both cards show the event: recorded with the first reply's completion
        for key, channel in replies.items():
            if key in claimed:
                await reply(client, channel)
                async with database.transaction() as db:
                    if not shown:
                        await db.execute(SHOWN, number, event)
                        shown = True
                    await db.execute(DONE, key, database.now())


async def serve_bare_sql(port: int, api_url: str, view: dict[str, Any], url: str, seed: int) -> None:
    """bare+sql on `port`: its database created (and `seed` escalations seeded) before it answers /healthz,
    dropped after it stops."""
    from bench.command_path_servers import serve_bare

    database = await Database.open(url)
    try:
        await database.create(seed)
        await serve_bare(port, api_url, view, lambda bolt: register_bare_sql(bolt, database))
    finally:
        await database.drop()
