"""Composition: build the Bolt app, its services and its ASGI front, with no import-time side effects."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.clock import FileClock, utcnow
from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.slack_client import close_client, make_client
from bot.transports import transports
from handlers import all_jobs, envelope, register_all, tickets_webhook
from handlers.debounce import Debouncer
from handlers.escalations import paging
from handlers.jobs import Job
from handlers.metrics import MeasuredBolt, Metrics
from handlers.outbox import Outbox
from handlers.services import Services
from storage.db import make_engine, ping, session_factory
from storage.directory import TeamDirectory

log = logging.getLogger(__name__)

INVALID_REQUEST = {"error": "invalid request"}
"""Bolt's answer (401) to a request whose signature or timestamp does not verify."""
TOO_LARGE = {"error": "request too large"}
"""The answer (413) to a request over `handlers.envelope.MAX_BODY`, refused unread."""


@dataclass(frozen=True)
class Supportbot:
    settings: Settings
    bolt: AsyncApp
    services: Services
    jobs: list[Job]

    async def healthz(self, _request: Request) -> Response:
        """200 while the database answers, 503 otherwise (the container's HEALTHCHECK)."""
        if await ping(self.services.engine):
            return JSONResponse({"ok": True, "database": "reachable"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    def health_asgi(self) -> Starlette:
        """Only `GET /healthz`, `GET /metrics` and `POST /webhooks/tickets`: what Socket Mode serves, so the
        same HEALTHCHECK, scrape and helpdesk webhook work in both modes (and no unsigned request can reach
        Bolt, whose signature check is off without a signing secret)."""
        return Starlette(routes=[Route("/healthz", self.healthz, methods=["GET"]),
                                 Route("/metrics", self.services.metrics.endpoint, methods=["GET"]),
                                 self._tickets_webhook()])

    def _tickets_webhook(self) -> Route:
        return Route("/webhooks/tickets", tickets_webhook.endpoint(
            self.services.db, self.settings.supportbot_webhook_token, self.services.clock), methods=["POST"])

    def start_jobs(self) -> AsyncIOScheduler:
        """The scheduler, started in the running loop (with a rehearsal's tick and driven clock, if set)."""
        return start_scheduler(self.services, self.jobs, tick_seconds=self.settings.supportbot_tick_seconds,
                               once_per_instant=self.settings.supportbot_clock_file is not None)

    async def close(self) -> None:
        """Drop pending App Home refreshes; close the Slack HTTP session and the database pool."""
        await self.services.later.close()
        await self.services.outbox.close()
        await close_client(self.services.client)
        await self.services.engine.dispose()

    def asgi(self, *, scheduler: bool = False) -> Starlette:
        """`POST /slack/events` (Bolt, signatures verified), `GET /healthz` and `GET /metrics` (Prometheus)."""
        secret = self.settings.slack_signing_secret
        signatures = envelope.SignatureCheck(secret) if secret else None

        async def events(request: Request) -> Response:
            """Refuse what is too large (413) or forged (401, as Bolt would) before anything parses it, and
            what Slack signed but Bolt could not read (200 and a refusal, `handlers.envelope`); hand the rest
            to Bolt, parsed and checked."""
            headers = request.headers
            raw = await envelope.read_capped(request)
            if raw is None:
                return JSONResponse(TOO_LARGE, status_code=413)
            if signatures is None or not signatures.signed(raw, headers.get("x-slack-request-timestamp"),
                                                           headers.get("x-slack-signature")):
                if envelope.is_ssl_check(raw):
                    return Response(status_code=200)  # Slack's unsigned certificate check, matched unparsed
                return JSONResponse(INVALID_REQUEST, status_code=401)
            kind = envelope.kind_of(raw, headers.get("content-type"))
            try:
                body = envelope.read(raw, headers.get("content-type"))
            except envelope.Unreadable as error:
                status, answer = envelope.refused(str(error), None, error.kind)
            else:
                reason = envelope.problem(body)
                if reason is None:
                    return await _dispatch(self.bolt, request, body)
                status, answer = envelope.refused(reason, body, kind)
            return JSONResponse(answer, status_code=status) if answer else Response(status_code=status)

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            running = self.start_jobs() if scheduler else None
            try:
                yield
            finally:
                if running:
                    running.shutdown(wait=False)

        return Starlette(
            routes=[
                Route("/slack/events", events, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/metrics", self.services.metrics.endpoint, methods=["GET"]),
                self._tickets_webhook(),
            ],
            lifespan=lifespan,
        )


class _TokenBesideClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment and, seeing our client too, warns at every start
    that the token will be unused: it is used, by that client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


def _quiet_bolt() -> None:
    bolt_log = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _TokenBesideClient) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenBesideClient())


def create_app(
    settings: Settings, *, client: AsyncWebClient | None = None, engine: AsyncEngine | None = None,
    clock: Callable[[], datetime] | None = None, directory_check_every: float = 2.0, home_refresh_after: float = 3.0,
    send_in_background: bool = True,
) -> Supportbot:
    """Everything the bot needs, built from its settings (call it from a running event loop: the Slack
    client opens its keep-alive session). `directory_check_every` is how often, in seconds, a replica
    looks for a configuration change made elsewhere; `home_refresh_after` how long a person's App Home waits
    after a change before it is republished (one `views.publish` for a burst of clicks). Without
    `send_in_background` the outbox is sent only by ticks and `drain()` (a test's crash after a commit). The clock is
    `clock`, else the driven one of `SUPPORTBOT_CLOCK_FILE`, else the wall clock."""
    _quiet_bolt()
    metrics = Metrics()
    client = client or make_client(settings, token=settings.require_bot_token(), metrics=metrics)
    engine = engine or make_engine(settings.database_url)
    db = session_factory(engine)
    metrics.watch_helpdesks(db)
    clock = clock or (FileClock(settings.supportbot_clock_file) if settings.supportbot_clock_file else utcnow)
    services = Services(client=client, engine=engine, db=db, clock=clock,
                        directory=TeamDirectory(db, check_every=directory_check_every),
                        later=Debouncer(home_refresh_after), metrics=metrics,
                        outbox=Outbox(db, client, clock, metrics, background=send_in_background,
                                      transports=transports(settings, client, db, clock)))
    services.outbox.on_settled.append(paging.watch(services))  # the card says when a page failed
    return Supportbot(settings=settings, bolt=build_bolt(services, settings), services=services, jobs=all_jobs())


def build_bolt(services: Services, settings: Settings, *, process_before_response: bool = True) -> AsyncApp:
    """The Bolt app with every feature's listeners. Acks go out as soon as the listener returns
    instead of through Bolt's 10 ms polling loop (`bench/acks.py` measures the difference);
    listeners stay short and hand slow work to jobs. Every dispatch is counted and timed per listener
    (`handlers.metrics.MeasuredBolt`)."""
    bolt = MeasuredBolt(
        metrics=services.metrics,
        client=services.client,
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=process_before_response,
        # Off, on purpose: HTTP requests are verified once, on the raw bytes, by the front (`Supportbot.asgi`)
        # before anything parses them, which then hands Bolt the checked body re-encoded as JSON (so Bolt's
        # own check of the raw body could not pass); Socket Mode's arrive over Slack's authenticated websocket.
        request_verification_enabled=False,
        # The envelope check runs first of all global middleware, before Bolt's authorization and self-event
        # filter (which already read `event`, `user`, `team`…): what it refuses is acked without next().
        before_authorize=envelope.check_envelope,
        logger=logging.getLogger("slack_bolt"),
    )
    bolt.middleware(_with_services(services))
    register_all(bolt)
    return bolt


async def _dispatch(bolt: AsyncApp, request: Request, body: dict[str, Any]) -> Response:
    """Bolt, given the body exactly as it was checked: re-encoded as JSON, which Bolt parses whatever the
    body's form was (see `envelope.read` for the form body Bolt would have misread)."""
    headers: dict[str, str | Sequence[str]] = {**request.headers, "content-type": envelope.JSON}
    bolt_request = AsyncBoltRequest(body=json.dumps(body), query=request.url.query, headers=headers)
    bolt_request.context[envelope.CHECKED] = True
    return to_starlette_response(await bolt.async_dispatch(bolt_request))


def _with_services(services: Services) -> Callable[..., Awaitable[Any]]:
    async def middleware(context: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        context["services"] = services
        context["db"] = services.db
        context["directory"] = await services.directory.current()  # from memory, between revision checks
        context["now"] = services.clock()
        return await next()

    return middleware
