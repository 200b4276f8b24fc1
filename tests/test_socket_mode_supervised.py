"""`supportbot run` in Socket Mode stops within seconds on SIGTERM or SIGINT in every state — connecting to
a Slack it cannot reach, connected, reconnecting — and while Slack is unreachable logs one line per attempt
with a growing delay, not a traceback. Real processes against the fake Slack."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.kit.fake_slack import FakeSlack
from tests.test_cli import free_port
from tests.test_socket_mode import bot_environment, slash_command, wait_connected

ATTEMPT = re.compile(r"cannot reach Slack over Socket Mode \(.*\); next attempt in (\d+) s")
STOP_WITHIN = 5.0


def start(env: dict[str, str], cwd: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    output = cwd / "supportbot.log"
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-scheduler", *args], env=env, cwd=cwd,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return process, output


def until(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes], output: Path,
          timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{output.read_text('utf-8', errors='replace')}")
        time.sleep(0.05)


def stops(process: subprocess.Popen[bytes], signum: int) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signum)
    try:
        code = process.wait(timeout=STOP_WITHIN + 10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return code, time.monotonic() - started


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_while_slack_is_unreachable_it_backs_off_and_stops_on_a_signal(signum: int, slack: FakeSlack,
                                                                       tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = {**bot_environment(slack, tmp_path / "supportbot.db", SLACK_BOT_TOKEN="xoxb-process",
                             SLACK_APP_TOKEN="xapp-1-process"), "SLACK_API_URL": unreachable}
    port = free_port()
    process, output = start(env, tmp_path, "--port", str(port))
    until(lambda: len(ATTEMPT.findall(output.read_text("utf-8", errors="replace"))) >= 3,
          "three connection attempts", process, output)
    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # the HEALTHCHECK works in Socket Mode
    unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"command=/escalate", timeout=5)
    code, took = stops(process, signum)
    printed = output.read_text("utf-8", errors="replace")
    delays = [int(d) for d in ATTEMPT.findall(printed)]
    assert code == 0, printed
    assert took < STOP_WITHIN, printed
    assert "Traceback" not in printed
    assert delays[:3] == [1, 2, 4]  # doubling from 1 s (capped at 60 s)
    assert len(printed.splitlines()) < 30, printed
    assert health.status_code == 200 and health.json()["database"] == "reachable"
    assert unsigned.status_code == 404  # only the health check listens there


def test_connected_then_reconnecting_it_still_stops_at_once(slack: FakeSlack, tmp_path: Path) -> None:
    env = bot_environment(slack, tmp_path / "supportbot.db", SLACK_BOT_TOKEN="xoxb-process",
                          SLACK_APP_TOKEN="xapp-1-process")
    accepted = slack.socket.total_connections
    process, output = start(env, tmp_path)
    try:
        wait_connected(slack, process, accepted, output)
        # Slack asks it to reconnect: it does, and answers on the new connection.
        slack.socket.disconnect("refresh_requested")
        until(lambda: slack.socket.total_connections > accepted + 1, "a second connection", process, output)
        until(lambda: slack.socket.connected >= 1, "connected again", process, output)
        envelope_id = slack.socket.send("slash_commands", slash_command("/supportbot", "help"))
        assert "/escalate" in slack.socket.wait_for_ack(envelope_id, timeout=10)["payload"]["text"]
        # Now Slack goes away while it reconnects.
        slack.fail_method("apps.connections.open", "internal_error")
        slack.socket.disconnect("refresh_requested")
        until(lambda: "Failed to retrieve WSS URL" in output.read_text("utf-8", errors="replace"),
              "a failed reconnection attempt", process, output)
    except BaseException:
        process.kill()
        raise
    code, took = stops(process, signal.SIGTERM)
    printed = output.read_text("utf-8", errors="replace")
    assert code == 0, printed
    assert took < STOP_WITHIN, printed
    assert "Traceback" not in printed
