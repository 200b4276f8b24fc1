"""Why bench.command_path's load generator lost connections on a busy machine (issue 19, point 14), kept in the
default run because it is quick: uvicorn closes a keep-alive connection idle for 5 s (SERVER_KEEP_ALIVE, the
default `supportbot run --http` has too); aiohttp's pool kept one for 15 s, and checks only that the socket is
still open, which it is until its loop reads the server's FIN. A loop busy with another server's round reads it
late, reuses the connection, and the request meets a closed socket: ServerDisconnectedError. The load generator
now drops a connection idle for CLIENT_KEEP_ALIVE, well before any server does."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench.command_path import load, load_session
from bench.command_path_report import Round
from bench.command_path_servers import (
    CLIENT_KEEP_ALIVE,
    SERVER_KEEP_ALIVE,
    FakeSlackProcess,
    command_request,
    free_port,
    spawn,
    stop,
    write_modal,
)

ESTABLISHED, CLOSE_WAIT = "01", "08"


def client_sockets(port: int) -> list[str]:
    """The TCP states of this machine's IPv4 sockets connected to 127.0.0.1:`port` (the clients' ends)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return [fields[3] for fields in (row.split() for row in rows) if fields[2] == f"0100007F:{port:04X}"]


def wait_until_the_server_closed_them(port: int, limit: float) -> int:
    """Without letting the event loop run (as a busy one does not): poll until the server has closed every
    connection the client holds to it (each client end in CLOSE_WAIT); how many it closed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        states = client_sockets(port)
        if states and ESTABLISHED not in states:
            return states.count(CLOSE_WAIT)
        time.sleep(0.05)
    raise AssertionError(f"the server did not close the idle connections within {limit:.0f} s: {states}")


async def test_a_connection_the_server_closed_while_idle_is_not_reused(tmp_path: Path) -> None:
    assert CLIENT_KEEP_ALIVE < SERVER_KEEP_ALIVE / 2
    modal = write_modal(tmp_path)
    slack = FakeSlackProcess("minimal", modal, None)
    port = free_port()
    bare = spawn("bare", [sys.executable, "-m", "bench.command_path", "--serve-bare", str(port), "--api-url",
                          slack.api_url, "--modal", str(modal)], {**os.environ, "LOG_LEVEL": "WARNING"}, None, port)
    try:
        bare.wait_ready()
        async with load_session(8) as http:
            warm = Round("bare")
            await load(http, bare.url, 0.5, 8, warm, command_request)
            assert warm.failures == {} and warm.latencies, bare.output()

            closed = wait_until_the_server_closed_them(port, limit=SERVER_KEEP_ALIVE * 4 + 10)
            assert closed >= 1

            again = Round("bare")
            await load(http, bare.url, 0.5, 8, again, command_request)
        assert again.failures == {}, bare.output()
        assert again.latencies
    finally:
        stop(bare.process)
        bare.log.close()
        slack.close()
