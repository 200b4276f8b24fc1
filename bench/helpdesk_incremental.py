"""An incremental sync of a few changed tickets out of many stored, against a raw `executemany` upsert of the
same rows.

A fresh, migrated SQLite database gets N tickets of one team (a raw sqlite3 `executemany`, not timed), and the
Zendesk source a cursor (a first sync of an empty export). Then C of the stored tickets change in FakeZendesk
(tests/kit/fake_zendesk.py, in a thread of this process) and the sync (`handlers.helpdesk.sync.sync_source`,
what the `helpdesk-sync` job runs) fetches and stores them. The fake's own time (its handlers answering, which
it measures) is subtracted: the sync's time excludes the fake's latency. The floor is a raw sqlite3
`executemany` of the same C rows as `INSERT … ON CONFLICT (team_id, external_id) DO UPDATE`, in one
transaction. Goal: the sync under 2 s on SQLite.

    python -m bench.helpdesk_incremental [--stored 1000000] [--changed 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.kit.fake_zendesk import CLIENT_ID, CLIENT_SECRET, FakeZendesk

GOAL = 2.0
FILL_BATCH = 10_000
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
YAML = """
helpdesks:
  - key: zendesk
    kind: zendesk
    url: {url}
    client_id: {client_id}
    client_secret_env: ZD_SECRET
teams:
  - key: tier1
    name: Tier 1
    timezone: America/New_York
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: zendesk, match: {{group: "Tier 1"}}}}
"""
UPSERT = ("INSERT INTO tickets (team_id, external_id, created_at, first_response_at, solved_at, status, channel, "
          "csat_good, reopens, agent_replies, sla_breached, source, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'zendesk', ?) "
          "ON CONFLICT (team_id, external_id) DO UPDATE SET created_at = excluded.created_at, "
          "first_response_at = excluded.first_response_at, solved_at = excluded.solved_at, status = excluded.status, "
          "channel = excluded.channel, csat_good = excluded.csat_good, reopens = excluded.reopens, "
          "agent_replies = excluded.agent_replies, sla_breached = excluded.sla_breached, source = excluded.source, "
          "updated_at = excluded.updated_at")


def text(moment: datetime | None) -> str | None:
    """As SQLAlchemy's DateTime stores a UTC time in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if moment is not None else None


def created(number: int) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=29 * number)


def fill(database: Path, team_id: int, stored: int) -> None:
    """The stored tickets, open, as an earlier sync left them: raw `executemany`, committed per batch."""
    connection = sqlite3.connect(database)
    now = text(NOW - timedelta(days=1))
    for first in range(1, stored + 1, FILL_BATCH):
        connection.executemany(UPSERT, [
            (team_id, str(n), text(created(n)), text(created(n) + timedelta(minutes=30)), None, "open", "email", None,
             0, 1, False, now) for n in range(first, min(first + FILL_BATCH, stored + 1))])
        connection.commit()
    connection.close()


def baseline(database: Path, team_id: int, numbers: list[int]) -> float:
    """The floor: the same rows upserted by one raw `executemany` in one transaction (other values than the
    fake's, so that the sync after it still changes every row)."""
    connection = sqlite3.connect(database)
    rows = [(team_id, str(n), text(created(n)), text(created(n) + timedelta(minutes=20)),
             text(created(n) + timedelta(hours=2)), "closed", "web", False, 2, 3, True, text(NOW)) for n in numbers]
    started = time.perf_counter()
    connection.executemany(UPSERT, rows)
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


async def main(stored: int, changed: int) -> None:
    from bot.rules.team_config import parse_teams
    from handlers.helpdesk.sync import SyncOptions, sync_source
    from storage import directory, helpdesks, teams
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    async def no_sleep(_seconds: float) -> None:
        await asyncio.sleep(0)

    options = SyncOptions(environ={"ZD_SECRET": CLIENT_SECRET}, sleep=no_sleep)
    with tempfile.TemporaryDirectory() as folder, FakeZendesk() as fake:
        fake.add_group(11, "Tier 1")
        database = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite:///{database}")
        db = session_factory(engine)
        try:
            await upgrade(engine)
            async with db() as session:
                await teams.apply(session, parse_teams(YAML.format(url=fake.url, client_id=CLIENT_ID)), now=NOW)
                await session.commit()
                team_id = {team.key: team.id for team in (await directory.load(session)).teams}["tier1"]
            started = time.perf_counter()
            fill(database, team_id, stored)
            filled = time.perf_counter() - started

            async def sync() -> tuple[float, float, str, int]:
                async with db() as session:
                    state = await helpdesks.source(session, "zendesk")
                assert state is not None
                fake.busy = 0.0
                began = time.perf_counter()
                report = await sync_source(db, state, clock=lambda: NOW, options=options)
                took = time.perf_counter() - began
                assert report.error is None and not report.unparsed and not report.unmatched, report.line()
                return took, fake.busy, report.line(), report.updated

            await sync()  # the first: the cursor at the export's end
            step = max(1, stored // changed)
            numbers = [1 + i * step for i in range(changed)]
            for n in numbers:
                fake.put(n, created=created(n), status="solved", group_id=11, channel="chat", score="good",
                         reply_minutes=12, solved=created(n) + timedelta(hours=3), reopens=1, replies=2)
            floor = baseline(database, team_id, numbers)
            took, busy, line, updated = await sync()
        finally:
            await engine.dispose()
        size_mb = database.stat().st_size / 1e6
    assert updated == changed, line
    ours = took - busy
    print(f"helpdesk incremental sync: {changed:,} changed tickets out of {stored:,} stored, SQLite "
          f"({size_mb:.0f} MB; filled by raw executemany in {filled:.1f} s)")
    print(line)
    print(f"{'raw executemany upsert (floor)':34} {floor * 1000:8.1f} ms")
    print(f"{'supportbot sync, the fake excluded':34} {ours * 1000:8.1f} ms  (whole sync {took * 1000:.1f} ms, the "
          f"fake's own {busy * 1000:.1f} ms)")
    verdict = "met" if ours < GOAL else "MISSED"
    print(f"ratio: ×{ours / floor:.1f} the floor's time; {ours:.2f} s (goal < {GOAL:g} s: {verdict})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.stored, arguments.changed))
