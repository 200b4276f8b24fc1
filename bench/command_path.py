"""Command paths through HTTP mode: supportbot against a bare slack_bolt `AsyncApp` doing the same Slack calls.

`--path` picks `/escalate` (ack + `views.open`), the escalation form's submission (ack, two cards, a DM with the
card's link) or Acknowledge on a card (ack, two card updates, two thread replies): see `bench.command_path_paths`;
every Slack call is counted at the fake Slack, and every server must make the same ones per request.

The servers run for the whole run on the same stack (Starlette adapter, uvicorn, 1 worker, the standard
asyncio loop, `process_before_response=True`, signatures verified), pinned to core 0; the fake Slack Web API
and the load generator share core 1. supportbot is the real `supportbot run --http --no-scheduler` on SQLite
or PostgreSQL with the teams file of the tests; the bare app acks after one `views.open` of a fixed modal (the
escalation form supportbot opens, built once by this script; the other paths' calls with fixed content), and
stores nothing. On the two writing paths (submission, Acknowledge) a third server, bare+sql
(`bench.command_path_durable`), is the bare app plus the fewest durable writes that supportbot's guarantees
(every change stored, each Slack message sent exactly once: claimed before, completed after) need, in
hand-written SQL through the raw driver, in a database of its own: the floor of a durable, exactly-once path.
Neither imports supportbot's app, handlers or storage, nor SQLAlchemy (their heaps, and so their garbage
collections, are a bare app's). Each round loads one server with `--in-flight` signed requests of the path for
`--seconds`, alternating bare, supportbot, bare+sql, bare, … supportbot answers first and sends after (the
outbox): its round's Slack calls are counted once its outbox is empty, and its CPU for those sends is its own.
Reported as ratios: supportbot ÷ bare (the goal), and supportbot ÷ bare+sql (what our code costs beyond the
guarantees: informational). After the rounds, supportbot's statements and commits per request are counted in
this process (`bench.command_path_counts`): in the request, and in all with the dispatcher's sends.

Goals (`bench.command_path_report.GOALS`, `bench.command_path_counts`), on SQLite and on PostgreSQL:
`/escalate` ≥ 0.8× the bare app's throughput and p99 ≤ 1.5×; the writing paths ≥ 0.5× its throughput, at most
4 statements and 1 commit in the request and 3 commits per request in all. Any answer but an empty 200, from any
server, or a Slack call missing, fails the run (exit 1); a missed goal is reported, not an error.

    python -m bench.command_path [--path escalate|submit|acknowledge|all] [--database sqlite|postgresql|both]
                                 [--seconds 15] [--rounds 3] [--in-flight 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.command_path_counts import count_paths
from bench.command_path_durable import BARE_SQL, seed_size, serve_bare_sql, sql_url
from bench.command_path_durable import PATHS as DURABLE_PATHS
from bench.command_path_load import Drained, load, load_session, measured, outbox_drained, wait_quiet
from bench.command_path_paths import (
    PATHS,
    TITLES,
    Builder,
    acknowledge_request,
    open_escalations,
    submission_request,
)
from bench.command_path_report import HEADER, LEGEND, Figures, Round, Verdict, report
from bench.command_path_servers import (
    APP_CORE,
    DEFAULT_POSTGRES,
    LOAD_CORE,
    NOISY,
    QUIET_WAIT,
    REPEATS,
    SECRET,
    USER,
    WARM_UP_SECONDS,
    FakeSlackProcess,
    Server,
    command_request,
    database_url,
    free_port,
    machine,
    read_modal,
    serve_bare,
    serve_fake_slack,
    spawn,
    stop,
    supportbot_command,
    supportbot_env,
    write_modal,
)

# ============================================================================ the run

def builders(path: str, modal: dict[str, Any], pool: list[int], seeded: int) -> dict[str, Builder]:
    """Each server's request builder for `path` (bare+sql only on the writing paths); supportbot's Acknowledge
    presses take the next open escalation of `pool`, bare+sql's the next of its `seeded` ones (1 … seeded)."""
    if path == "escalate":
        return {"bare": command_request, "supportbot": command_request}
    if path == "submit":
        return {name: lambda: submission_request(SECRET, USER, modal) for name in ("bare", "supportbot", BARE_SQL)}
    numbers, seeds = iter(pool), iter(range(1, seeded + 1))
    return {"bare": lambda: acknowledge_request(SECRET, USER, 1),
            "supportbot": lambda: acknowledge_request(SECRET, USER, next(numbers)),
            BARE_SQL: lambda: acknowledge_request(SECRET, USER, next(seeds))}


