"""Footprint: start-up time and idle memory of `supportbot run --http --no-scheduler` against a bare slack_bolt
`AsyncApp` process on the same stack (uvicorn, Starlette adapter, one keep-alive Slack session), and the wall
time of one `supportbot jobs run JOB` against a bare process that imports Bolt and SQLAlchemy's asyncio engine
and runs one query on the same SQLite file.

Each server is started `--starts` times, alternating bare, supportbot, bare, …; "ready" is the time from
`Popen` to the first 200 on `GET /healthz` (polled every 5 ms; supportbot's answers only once the database
does). supportbot's first start migrates an empty SQLite file: it is reported on its own, and the goal is judged
on the later starts (a restart, the usual case). Idle RSS is `VmRSS` of /proc/PID/status `--idle` seconds after
readiness, with no traffic. Medians are reported, as ratios (supportbot ÷ bare).

Goal: idle RSS ≤ 1.5× the bare app's; ready in under 2 s on SQLite (also `jobs run`).

A third server, "bare + stack", is the bare app that has also loaded the libraries the project is built on and
that a bare Bolt app does not load (SQLAlchemy 2 with its ORM and asyncio engine on aiosqlite, one query run;
pydantic 2 and pydantic-settings, one settings model; APScheduler 3's asyncio scheduler). Its RSS is the floor
for any app on this stack: what the libraries alone cost before a line of supportbot is loaded.

    python -m bench.footprint [--starts 5] [--idle 2] [--job standups]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.command_path_servers import (
    FakeSlackProcess,
    free_port,
    machine,
    popen,
    serve_bare,
    stop,
    supportbot_env,
    write_modal,
)

GOAL_RSS, GOAL_READY = 1.5, 2.0
READY_TIMEOUT = 60.0
BARE_JOB = """
import asyncio, sys
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def main():
    app = AsyncApp(client=AsyncWebClient(token="xoxb-bare"), signing_secret="s")
    engine = create_async_engine(sys.argv[1])
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    await engine.dispose()

