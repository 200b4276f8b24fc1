"""`supportbot tickets import` of a big generic CSV against the floor: a bare `executemany` of the same rows.

All import the same generated file (N tickets of one team, every field filled) into a fresh, migrated SQLite
database, each in its own process so that each peak RSS (`resource.getrusage`) is its own (this process
imports no supportbot code: Linux counts the parent's RSS at fork into a child's peak). supportbot is the
real command path (`bot.cli.main`: header detection, every row parsed and checked, upserts by (team, id), a
commit per `storage.tickets.batch_size`). The floor (issue 12) is a bare SQLAlchemy Core `executemany`: the
csv module's rows, their times parsed (the table's UTC column type takes datetimes), plain INSERTs through
`insert(tickets)` of a sync engine, 1,000 rows and a commit at a time, checking nothing. A stricter floor is
shown too: sqlite3's own `executemany` of the rows as text. Reported as ratios; the goal is ≥ 0.7× the
SQLAlchemy Core floor with memory flat (the same peak RSS whatever N).

    python -m bench.tickets_import [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER = ["id", "team", "created_at", "first_response_at", "solved_at", "status", "channel", "csat", "reopens",
          "agent_replies", "sla_breached"]
BATCH = 1000
GOAL = 0.7
MEASURED = ("import resource, sys\nfrom bot.cli import main\nstatus = main(sys.argv[1:])\n"
            "print(f'maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
            "sys.exit(status)")


def generate(path: Path, rows: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        for i in range(rows):
            created = start + timedelta(seconds=37 * i)
            out.writerow([f"T{i}", "tier1", created.isoformat(), (created + timedelta(minutes=20)).isoformat(),
                          (created + timedelta(hours=5)).isoformat(), "solved", "email", i % 5 + 1, i % 2, 1,
                          "true" if i % 7 == 0 else "false"])


async def prepare(database: Path) -> None:
    """A migrated database with the tests' teams, in a child process (see the module's docstring)."""
    from bot.rules.team_config import parse_teams
    from storage import teams
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from tests.conftest import TEAM_YAML

    engine = make_engine(f"sqlite:///{database}")
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            await teams.apply(session, parse_teams(TEAM_YAML), now=datetime(2026, 1, 1, tzinfo=UTC))
            await session.commit()
    finally:
        await engine.dispose()


def baseline(file: Path, database: Path) -> None:
    """The floor, run in a child process: the rows as they are, `executemany` INSERTs, no checks."""
    connection = sqlite3.connect(database)
    (team_id,) = connection.execute("SELECT id FROM teams WHERE key = 'tier1'").fetchone()
    now = datetime.now(UTC).isoformat()
    statement = ("INSERT INTO tickets (team_id, external_id, created_at, first_response_at, solved_at, status, "
                 "channel, csat_good, reopens, agent_replies, sla_breached, source, updated_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'generic', ?)")
    with file.open(newline="", encoding="utf-8") as text:
        reader = csv.reader(text)
        next(reader)
        batch: list[tuple[object, ...]] = []
        for ident, _team, created, first, solved, status, channel, score, reopens, replies, breached in reader:
            batch.append((team_id, ident, created, first or None, solved or None, status, channel or None,
                          int(score) >= 4, int(reopens or 0), int(replies) if replies else None,
                          breached == "true", now))
            if len(batch) >= BATCH:
                connection.executemany(statement, batch)
                connection.commit()
                batch = []
        connection.executemany(statement, batch)
        connection.commit()
    connection.close()
    print(f"maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)


def core_baseline(file: Path, database: Path) -> None:
    """The floor of issue 12, in a child process: SQLAlchemy Core `executemany` of plain INSERTs, no checks."""
    from sqlalchemy import create_engine, insert, text

    import storage.models  # noqa: F401  (the whole schema first: the models refer to one another)
    from storage.kpi_models import Ticket

    engine = create_engine(f"sqlite:///{database}")
    parse = datetime.fromisoformat
    now = datetime.now(UTC)
    with engine.connect() as connection, file.open(newline="", encoding="utf-8") as text_file:
        team_id = connection.execute(text("SELECT id FROM teams WHERE key = 'tier1'")).scalar_one()
        statement = insert(Ticket.__table__)
        reader = csv.reader(text_file)
        next(reader)
        batch: list[dict[str, object]] = []
        for ident, _team, created, first, solved, status, channel, score, reopens, replies, breached in reader:
            batch.append({"team_id": team_id, "external_id": ident, "created_at": parse(created),
                          "first_response_at": parse(first) if first else None,
                          "solved_at": parse(solved) if solved else None, "status": status,
                          "channel": channel or None, "csat_good": int(score) >= 4, "reopens": int(reopens or 0),
                          "agent_replies": int(replies) if replies else None, "sla_breached": breached == "true",
                          "source": "generic", "updated_at": now})
            if len(batch) >= BATCH:
                connection.execute(statement, batch)
                connection.commit()
                batch = []
        if batch:
            connection.execute(statement, batch)
        connection.commit()
    engine.dispose()
    print(f"maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)


def measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(seconds, peak RSS in MB) of one child process."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, int(done.stderr.strip().rsplit("maxrss_kb=", 1)[1]) // 1024


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "tickets.csv"
        databases = {name: Path(folder) / f"{name}.db" for name in ("ours", "core", "raw")}
        generate(file, rows)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORTBOT_"))}
        for database in databases.values():
            subprocess.run([sys.executable, "-m", "bench.tickets_import", "--prepare", str(database)], env=env,
                           check=True)
        me = [sys.executable, "-m", "bench.tickets_import"]
        core_s, core_mb = measured([*me, "--core-baseline", str(file), str(databases["core"])], env)
        ours_s, ours_mb = measured([sys.executable, "-c", MEASURED, "tickets", "import", str(file)],
                                   {**env, "DATABASE_URL": f"sqlite:///{databases['ours']}", "LOG_LEVEL": "WARNING"})
        raw_s, raw_mb = measured([*me, "--baseline", str(file), str(databases["raw"])], env)
        stored = {name: sqlite3.connect(path).execute("SELECT count(*) FROM tickets").fetchone()[0]
                  for name, path in databases.items()}
        size_mb = file.stat().st_size / 1e6
    assert set(stored.values()) == {rows}, (stored, rows)
    ratio = core_s / ours_s
    print(f"tickets import: {rows:,} generic rows ({size_mb:.0f} MB), SQLite, each in its own process")
    print(f"{'SQLAlchemy Core executemany (floor)':38} {rows / core_s:10,.0f} rows/s  {core_s:7.1f} s  "
          f"peak RSS {core_mb} MB")
    print(f"{'sqlite3 executemany (stricter)':38} {rows / raw_s:10,.0f} rows/s  {raw_s:7.1f} s  peak RSS {raw_mb} MB")
    print(f"{'supportbot tickets import':38} {rows / ours_s:10,.0f} rows/s  {ours_s:7.1f} s  peak RSS {ours_mb} MB")
    verdict = "met" if ratio >= GOAL else "MISSED"
    print(f"ratio: throughput ×{ratio:.2f} of the Core floor (goal ≥ {GOAL:g}: {verdict}), "
          f"×{raw_s / ours_s:.2f} of sqlite3's; peak RSS ×{ours_mb / core_mb:.2f} of the floor's")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", nargs=2, metavar=("FILE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--core-baseline", nargs=2, metavar=("FILE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", metavar="DATABASE", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.prepare:
        asyncio.run(prepare(Path(arguments.prepare)))
    elif arguments.core_baseline:
        core_baseline(Path(arguments.core_baseline[0]), Path(arguments.core_baseline[1]))
    elif arguments.baseline:
        baseline(Path(arguments.baseline[0]), Path(arguments.baseline[1]))
    else:
        main(arguments.rows)
