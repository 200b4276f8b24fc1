"""The KPI digest at scale: N tickets over T teams and D days, against one hand-written SQL query (the floor).

The database is generated once per (engine, tickets, teams, days) and kept: a SQLite file under /tmp, or a
PostgreSQL database of its own named after the parameters (`bench_digest_…`; never the tests' databases).
Teams are spread over six timezones; every ticket has a creation time, most a first response, a solve time
(a skewed resolution time: the recent ones are still open), a rating on some, replies, reopens and SLA flags.

Timed, each `--repeat` times (the median is reported), Slack excluded:
(a) one team-day: `handlers.kpi.report.daily` (what the digest job calls: that day's figures, the 13 days
    before for the comparisons and the 14-day chart series, contributors of red metrics, baselines) and
    `handlers.kpi.views.digest` (the message's blocks);
(b) all T teams' digests for that day, one after the other (the job's loop);
(c) the floor: ONE hand-written SQL statement giving the ticket figures the digest shows for that team-day
    (created, solved, backlog, SLA breaches, first response mean/median/p90, resolution median/p90, FCR,
    CSAT) for each of its 14 local days, and the same statement for the one day alone. Before timing, its
    numbers are checked against the app's figures for all 14 days: a wrong floor fails the run.

Goal (issue 12): one team-day ≤ 2× the floor and under 100 ms; all digests under 10 s on SQLite.

    python -m bench.digest_scale [--database sqlite|postgresql|both] [--tickets 1000000] [--teams 100]
                                 [--days 90] [--repeat 5] [--fresh] [--index]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.digest_floor import FIGURES, floor, floor_params, floor_sql, same
from bot.rules.directory import TeamProfile
from bot.rules.kpi_days import TREND_DAYS, days_before
from bot.rules.team_config import parse_teams
from handlers.kpi import report, views
from storage import directory, teams
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
ZONES = ("America/New_York", "Europe/Berlin", "UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney")
LAST_DAY = date(2026, 3, 31)
"""The last generated day (New York and Berlin change their clocks inside the 90 days)."""
GOAL_RATIO, GOAL_DAY_MS, GOAL_ALL_S = 2.0, 100.0, 10.0
VERSION = 1
"""Bumped when the generated data changes: the cached databases' names carry it."""


# --------------------------------------------------------------------------- the data

def teams_yaml(count: int) -> str:
    lines = ["teams:"]
    for n in range(count):
        lines += [f"  - key: team{n:03d}", f"    name: Team {n:03d}", f"    timezone: {ZONES[n % len(ZONES)]}",
                  f"    members: [U0AGENT{n}]", f"    managers: [U0MANAGER{n}]",
                  f"    channels: {{digest: C0DIGEST{n}}}"]
    return "\n".join(lines) + "\n"


def tickets_of(team_ids: list[int], tickets: int, days: int) -> Any:
    """Every ticket as (team_id, external_id, created, first_response, solved, status, channel, csat_good,
    reopens, agent_replies, sla_breached), aware UTC datetimes; deterministic."""
    rng = random.Random(12)
    end = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    per_team = tickets // len(team_ids)
    for index, team_id in enumerate(team_ids):
        count = per_team + (1 if index < tickets - per_team * len(team_ids) else 0)
        for n in range(count):
            created = start + timedelta(seconds=rng.random() * span)
            first = created + timedelta(minutes=rng.expovariate(1 / 40)) if rng.random() < 0.9 else None
            solved: datetime | None = created + timedelta(hours=rng.lognormvariate(1.5, 1.0))
            if solved is not None and (solved >= end or rng.random() < 0.01):
                solved = None
            if first is not None and solved is not None and first > solved:
                first = solved
            if first is not None and first >= end:
                first = None
            rated = rng.random() < 0.4
            yield (team_id, f"T{index}-{n}", created, first, solved, "solved" if solved else "open",
                   rng.choice(("email", "chat", "phone")), (rng.random() < 0.8) if rated and solved else None,
                   1 if rng.random() < 0.07 else 0, rng.randint(1, 4) if rng.random() < 0.95 else None,
                   rng.random() < 0.1)


COLUMNS = ("team_id", "external_id", "created_at", "first_response_at", "solved_at", "status", "channel",
           "csat_good", "reopens", "agent_replies", "sla_breached", "source", "updated_at")


