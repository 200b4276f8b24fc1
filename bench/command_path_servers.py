"""The processes of `bench.command_path`: the bare Bolt app, the fake Slack Web API, pinning to a core,
starting and stopping them, and the signed request they are loaded with."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import platform
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import aiohttp

from tests.kit.signing import signed_headers

TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
USER = "U0AGENT1"  # a member of tier1, whose team has two escalation paths
APP_CORE, LOAD_CORE = 0, 1
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 25.0  # supportbot lets in-flight requests finish for up to 20 s on SIGTERM
WARM_UP_SECONDS = 2.0
QUIET, NOISY = 0.1, 0.15  # CPU (in cores) of other work on the two cores: wait for under QUIET, repeat over NOISY
QUIET_WAIT = 30.0  # seconds at most (and at most one round's length) to wait for a quiet machine before a round
REPEATS = 3  # a round run while other work used over NOISY is run again, at most this many times
REQUEST_TIMEOUT = 30.0
SERVER_KEEP_ALIVE = 5  # uvicorn's default idle keep-alive, which `supportbot run --http` has: the bare ones too
CLIENT_KEEP_ALIVE = 1.0  # the load generator reuses a connection idle this long at most: well before a server closes it
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ============================================================================ the bare app (a subprocess)

def write_modal(folder: Path) -> Path:
    """The modal the bare app opens (and the fake Slack answers with): supportbot's escalation form for tier1."""
    import json

    from handlers.escalations.views import escalation_form

    path = folder / "modal.json"
    path.write_text(json.dumps(escalation_form([("Tier 1 Support", [(1, "Engineering"), (2, "Billing")])])))
    return path


def read_modal(path: Path) -> dict[str, Any]:
    import json

    view: dict[str, Any] = json.loads(path.read_text())
    return view


async def serve_bare(port: int, api_url: str, view: dict[str, Any],
                     listeners: Callable[[Any], None] | None = None) -> None:
    """A bare slack_bolt AsyncApp doing each path's Slack calls with fixed content (`bench.command_path_paths`):
    `/escalate` opens a fixed modal, then acks; the form's submission and Acknowledge post and update fixed cards.
    `listeners` registers other listeners instead (bare+sql's, `bench.command_path_durable`). `GET /healthz` for
    readiness."""
    import logging

    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))  # one keep-alive session, as ours
    client = AsyncWebClient(token=TOKEN, base_url=api_url, timeout=15, session=session)
    bolt = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True,
                    logger=logging.getLogger("slack_bolt"))

    from bench.command_path_paths import register_bare

    if listeners is None:
        register_bare(bolt, view)
    else:
        listeners(bolt)
    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    asgi = Starlette(routes=[Route("/slack/events", events, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, workers=1, log_level="warning",
                                           timeout_keep_alive=SERVER_KEEP_ALIVE))
    # As `supportbot run`: inside asyncio.run (no uvloop either way), and a SIGTERM ends it with status 0.
    previous = {signum: signal.signal(signum, lambda *_: None) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        await server.serve()
    finally:
        await session.close()
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)


# ============================================================================ the fake Slack (a subprocess)

def serve_fake_slack(kind: str, modal: Path) -> int:
    """The fake Slack Web API: prints its API URL, then answers each `reset` line on stdin with a JSON object
    of the calls per method since the last reset (`"crashes"`: its own errors); stops at EOF (on its own core)."""
    return asyncio.run(_minimal_fake_slack(read_modal(modal))) if kind == "minimal" else _kit_fake_slack()


def _kit_fake_slack() -> int:
    """tests.kit FakeSlack: checks every view against Slack's block limits and records every call."""
    from tests.kit.fake_slack import FakeSlack

    slack = FakeSlack().start()
    try:
        print(slack.api_url, flush=True)
        for line in sys.stdin:
            if line.strip() == "reset":
                import json
                from collections import Counter

                counts = Counter(call.method for call in slack.calls())
                counts["crashes"] = len(slack.errors)
                slack.reset()
                print(json.dumps(counts), flush=True)
    finally:
        slack.stop()
    return 0


async def _minimal_fake_slack(modal: dict[str, Any]) -> int:
    """Answers `views.open` with the view Slack would return and `auth.test` as Slack does, from bytes
    serialised once, `chat.postMessage` with its channel and a new ts, `chat.getPermalink` with a link; counts calls per
    method. Cheap enough that the app, not its Slack, is the limit."""
    import json

    from aiohttp import web

    view = {**modal, "id": "V0BENCH", "team_id": "T0TEAM", "state": {"values": {}}, "hash": "1.a",
            "previous_view_id": None, "root_view_id": "V0BENCH", "app_id": "A0APP", "bot_id": "B0BOT"}
    answers = {
        "views.open": json.dumps({"ok": True, "view": view}).encode(),
        "auth.test": json.dumps({"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "supportbot",
                                 "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT",
                                 "is_enterprise_install": False}).encode(),
    }
    counts: dict[str, int] = {}
    stamps = itertools.count(1)

    async def api(request: web.Request) -> web.Response:
        raw = await request.read()
        method = request.match_info["method"]
        counts[method] = counts.get(method, 0) + 1
        if not request.headers.get("Authorization"):
            body = b'{"ok": false, "error": "not_authed"}'
        elif method == "chat.postMessage":
            channel = str((json.loads(raw) if raw.startswith(b"{") else {}).get("channel", "C0BENCH")).encode()
            body = b'{"ok": true, "channel": "%s", "ts": "1700000000.%06d"}' % (channel, next(stamps))
        elif method == "chat.getPermalink":
            body = b'{"ok": true, "permalink": "https://acme.slack.com/archives/C0ENG/p1700000000000100"}'
        else:
            body = answers.get(method, b'{"ok": true}')
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/api/{method}", api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"http://127.0.0.1:{port}/api/", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "reset":
                print(json.dumps(counts), flush=True)
                counts.clear()
    finally:
        await runner.cleanup()
    return 0


# ============================================================================ processes

@contextlib.contextmanager
def on_core(core: int | None) -> Iterator[None]:
    """Run the block (a spawn: children inherit it atomically) with this process pinned to `core`."""
    if core is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15


def core_ticks() -> dict[int, tuple[int, int, int]]:
    """(busy, stolen, all) clock ticks of each core so far, from /proc/stat."""
    found: dict[int, tuple[int, int, int]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in values[:8])
            busy = user + nice + system + irq + softirq
            found[int(name[3:])] = (busy, steal, busy + steal + idle + iowait)
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer GET /healthz within {START_TIMEOUT:.0f} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when this benchmark dies, even of a SIGKILL (Linux prctl)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def popen(command: list[str], core: int | None, **options: Any) -> subprocess.Popen[Any]:
    """A child in its own session (a Ctrl-C reaches only this script, which stops it) pinned to `core`
    from its first instruction on. Called while this script runs no other thread (preexec_fn)."""
    with on_core(core):
        return subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent, **options)


