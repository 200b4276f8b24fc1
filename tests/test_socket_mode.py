"""Socket Mode end to end: the real app behind Bolt's Socket Mode handler, and `supportbot run` as a
process, both connected to the fake Slack's websocket."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Supportbot
from tests.kit.block_limits import facts_dir
from tests.kit.fake_slack import FakeSlack

ENVELOPES: dict[str, Any] = json.loads((facts_dir() / "payloads" / "socket_mode_envelopes.json").read_text("utf-8"))
OUR_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
                 "SUPPORTBOT_CONFIG", "SUPPORTBOT_WEBHOOK_TOKEN", "LOG_LEVEL")


def slash_command(command: str, text: str) -> dict[str, Any]:
    """The payload of the reference `slash_commands` envelope, with our command and text."""
    envelope = next(e for e in ENVELOPES["payload"]["envelopes"] if e["type"] == "slash_commands")
    return {**copy.deepcopy(envelope["payload"]), "command": command, "text": text}


async def test_slash_command_over_socket_mode_is_acked_with_the_help_text(
    app: Supportbot, slack: FakeSlack
) -> None:
    handler = AsyncSocketModeHandler(app.bolt, "xapp-1-test")
    try:
        await handler.connect_async()
        await slack.socket.await_connected(timeout=10)
        assert slack.last("apps.connections.open").token == "xapp-1-test"

        envelope_id = slack.socket.send("slash_commands", slash_command("/supportbot", "help"))
        ack = await slack.socket.await_ack(envelope_id, timeout=10)
    finally:
        await handler.close_async()

    assert ack["envelope_id"] == envelope_id
    assert "/escalate" in ack["payload"]["text"]


def bot_environment(slack: FakeSlack, database: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any of our variables, plus the ones given."""
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    return {**env, "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{database}", **extra}


def wait_connected(slack: FakeSlack, process: subprocess.Popen[bytes], accepted: int, log: Path) -> None:
    """Poll (bounded) until the process opened a new Socket Mode connection; fail fast if it died."""
    deadline = time.monotonic() + 30
    while not (slack.socket.connected and slack.socket.total_connections > accepted):
        if process.poll() is not None:
            raise AssertionError(f"supportbot exited with {process.returncode} before connecting:\n"
                                 f"{log.read_text('utf-8', errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"supportbot did not connect within 30 s; calls: {slack.calls()}\n"
                                 f"{log.read_text('utf-8', errors='replace')}")
        time.sleep(0.05)


def test_supportbot_run_serves_socket_mode_and_stops_cleanly_on_sigterm(slack: FakeSlack, tmp_path: Path) -> None:
    env = bot_environment(slack, tmp_path / "supportbot.db", SLACK_BOT_TOKEN="xoxb-process",
                          SLACK_APP_TOKEN="xapp-1-process")
    accepted = slack.socket.total_connections
    output = tmp_path / "supportbot.log"
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_connected(slack, process, accepted, output)
        assert slack.last("apps.connections.open").token == "xapp-1-process"

        envelope_id = slack.socket.send("slash_commands", slash_command("/supportbot", "help"))
        ack = slack.socket.wait_for_ack(envelope_id, timeout=10)
        assert "/escalate" in ack["payload"]["text"]

        connected = slack.socket.connected
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    printed = output.read_text("utf-8", errors="replace")
    assert code == 0, printed
    assert "Traceback" not in printed
    assert (tmp_path / "supportbot.db").exists()  # it migrated its database before connecting
    deadline = time.monotonic() + 5
    while slack.socket.connected >= connected and time.monotonic() < deadline:  # the close lands shortly after
        time.sleep(0.05)
    assert slack.socket.connected == connected - 1  # it closed its websocket on the way out


def test_in_socket_mode_the_tickets_webhook_is_served_on_the_health_port(slack: FakeSlack, tmp_path: Path) -> None:
    import httpx

    from tests.conftest import TEAM_YAML
    from tests.test_cli import free_port

    (tmp_path / "teams.yml").write_text(TEAM_YAML, encoding="utf-8")
    env = bot_environment(slack, tmp_path / "supportbot.db", SLACK_BOT_TOKEN="xoxb-process",
                          SLACK_APP_TOKEN="xapp-1-process", SUPPORTBOT_CONFIG=str(tmp_path / "teams.yml"),
                          SUPPORTBOT_WEBHOOK_TOKEN="whk-socket-mode")
    port, accepted, output = free_port(), slack.socket.total_connections, tmp_path / "supportbot.log"
    ticket = {"id": "4411", "team": "tier1", "created_at": "2026-11-02T09:00:00-05:00", "status": "open"}
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-scheduler", "--port", str(port)],
                                   env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        wait_connected(slack, process, accepted, output)
        url = f"http://127.0.0.1:{port}/webhooks/tickets"
        stranger = httpx.post(url, json=ticket, timeout=10)
        answer = httpx.post(url, json=ticket, headers={"Authorization": "Bearer whk-socket-mode"}, timeout=10)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    printed = output.read_text("utf-8", errors="replace")
    assert code == 0, printed
    assert stranger.status_code == 401
    assert (answer.status_code, answer.json()["imported"]) == (200, 1), printed
    assert "tickets webhook: 1 imported" in printed