def _stamp(value: datetime | None) -> str | None:
    """How SQLAlchemy writes a datetime into SQLite."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


async def _setup(engine: AsyncEngine, team_count: int) -> list[int]:
    await upgrade(engine)
    async with session_factory(engine)() as session:
        await teams.apply(session, parse_teams(teams_yaml(team_count)), now=datetime(2026, 1, 1, tzinfo=UTC))
        await session.commit()
        found = await session.execute(text("SELECT id FROM teams ORDER BY key"))
        return [int(row[0]) for row in found]


async def generate(engine: AsyncEngine, url: str, args: argparse.Namespace) -> None:
    """A fresh schema, the teams, and the tickets: sqlite3 `executemany` or PostgreSQL COPY."""
    team_ids = await _setup(engine, args.teams)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    rows = tickets_of(team_ids, args.tickets, args.days)
    if engine.dialect.name == "sqlite":
        connection = sqlite3.connect(make_url(url).database or "")
        statement = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append((row[0], row[1], _stamp(row[2]), _stamp(row[3]), _stamp(row[4]), *row[5:], "generic",
                          _stamp(now)))
            if len(batch) >= 50_000:
                connection.executemany(statement, batch)
                batch = []
        connection.executemany(statement, batch)
        connection.commit()
        connection.execute("ANALYZE")
        connection.close()
        return
    import asyncpg

    server = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await server.copy_records_to_table("tickets", records=((*row, "generic", now) for row in rows),
                                           columns=list(COLUMNS))
        await server.execute("ANALYZE tickets")
    finally:
        await server.close()


# --------------------------------------------------------------------------- timing

async def medians_ms(works: dict[str, Callable[[], Awaitable[object]]], repeat: int) -> dict[str, float]:
    """Each work's median time over `repeat` rounds; each round runs every work once, in turn, so that the
    load of the (shared) machine weighs on each alike. One warm-up round first (caches, connections)."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for round_ in range(repeat + 1):
        for name, work in works.items():
            started = time.perf_counter()
            await work()
            if round_:
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(found) for name, found in times.items()}


async def digest(session: AsyncSession, team: TeamProfile, day: date) -> report.Report:
    """What `handlers.kpi.jobs._team_day` builds before it talks to Slack: the report, then its message."""
    built = await report.daily(session, team, day, title=views.day_title(day))
    if built.figures.empty:
        views.no_data(team, built.title)
    else:
        views.digest(built)
    return built


async def measure(engine: AsyncEngine, args: argparse.Namespace, label: str) -> dict[str, float]:
    if args.index:
        async with engine.begin() as connection:
            for statement in INDEXES:
                await connection.execute(text(statement))
            await connection.execute(text("ANALYZE"))
    try:
        return await _measure(engine, args, label)
    finally:
        if args.index:
            async with engine.begin() as connection:
                for statement in DROP_INDEXES:
                    await connection.execute(text(statement))