async def fill_pool(http: aiohttp.ClientSession, server: Server, database: str, modal: dict[str, Any],
                    wanted: int, in_flight: int) -> list[int]:
    """At least `wanted` open escalations in supportbot's database, logged through its own form, their cards
    posted (an Acknowledge's updates and replies need the card's ts): their numbers."""
    pool = await open_escalations(database)
    if len(pool) < wanted:
        more = iter(range(wanted - len(pool)))
        filling = Round(server.name)
        started = time.perf_counter()

        def build() -> tuple[bytes, dict[str, str]]:
            next(more)
            return submission_request(SECRET, USER, modal)

        await load(http, server.url, 3600.0, in_flight, filling, build)
        if filling.failures:
            raise RuntimeError(f"logging escalations to acknowledge failed: {filling.failures}\n{server.output()}")
        unsent = await outbox_drained(database)
        if unsent:
            raise RuntimeError(f"{unsent} messages of the escalations logged to acknowledge were never sent\n"
                               f"{server.output()}")
        pool = await open_escalations(database)
        print(f"  (logged {len(filling.latencies)} escalations to acknowledge through supportbot's form, their "
              f"cards and DMs sent, in {time.perf_counter() - started:.0f} s)", flush=True)
    return pool


async def bench_path(path: str, http: aiohttp.ClientSession, everyone: list[Server], slack: FakeSlackProcess,
                     args: argparse.Namespace, cores: tuple[int | None, int | None],
                     build: dict[str, Builder], drained: dict[str, Drained]) -> list[Round]:
    """Warm the servers of `path` (those `build` has a builder for) up, then load them in alternating rounds;
    a server in `drained` (supportbot) has a round's calls counted once it has sent them all."""
    servers = [server for server in everyone if server.name in build]
    for server in servers:  # warm-up: auth.test, caches, connection pools, keep-alive connections
        warm = Round(server.name)
        await load(http, server.url, min(WARM_UP_SECONDS, args.seconds), args.in_flight, warm, build[server.name])
        if warm.failures:
            raise RuntimeError(f"{server.name} failed during warm-up: {warm.failures}\n{server.output()}")
        if server.name in drained:
            await drained[server.name]()  # the warm-up's sends are not the first round's
    print(f"-- {TITLES[path]}")
    print(HEADER)
    rounds: list[Round] = []
    ours = [slack.pid, os.getpid(), *(s.pid for s in everyone)]
    for number in range(1, args.rounds + 1):
        for server in servers:  # alternating: bare, supportbot, bare+sql, bare, supportbot, …
            idle = [s for s in everyone if s is not server]
            for attempt in range(args.repeats + 1):
                waited = await wait_quiet(ours, cores, min(QUIET_WAIT, args.seconds))
                result = await measured(http, server, idle, slack, args, cores, build[server.name],
                                        drained.get(server.name))
                noisy = result.other > NOISY
                kept = not noisy or attempt == args.repeats
                marks = ([f"waited {waited:.0f} s for a quiet machine"] if waited >= 1 else []) + \
                    (["noisy: " + ("kept" if kept else "run again")] if noisy else [])
                print(Figures.of([result]).row(str(number), server.name) + "  " + ", ".join(marks), flush=True)
                if kept:
                    result.noisy = noisy
                    rounds.append(result)
                    break
    return rounds


async def bench_database(database: str, url: str, folder: Path, modal: Path, slack: FakeSlackProcess,
                         args: argparse.Namespace, cores: tuple[int | None, int | None]) -> list[Verdict]:
    """Start the servers (bare+sql if a writing path is run), then for each path warm them up, load them in
    alternating rounds, report; stop them whatever happens."""
    from tests.conftest import TEAM_YAML  # user U0AGENT1 is in team tier1, which has two escalation paths

    app_core = cores[0]
    config = folder / "teams.yml"
    config.write_text(TEAM_YAML, encoding="utf-8")
    bare_port, ours_port, sql_port = free_port(), free_port(), free_port()
    paths = PATHS if args.path == "all" else (args.path,)
    seeded = seed_size(args.path, args.pool, args.rounds, args.seconds, WARM_UP_SECONDS)
    bare_env = {**os.environ, "LOG_LEVEL": "WARNING"}
    servers: list[Server] = []
    verdicts: list[Verdict] = []
    form = read_modal(modal)
    try:
        servers.append(spawn("bare", [sys.executable, "-m", "bench.command_path", "--serve-bare", str(bare_port),
                                      "--api-url", slack.api_url, "--modal", str(modal)], bare_env, app_core,
                             bare_port))
        servers.append(spawn("supportbot", [*supportbot_command(), "--port", str(ours_port)],
                             supportbot_env(slack.api_url, url, config), app_core, ours_port))
        if set(paths) & set(DURABLE_PATHS):
            servers.append(spawn(BARE_SQL, [sys.executable, "-m", "bench.command_path", "--serve-bare-sql",
                                            str(sql_port), "--sql-url", sql_url(database, url, folder), "--seed",
                                            str(seeded), "--api-url", slack.api_url, "--modal", str(modal)],
                                 bare_env, app_core, sql_port))
        for server in servers:
            server.wait_ready()
        pinned = ", ".join(f"{s.name} pid {s.pid} on cores {sorted(os.sched_getaffinity(s.pid))}" for s in servers)
        print(f"\n== {database} ({pinned})")
        async with load_session(args.in_flight) as http:
            for path in paths:
                pool: list[int] = []
                if path == "acknowledge":
                    wanted = args.pool or int(args.ack_rate * (args.rounds * args.seconds + WARM_UP_SECONDS) * 1.2)
                    ours = next(server for server in servers if server.name == "supportbot")
                    pool = await fill_pool(http, ours, url, form, wanted, args.in_flight)
                    slack.reset()
                build = builders(path, form, pool, seeded)
                rounds = await bench_path(path, http, servers, slack, args, cores, build,
                                          {"supportbot": lambda: outbox_drained(url)})
                for server in servers:
                    if server.process.poll() is not None:
                        raise RuntimeError(f"{server.name} exited during the run:\n{server.output()}")
                verdicts.append(report(database, path, rounds))
        counted = await count_paths(url, slack.api_url, form, paths, burst=args.in_flight)  # the servers idle
        slack.reset()
        for verdict in verdicts:
            verdict.counts = next(c for c in counted if c.path == verdict.path)
        return verdicts
    finally:
        for server in servers:
            stop(server.process)
            server.log.close()