asyncio.run(main())
"""


@dataclass
class Start:
    ready: float  # seconds from Popen to the first 200 on /healthz
    rss_mb: float  # VmRSS after `idle` seconds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def start_once(command: list[str], env: dict[str, str], port: int, idle: float, log: Path) -> Start:
    with log.open("ab") as output:
        started = time.perf_counter()
        process = popen(command, None, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = started + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no 200 on /healthz within {READY_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.005)
        ready = time.perf_counter() - started
        time.sleep(idle)
        return Start(ready, rss_mb(process.pid))
    finally:
        stop(process)


async def load_the_stack(url: str) -> None:
    """What "bare + stack" holds beyond the bare app: the project's libraries, each used once."""
    import pydantic
    import pydantic_settings
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from sqlalchemy import String, select
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Base(DeclarativeBase):
        pass

    class Row(Base):
        __tablename__ = "stack_floor"
        key = mapped_column(String(255), primary_key=True)

    Options = pydantic.create_model("Options", __base__=pydantic_settings.BaseSettings, name=(str, "bare"),
                                    level=(pydantic.PositiveInt, 1))

    Options()
    AsyncIOScheduler()
    engine = create_async_engine(url.replace("sqlite:", "sqlite+aiosqlite:", 1))
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.execute(select(Row.key))
    await engine.dispose()


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def supportbot_entry() -> list[str]:
    script = Path(sys.executable).with_name("supportbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(args: argparse.Namespace) -> int:
    from tests.conftest import TEAM_YAML

    print("Footprint: supportbot run --http --no-scheduler and supportbot jobs run, against a bare slack_bolt AsyncApp")
    print("command: " + shlex.join([sys.executable, "-m", "bench.footprint", "--starts", str(args.starts),
                                    "--idle", f"{args.idle:g}", "--job", args.job]))
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as scratch:
        folder = Path(scratch)
        modal = write_modal(folder)
        config = folder / "teams.yml"
        config.write_text(TEAM_YAML, encoding="utf-8")
        database = f"sqlite:///{folder / 'footprint.db'}"
        slack = FakeSlackProcess("minimal", modal, None)
        try:
            env = supportbot_env(slack.api_url, database, config)
            bare_env = {**os.environ, "LOG_LEVEL": "WARNING"}
            bare: list[Start] = []
            ours: list[Start] = []
            stacked: list[Start] = []
            first: Start | None = None
            for number in range(args.starts + 1):
                port = free_port()
                bare_start = start_once([sys.executable, "-m", "bench.footprint", "--serve-bare", str(port),
                                         "--api-url", slack.api_url, "--modal", str(modal)], bare_env, port,
                                        args.idle, folder / "bare.log")
                port = free_port()
                stack_start = start_once([sys.executable, "-m", "bench.footprint", "--serve-bare", str(port),
                                          "--api-url", slack.api_url, "--modal", str(modal), "--stack-url",
                                          database], bare_env, port, args.idle, folder / "stack.log")
                port = free_port()
                mine = start_once([*supportbot_entry(), "run", "--http", "--no-scheduler", "--port", str(port)],
                                  env, port, args.idle, folder / "supportbot.log")
                label = "first (migrates)" if number == 0 else str(number)
                print(f"start {label:>16}: bare ready {bare_start.ready * 1000:6.0f} ms, RSS {bare_start.rss_mb:5.1f}"
                      f" MB; bare + stack RSS {stack_start.rss_mb:5.1f} MB; supportbot ready"
                      f" {mine.ready * 1000:6.0f} ms, RSS {mine.rss_mb:5.1f} MB", flush=True)
                if number > 0 or args.starts == 0:
                    stacked.append(stack_start)
                if number == 0:
                    first = mine
                    if args.starts == 0:
                        bare.append(bare_start)
                        ours.append(mine)
                else:
                    bare.append(bare_start)
                    ours.append(mine)
            jobs_bare, jobs_ours = [], []
            for _ in range(max(args.starts, 1)):
                bare_url = database.replace("sqlite:", "sqlite+aiosqlite:")
                jobs_bare.append(timed([sys.executable, "-c", BARE_JOB, bare_url], bare_env, folder))
                jobs_ours.append(timed([*supportbot_entry(), "jobs", "run", args.job], env, folder))
        finally:
            slack.close()
    assert first is not None
    ready_bare, ready_ours = median([s.ready for s in bare]), median([s.ready for s in ours])
    rss_bare, rss_ours = median([s.rss_mb for s in bare]), median([s.rss_mb for s in ours])
    job_bare, job_ours = median(jobs_bare), median(jobs_ours)
    rss_stack = median([s.rss_mb for s in stacked])
    rss_met, ready_met, job_met = rss_ours / rss_bare <= GOAL_RSS, ready_ours < GOAL_READY, job_ours < GOAL_READY
    print()
    print(f"{'':24} {'bare':>10} {'supportbot':>11} {'ratio':>6}  goal")
    print(f"{'ready (median)':24} {ready_bare * 1000:8.0f}ms {ready_ours * 1000:9.0f}ms {ready_ours / ready_bare:6.2f}"
          f"  < {GOAL_READY:g} s: {'met' if ready_met else 'NOT met'}")
    print(f"{'ready, first start':24} {'':>10} {first.ready * 1000:9.0f}ms {'':>6}  (migrates an empty database)")
    print(f"{'idle RSS (median)':24} {rss_bare:8.1f}MB {rss_ours:9.1f}MB {rss_ours / rss_bare:6.2f}"
          f"  ≤ {GOAL_RSS}×: {'met' if rss_met else 'NOT met'}")
    print(f"{'idle RSS, bare + stack':24} {rss_bare:8.1f}MB {rss_stack:9.1f}MB {rss_stack / rss_bare:6.2f}"
          f"  (the libraries alone: supportbot is {rss_ours / rss_stack:.2f}× this floor,"
          f" +{rss_ours - rss_stack:.1f} MB)")
    print(f"{'jobs run ' + args.job:24} {job_bare * 1000:8.0f}ms {job_ours * 1000:9.0f}ms {job_ours / job_bare:6.2f}"
          f"  < {GOAL_READY:g} s: {'met' if job_met else 'NOT met'}")
    print(f"ratio (supportbot ÷ bare): ready {ready_ours / ready_bare:.2f}, idle RSS {rss_ours / rss_bare:.2f}, "
          f"jobs run {job_ours / job_bare:.2f}; goals {'MET' if rss_met and ready_met and job_met else 'NOT all met'}")
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=5, help="starts per server after the first"
                        " (default: %(default)s)")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before RSS is read"
                        " (default: %(default)s)")
    parser.add_argument("--job", default="standups", help="the job `jobs run` runs (default: %(default)s)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--modal", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stack-url", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.starts < 0 or parsed.idle < 0:
        parser.error("--starts and --idle must not be negative")
    return parsed


if __name__ == "__main__":
    options = arguments()
    if options.serve_bare is not None:
        from bench.command_path_servers import read_modal

        if options.stack_url:
            asyncio.run(load_the_stack(options.stack_url))
        asyncio.run(serve_bare(options.serve_bare, options.api_url, read_modal(options.modal)))
        sys.exit(0)
    sys.exit(main(options))