async def _measure(engine: AsyncEngine, args: argparse.Namespace, label: str) -> dict[str, float]:
    dialect = engine.dialect.name
    async with session_factory(engine)() as session:
        profiles = (await directory.load(session)).teams
        team, day = profiles[0], LAST_DAY - timedelta(days=1)
        days = [day, *days_before(day, TREND_DAYS - 1)]
        built = await digest(session, team, day)
        hand = await floor(session, floor_sql(dialect, len(days)), floor_params(dialect, team, days))
        app = [built.figures, *reversed(built.history[:-1])]
        assert [f.first for f in app] == days, ([f.first for f in app], days)
        wrong = [(d, key, f.values.get(key), h[key]) for d, f, h in zip(days, app, hand, strict=True)
                 for key in FIGURES if not same(f.values.get(key), h[key])]
        assert not wrong, f"the floor and the app disagree: {wrong[:5]}"
        assert built.figures.values["created"], "the team-day has no tickets: the benchmark would measure nothing"

        one_day = floor_sql(dialect, 1)
        fourteen = floor_sql(dialect, len(days))
        async def everyone() -> None:
            for profile in profiles:
                await digest(session, profile, day)

        found = await medians_ms({
            "day": lambda: digest(session, team, day),
            "floor": lambda: floor(session, fourteen, floor_params(dialect, team, days)),
            "floor1": lambda: floor(session, one_day, floor_params(dialect, team, [day])),
        }, args.repeat)
        day_ms, floor_ms, floor1_ms = found["day"], found["floor"], found["floor1"]
        all_ms = (await medians_ms({"all": everyone}, max(1, args.repeat // 3)))["all"]
    ratio = day_ms / floor_ms
    label += " (with the covering indexes of --index)" if args.index else ""
    print(f"\n{label}: {args.tickets:,} tickets, {len(profiles)} teams, {args.days} days; team-day {team.key} {day} "
          f"({int(built.figures.values['created'] or 0)} created); median of {args.repeat}")
    print(f"  {'floor: one SQL statement, 14 days':44} {floor_ms:9.1f} ms")
    print(f"  {'floor: one SQL statement, the day alone':44} {floor1_ms:9.1f} ms")
    print(f"  {'supportbot: one team-day digest':44} {day_ms:9.1f} ms  "
          f"(goal ≤ {GOAL_RATIO:g}× floor and < {GOAL_DAY_MS:g} ms)")
    print(f"  {'supportbot: all teams digests':44} {all_ms / 1000:9.2f} s   (goal < {GOAL_ALL_S:g} s on SQLite)")
    print(f"  ratio: team-day ×{ratio:.2f} of the 14-day floor (×{day_ms / floor1_ms:.1f} of the one-day floor); "
          f"goals {'met' if ratio <= GOAL_RATIO and day_ms < GOAL_DAY_MS else 'MISSED'} (team-day), "
          f"{'met' if all_ms < GOAL_ALL_S * 1000 or dialect != 'sqlite' else 'MISSED'} (all teams)")
    return {"day_ms": day_ms, "floor_ms": floor_ms, "floor1_ms": floor1_ms, "all_ms": all_ms}


INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_bench_tickets_team_created_cover ON tickets "
    "(team_id, created_at, first_response_at, sla_breached)",
    "CREATE INDEX IF NOT EXISTS ix_bench_tickets_team_solved_cover ON tickets "
    "(team_id, solved_at, created_at, agent_replies, reopens, csat_good)",
)
"""Indexes the migrations lack, created by hand before timing (`--index`) and dropped afterwards: covering
indexes for the digest's two ticket scans (created in the days; solved in them)."""
DROP_INDEXES = ("DROP INDEX IF EXISTS ix_bench_tickets_team_created_cover",
                "DROP INDEX IF EXISTS ix_bench_tickets_team_solved_cover")


# --------------------------------------------------------------------------- databases

def cache_name(args: argparse.Namespace) -> str:
    return f"bench_digest_v{VERSION}_{args.tickets}_{args.teams}_{args.days}"


async def _ready(engine: AsyncEngine, args: argparse.Namespace) -> bool:
    try:
        async with engine.connect() as connection:
            found = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            teams_found = (await connection.execute(text("SELECT count(*) FROM teams"))).scalar_one()
    except Exception:  # no such table yet
        return False
    return bool(found == args.tickets and teams_found == args.teams)


async def run_sqlite(args: argparse.Namespace) -> dict[str, float]:
    path = Path(args.cache) / f"{cache_name(args)}.db"
    url = f"sqlite:///{path}"
    if args.fresh or not path.exists():
        path.unlink(missing_ok=True)
    engine = make_engine(url)
    try:
        if not await _ready(engine, args):
            await engine.dispose()
            path.unlink(missing_ok=True)
            engine = make_engine(url)
            started = time.perf_counter()
            await generate(engine, url, args)
            print(f"generated {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        return await measure(engine, args, "SQLite")
    finally:
        await engine.dispose()


async def run_postgres(args: argparse.Namespace) -> dict[str, float]:
    from tests.kit.databases import postgres_admin

    name = args.postgres_database or cache_name(args)
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    admin = make_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            exists = (await connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                               {"n": name})).first() is not None
    finally:
        await admin.dispose()
    if exists and args.fresh:
        await postgres_admin(args.postgres_url, f'DROP DATABASE "{name}" WITH (FORCE)')
        exists = False
    if not exists:
        await postgres_admin(args.postgres_url, f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    try:
        if not await _ready(engine, args):
            await engine.dispose()
            await postgres_admin(args.postgres_url, f'DROP DATABASE "{name}" WITH (FORCE)')
            await postgres_admin(args.postgres_url, f'CREATE DATABASE "{name}"')
            engine = make_engine(url)
            started = time.perf_counter()
            await generate(engine, url, args)
            print(f"generated PostgreSQL database {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        return await measure(engine, args, "PostgreSQL")
    finally:
        await engine.dispose()
        if args.drop:
            await postgres_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="generate the database again")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL database afterwards")
    parser.add_argument("--index", action="store_true", help="create `INDEXES` by hand before timing")
    parser.add_argument("--cache", default=os.environ.get("BENCH_CACHE", "/tmp"))
    parser.add_argument("--postgres-database", help="the database to use (default: one named after the sizes)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args(argv)
    if args.days < TREND_DAYS + 1:
        parser.error(f"--days must be at least {TREND_DAYS + 1} (the digest reads {TREND_DAYS} days)")
    if args.database in ("sqlite", "both"):
        asyncio.run(run_sqlite(args))
    if args.database in ("postgresql", "both"):
        asyncio.run(run_postgres(args))


if __name__ == "__main__":
    main()
