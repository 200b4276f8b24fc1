"""Fan-out: stand-up prompts to `--members` people while the Slack Web API enforces a rate limit, and the same
process answering slash commands meanwhile.

The app is supportbot's own: `create_app` on a migrated SQLite file with the teams file applied (one team, every
member in New York, its stand-up at 09:30), served over HTTP exactly as `supportbot run --http` serves it
(uvicorn, one worker), in one process pinned to core 0. When told to, that process runs one tick of the
`standups` job at 09:30 (the scheduler's own entry point, `Metrics.run_job`) while it keeps serving. The
people cache is filled beforehand, as after the first day (the job still asks `users.info` for each member's
current status, as it does in production: that call is not rate limited here).

The fake Slack (core 1, with the load generator) lets `chat.postMessage` through a token bucket of `--rate`
messages a second holding at most one second's worth (full at the start), and answers anything beyond it with
429 and `Retry-After` (whole seconds, as Slack does). It records every message it accepted, so lost and
duplicated prompts are counted where Slack would see them. Every second, a signed `/standup help` is sent to the
app and its answer timed.

The floor is the time the limit allows: (members − the bucket's one second) ÷ rate. Goal: the fan-out done within
1.1× the floor, zero lost, zero duplicates, and every command answered within 3 s.

    python -m bench.fanout [--members 5000] [--rate 50] [--in-flight 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.command_path_servers import (
    APP_CORE,
    CLIENT_KEEP_ALIVE,
    LOAD_CORE,
    SECRET,
    cpu_seconds,
    free_port,
    machine,
    popen,
    stop,
    supportbot_env,
)
from bot.rules.percentiles import percentile
from handlers.outbox import AT_ONCE as SHIPPED_IN_FLIGHT
from tests.kit.signing import signed_headers

GOAL_TIME, GOAL_COMMAND = 1.1, 3.0
AT = datetime.fromisoformat("2026-11-18T14:30:00+00:00")  # Wednesday 09:30 in New York
ZONE = "America/New_York"


def members(count: int) -> list[str]:
    return [f"U0F{n:06d}" for n in range(count)]


def teams_yaml(count: int) -> str:
    return ("teams:\n  - key: crew\n    name: Crew\n    timezone: America/New_York\n"
            f"    members: [{', '.join(members(count))}]\n    managers: [U0MANAGER]\n"
            "    channels: {standup: C0STANDUP}\n"
            "    standup: {time: \"09:30\", reminder_minutes: 60, window_hours: 4}\n")


# ============================================================================ the rate-limited Slack (a subprocess)

async def serve_limited_slack(rate: float) -> int:
    """Prints its API URL; answers `stats` on stdin with a JSON summary; stops at EOF."""
    from aiohttp import web

    capacity = max(1.0, rate)  # one second's worth
    bucket = {"tokens": capacity, "at": time.monotonic()}
    accepted: Counter[str] = Counter()
    times: list[float] = []
    counts: Counter[str] = Counter()
    stamps = iter(range(1, 10**9))

    def take() -> float:
        """0 when a token was taken, else the seconds until one is there."""
        now = time.monotonic()
        bucket["tokens"] = min(capacity, bucket["tokens"] + (now - bucket["at"]) * rate)
        bucket["at"] = now
        if bucket["tokens"] >= 1:
            bucket["tokens"] -= 1
            return 0.0
        return (1 - bucket["tokens"]) / rate

    async def api(request: web.Request) -> web.Response:
        raw = await request.read()
        method = request.match_info["method"]
        counts[method] += 1
        if method == "chat.postMessage":
            wait = take()
            if wait:
                counts["429"] += 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(max(1, math.ceil(wait)))})
            fields = json.loads(raw) if raw.startswith(b"{") else dict(request.query)
            channel = str(fields.get("channel", "?"))
            accepted[channel] += 1
            times.append(time.monotonic())
            return web.json_response({"ok": True, "channel": f"D{channel}", "ts": f"1700000000.{next(stamps):06d}"})
        if method == "users.info":
            form = dict(await request.post()) if not raw.startswith(b"{") else json.loads(raw)
            user = str(form.get("user") or request.query.get("user", "U0"))
            return web.json_response({"ok": True, "user": {"id": user, "name": user.lower(), "tz": ZONE,
                                                           "profile": {"display_name": user}}})
        if method == "auth.test":
            return web.json_response({"ok": True, "team": "Acme", "team_id": "T0TEAM", "user": "supportbot",
                                      "user_id": "U0BOT", "bot_id": "B0BOT"})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}/api/", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "stats":
                print(json.dumps({"accepted": dict(accepted), "counts": dict(counts),
                                  "span": (times[-1] - times[0]) if len(times) > 1 else 0.0}), flush=True)
    finally:
        await runner.cleanup()
    return 0


# ============================================================================ the app (a subprocess)

async def serve_app(port: int, count: int, in_flight: int) -> int:
    """supportbot's app on HTTP; on `go` (stdin) one `standups` tick at 09:30 and the outbox sent to its end
    (what a 429 held back is sent by the dispatcher once Retry-After has passed), then `done SECONDS SENT`.
    `in_flight` overrides `handlers.outbox.AT_ONCE` (messages sent at once) in this process only."""
    import gc
    import logging

    from bot.app import create_app
    from bot.cli import check_token, database, serve_http
    from bot.rules.people import Person
    from bot.rules.team_config import parse_teams
    from bot.settings import load_settings
    from handlers import outbox
    from handlers.standups.jobs import STANDUPS
    from storage import people, teams
    from storage.db import session_factory

    outbox.AT_ONCE = in_flight
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    async with database(settings) as engine, session_factory(engine)() as session:
        await teams.apply(session, parse_teams(teams_yaml(count)), now=AT - timedelta(days=1))
        await people.remember(session, [Person(user, user, tz=ZONE) for user in members(count)],
                              now=AT - timedelta(hours=1))
        await session.commit()
    bot = create_app(settings)
    gc.collect()
    gc.freeze()  # as `supportbot run`
    await check_token(bot)
    server = asyncio.create_task(serve_http(bot.asgi(), "127.0.0.1", port, settings.log_level))
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "go":
                started = time.perf_counter()
                done = await bot.services.metrics.run_job(STANDUPS, bot.services, AT)
                done += await bot.services.outbox.drain(AT, limit=3600)
                print(f"done {time.perf_counter() - started:.3f} {done}", flush=True)
    finally:
        server.cancel()
        await bot.close()
    return 0


# ============================================================================ the run

def command_request() -> tuple[bytes, dict[str, str]]:
    form = {"token": "verification-token", "team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0HERE",
            "channel_name": "support", "user_id": "U0F000001", "user_name": "member", "command": "/standup",
            "text": "help", "api_app_id": "A0APP", "response_url": "http://127.0.0.1:9/hooks/x",
            "trigger_id": f"{time.time_ns()}.1111.abcdef"}
    body = urlencode(form)
    return body.encode(), signed_headers(SECRET, body, int(time.time()))


async def commands_meanwhile(url: str, stop_when: asyncio.Event, latencies: list[float], failures: list[str]) -> None:
    """A signed `/standup help` every second (not waiting for the previous one) until `stop_when` is set."""
    connector = aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEP_ALIVE)  # see bench.command_path.load_session
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def one() -> None:
            body, headers = command_request()
            started = time.perf_counter()
            try:
                async with http.post(f"{url}/slack/events", data=body, headers=headers) as answer:
                    text = await answer.text()
                    if answer.status != 200 or "standup" not in text:
                        failures.append(f"HTTP {answer.status}: {text[:80]!r}")
                        return
            except (aiohttp.ClientError, TimeoutError) as error:
                failures.append(type(error).__name__)
                return
            latencies.append(time.perf_counter() - started)

        sent: list[asyncio.Task[None]] = []
        while not stop_when.is_set():
            sent.append(asyncio.create_task(one()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_when.wait(), 1.0)
        await asyncio.gather(*sent)


def line_of(process: subprocess.Popen[str], timeout: float) -> str:
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline().strip() if ready else ""


async def fan_out(app: subprocess.Popen[str], url: str, limit: float) -> tuple[float, int, list[float], list[str]]:
    """Start the tick, time commands while it runs; (seconds, units done, command latencies, failures)."""
    latencies: list[float] = []
    failures: list[str] = []
    finished = asyncio.Event()
    meanwhile = asyncio.create_task(commands_meanwhile(url, finished, latencies, failures))
    assert app.stdin is not None
    app.stdin.write("go\n")
    app.stdin.flush()
    answer = await asyncio.get_running_loop().run_in_executor(None, line_of, app, limit)
    finished.set()
    await meanwhile
    if not answer.startswith("done "):
        raise RuntimeError(f"the stand-up tick did not finish within {limit:.0f} s (said {answer!r})")
    _, seconds, done = answer.split()
    return float(seconds), int(done), latencies, failures


def wait_ready(url: str, app: subprocess.Popen[str], log: Path) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise RuntimeError(f"the app exited with {app.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the app was not ready within 120 s:\n{log.read_text()[-3000:]}")


def main(args: argparse.Namespace) -> int:
    two_cores = {APP_CORE, LOAD_CORE} <= os.sched_getaffinity(0)
    app_core, load_core = (APP_CORE, LOAD_CORE) if two_cores else (None, None)
    floor = max(args.members - max(1.0, args.rate), 0) / args.rate
    print(f"Fan-out: stand-up prompts to {args.members} members, chat.postMessage limited to {args.rate:g}/s "
          f"(429 + Retry-After beyond it), {args.in_flight} prompt(s) in flight, commands answered meanwhile")
    print("command: " + shlex.join([sys.executable, "-m", "bench.fanout", "--members", str(args.members),
                                    "--rate", f"{args.rate:g}", "--in-flight", str(args.in_flight)]))
    print(machine())
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as scratch:
        folder = Path(scratch)
        slack = popen([sys.executable, "-m", "bench.fanout", "--serve-slack", "--rate", f"{args.rate:g}"], load_core,
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        app: subprocess.Popen[str] | None = None
        try:
            api_url = line_of(slack, 60)
            if not api_url.startswith("http://"):
                raise RuntimeError(f"the fake Slack did not start (said {api_url!r})")
            port = free_port()
            env = supportbot_env(api_url, f"sqlite:///{folder / 'fanout.db'}", folder / "none.yml")
            env.pop("SUPPORTBOT_CONFIG")
            log = folder / "app.log"
            with log.open("wb") as output:
                app = popen([sys.executable, "-m", "bench.fanout", "--serve-app", str(port), "--members",
                             str(args.members), "--in-flight", str(args.in_flight)], app_core, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=output, text=True)
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, app, log)
            cpu_before = cpu_seconds(app.pid)
            seconds, done, latencies, failures = asyncio.run(fan_out(app, url, max(600.0, floor * 5)))
            app_cpu = cpu_seconds(app.pid) - cpu_before
            assert slack.stdin is not None
            slack.stdin.write("stats\n")
            slack.stdin.flush()
            stats: dict[str, Any] = json.loads(line_of(slack, 30))
            warnings = [line for line in log.read_text().splitlines() if "WARNING" in line or "ERROR" in line]
        finally:
            if app is not None:
                if app.stdin is not None:
                    app.stdin.close()  # its loop ends at EOF, then it closes down
                try:
                    app.wait(30)
                except subprocess.TimeoutExpired:
                    stop(app)
            if slack.stdin is not None:
                slack.stdin.close()
            stop(slack)
    accepted: dict[str, int] = stats["accepted"]
    everyone = members(args.members)
    lost = [m for m in everyone if not accepted.get(m)]
    duplicated = {m: n for m, n in accepted.items() if n > 1}
    worst = max(latencies, default=float("nan"))
    ratio = seconds / floor if floor else float("nan")
    time_met, command_met = ratio <= GOAL_TIME, not failures and worst < GOAL_COMMAND
    print(f"\nfan-out: {seconds:.1f} s for {done} prompts (floor {floor:.1f} s at {args.rate:g}/s), "
          f"{stats['counts'].get('429', 0)} answers of 429, app CPU {app_cpu:.1f} s")
    print(f"at the fake Slack: {sum(accepted.values())} prompts accepted, lost {len(lost)}, duplicated "
          f"{len(duplicated)}; first to last accepted {stats['span']:.1f} s")
    print(f"commands meanwhile: {len(latencies)} answered, {len(failures)} failed, p50 "
          f"{(percentile(latencies, 50) or 0) * 1000:.0f} ms, max {worst * 1000:.0f} ms")
    for line in warnings[:5]:
        print(f"  app log: {line[:200]}")
    print(f"ratio (time ÷ floor): {ratio:.2f} (goal ≤ {GOAL_TIME}: {'met' if time_met else 'NOT met'}); lost "
          f"{len(lost)}, duplicates {len(duplicated)} (goal 0: {'met' if not lost and not duplicated else 'NOT met'}); "
          f"slowest command {worst:.2f} s (goal < {GOAL_COMMAND:g} s: {'met' if command_met else 'NOT met'})")
    return 1 if lost or duplicated or failures else 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000, help="members to prompt (default: %(default)s)")
    parser.add_argument("--rate", type=float, default=50.0, help="chat.postMessage per second (default: %(default)s)")
    parser.add_argument("--in-flight", type=int, default=SHIPPED_IN_FLIGHT,
                        help="messages the outbox sends at once (default: %(default)s, as shipped; a crash "
                             "can duplicate at most that many)")
    parser.add_argument("--serve-slack", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-app", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.members < 1 or parsed.rate <= 0 or parsed.in_flight < 1:
        parser.error("--members, --rate and --in-flight must be positive")
    return parsed


if __name__ == "__main__":
    options = arguments()
    if options.serve_slack:
        sys.exit(asyncio.run(serve_limited_slack(options.rate)))
    if options.serve_app is not None:
        sys.exit(asyncio.run(serve_app(options.serve_app, options.members, options.in_flight)))
    sys.exit(main(options))