def main(args: argparse.Namespace) -> int:
    explicit = ["--path", args.path, "--database", args.database, "--seconds", f"{args.seconds:g}", "--rounds",
                str(args.rounds), "--in-flight", str(args.in_flight)]
    explicit += ["--pool", str(args.pool)] if args.pool else []
    if args.fake_slack != "minimal":
        explicit += ["--fake-slack", args.fake_slack]
    if args.postgres_url != DEFAULT_POSTGRES:
        explicit += ["--postgres-url", args.postgres_url]
    two_cores = len(os.sched_getaffinity(0)) >= 2 and {APP_CORE, LOAD_CORE} <= os.sched_getaffinity(0)
    cores: tuple[int | None, int | None] = (APP_CORE, LOAD_CORE) if two_cores else (None, None)
    print("Command paths through HTTP mode: supportbot against a bare slack_bolt AsyncApp doing the same Slack calls"
          " (and, on the writing paths, bare+sql: the same plus the durable, exactly-once writes in raw SQL)")
    print("command: " + shlex.join([sys.executable, "-m", "bench.command_path", *explicit]))
    print(machine())
    fake = "tests.kit FakeSlack" if args.fake_slack == "kit" else "a minimal aiohttp fake"
    print(f"setup: the servers on core {APP_CORE}, the fake Slack Web API ({fake}) and the load generator on core "
          f"{LOAD_CORE}; {args.in_flight} requests in flight, {args.rounds} alternating round(s) of "
          f"{args.seconds:g} s per server and path, after {min(WARM_UP_SECONDS, args.seconds):g} s of warm-up each"
          if two_cores else "setup: fewer than 2 cores available: nothing pinned (figures are less meaningful)")
    print(LEGEND)
    databases = ["SQLite", "PostgreSQL"] if args.database == "both" else \
        ["SQLite" if args.database == "sqlite" else "PostgreSQL"]
    verdicts: list[Verdict] = []
    if cores[1] is not None:
        os.sched_setaffinity(0, {cores[1]})  # the load generator
    with tempfile.TemporaryDirectory(prefix="bench-command-path-") as scratch:
        modal = write_modal(Path(scratch))
        slack = FakeSlackProcess(args.fake_slack, modal, cores[1])
        try:
            for database in databases:
                folder = Path(scratch) / database
                folder.mkdir()
                with database_url(database, folder, args.postgres_url) as url:
                    verdicts += asyncio.run(bench_database(database, url, folder, modal, slack, args, cores))
        finally:
            slack.close()
    print()
    for verdict in verdicts:
        print(verdict.line())
    return 1 if any(v.failures for v in verdicts) else 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.command_path", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", choices=[*PATHS, "all"], default="all", help="the command path (default: all)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pool", type=int, default=0, help="open escalations to acknowledge (default: enough for"
                        " --ack-rate)")
    parser.add_argument("--ack-rate", type=float, default=150.0, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="reruns of a noisy round (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each round (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server (default: %(default)s)")
    parser.add_argument("--in-flight", type=int, default=32, help="concurrent requests (default: %(default)s)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="server to create the scratch database on (default: %(default)s)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare-sql", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--sql-url", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--modal", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fake-slack", choices=["minimal", "kit"], default="minimal",
                        help="the Web API the apps call: a minimal aiohttp fake (default), or tests.kit FakeSlack,"
                             " which validates and records every view and is too slow to stay off the critical path")
    parser.add_argument("--serve-fake-slack", choices=["minimal", "kit"], help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.seconds <= 0 or parsed.rounds < 1 or parsed.in_flight < 1:
        parser.error("--seconds, --rounds and --in-flight must be positive")
    return parsed


if __name__ == "__main__":
    options = arguments()
    if options.serve_fake_slack:
        sys.exit(serve_fake_slack(options.serve_fake_slack, options.modal))
    if options.serve_bare is not None:
        asyncio.run(serve_bare(options.serve_bare, options.api_url, read_modal(options.modal)))
        sys.exit(0)
    if options.serve_bare_sql is not None:
        asyncio.run(serve_bare_sql(options.serve_bare_sql, options.api_url, read_modal(options.modal),
                                   options.sql_url, options.seed))
        sys.exit(0)
    sys.exit(main(options))
