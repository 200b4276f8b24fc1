"""Socket Mode, supervised: supportbot (re)connects itself, with a capped backoff and one log line per
attempt, and stops within a second or two of SIGTERM or SIGINT whether it is connecting, connected or
reconnecting — also while Slack cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.app import Supportbot
from handlers import envelope

log = logging.getLogger("supportbot")
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
CONNECT_TIMEOUT = 10.0
CHECK_EVERY = 1.0


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, with the envelope checked first (as HTTP mode's front does): what Bolt
    could not read is acked with a refusal instead of crashing it."""

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        payload = req.payload if isinstance(req.payload, dict) else None
        reason = envelope.problem(payload) if payload is not None else "the payload is not an object"
        if reason is None:
            await super().handle(client, req)
            return
        _status, answer = envelope.refused(reason, payload)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=answer))


class _OneLine(logging.Filter):
    """slack_sdk logs each failed attempt with its traceback; one line says as much."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


def _client_logger() -> logging.Logger:
    logger = logging.getLogger("supportbot.socket_mode")
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
    return logger


async def serve_socket_mode(bot: Supportbot, *, scheduler: bool, host: str, port: int) -> None:
    """Events arrive over the websocket; `GET /healthz` is served on `host:port` for the HEALTHCHECK."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    handler = CheckedSocketModeHandler(bot.bolt, bot.settings.slack_app_token, logger=_client_logger())
    client = handler.client
    client.default_auto_reconnect_enabled = client.auto_reconnect_enabled = False  # we reconnect, with backoff
    running = bot.start_jobs() if scheduler else None
    supervisor = asyncio.create_task(keep_connected(client, stop))
    health = _health_server(bot, host, port)
    serving = asyncio.create_task(health.serve())
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        health.should_exit = True
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, timeout=5)
        if running:
            running.shutdown(wait=False)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), timeout=5)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def _health_server(bot: Supportbot, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(bot.health_asgi(), host=host, port=port, lifespan="off",
                                           log_level="warning", access_log=False))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]  # ours stop it
    return server


async def keep_connected(client: SocketModeClient, stop: asyncio.Event) -> None:
    """Connect, and connect again whenever the connection is lost, until `stop` is set."""
    delay, was_connected = FIRST_DELAY, False
    while not stop.is_set():
        if await client.is_connected():
            if not was_connected:
                log.info("supportbot is connected over Socket Mode")
                was_connected, delay = True, FIRST_DELAY
            await _pause(stop, CHECK_EVERY)
            continue
        if was_connected:
            log.warning("the Socket Mode connection was lost; reconnecting")
            was_connected = False
        problem = await _connect(client)
        if problem is None:
            continue
        log.warning("cannot reach Slack over Socket Mode (%s); next attempt in %.0f s", problem, delay)
        await _pause(stop, delay)
        delay = min(delay * 2, MAX_DELAY)


async def _connect(client: SocketModeClient) -> str | None:
    """One attempt: a new websocket URL from the Web API, then the websocket. None, or what went wrong."""
    try:
        client.wss_uri = await client.issue_new_wss_url()
        await asyncio.wait_for(client.connect(), timeout=CONNECT_TIMEOUT)  # slack_sdk retries inside: bounded
    except SlackApiError as error:
        return f"Slack said {error.response.get('error')}"
    except TimeoutError:
        return f"no websocket within {CONNECT_TIMEOUT:.0f} s"
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