def spawn(name: str, command: list[str], env: dict[str, str], core: int | None, port: int) -> Server:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the server, after the run
    process = popen(command, core, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class FakeSlackProcess:
    """The fake Slack Web API in its own process (on the load core)."""

    def __init__(self, kind: str, modal: Path, core: int | None) -> None:
        self.process = popen([sys.executable, "-m", "bench.command_path", "--serve-fake-slack", kind,
                              "--modal", str(modal)], core, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.api_url = self._line()
        if not self.api_url.startswith("http://127.0.0.1:"):
            stop(self.process)
            raise RuntimeError(f"the fake Slack did not start (said {self.api_url!r})")

    def _line(self, timeout: float = START_TIMEOUT) -> str:
        """The fake's next line of stdout, waiting at most `timeout` seconds ("" if it died or hangs)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return self.process.stdout.readline().strip() if ready else ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def reset(self) -> dict[str, int]:
        """The calls per method since the last reset (`"crashes"`: the fake's own errors); forgets them."""
        import json

        assert self.process.stdin is not None
        self.process.stdin.write("reset\n")
        self.process.stdin.flush()
        answer = self._line(30.0)
        if not answer.startswith("{"):
            raise RuntimeError(f"the fake Slack did not answer (exit status {self.process.poll()})")
        counts: dict[str, int] = json.loads(answer)
        return counts

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            stop(self.process)


# ============================================================================ load

_triggers = itertools.count(1)


def command_request() -> tuple[bytes, dict[str, str]]:
    """A signed `/escalate` (empty text) from U0AGENT1, as Slack sends it, with a fresh trigger_id."""
    form = {
        "token": "verification-token", "team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0HERE",
        "channel_name": "support", "user_id": USER, "user_name": USER.lower(), "command": "/escalate", "text": "",
        "api_app_id": "A0APP", "response_url": "http://127.0.0.1:9/hooks/commands/T0TEAM/1/x",
        "trigger_id": f"{next(_triggers)}.1111.abcdef",
    }
    body = urlencode(form)
    return body.encode(), signed_headers(SECRET, body, int(time.time()))


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    packages = ", ".join(f"{name} {version(name)}" for name in ("slack-bolt", "slack-sdk", "uvicorn", "starlette",
                                                                  "aiohttp", "sqlalchemy"))
    return (f"machine: nproc {os.cpu_count()} ({model}), {platform.python_implementation()} "
            f"{platform.python_version()}, {platform.system()} {platform.release()}; {packages}")


def supportbot_env(api_url: str, database_url: str, config: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "SUPPORTBOT_"))}
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url, DATABASE_URL=database_url,
               SUPPORTBOT_CONFIG=str(config), LOG_LEVEL="WARNING")
    return env


def supportbot_command() -> list[str]:
    script = Path(sys.executable).with_name("supportbot")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    return [*entry, "run", "--http", "--no-scheduler"]


@contextlib.contextmanager
def database_url(database: str, folder: Path, postgres: str) -> Iterator[str]:
    if database == "SQLite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from tests.kit.databases import scratch_postgres

    with scratch_postgres(postgres, "supportbot_bench") as url:
        yield url


