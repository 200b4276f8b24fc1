"""What an operator scrapes at `GET /metrics` (Prometheus text format): requests and ack latency per
listener, Web API calls, errors and rate-limit waits per method, deliveries claimed / sent / failed, and job
runs and durations.

One `Metrics` per app, each on its own registry (never prometheus_client's global one), so two apps in one
process count apart. Every label value comes from a bounded set: a listener's name only when a listener of
that name is registered (anything else is "other", so hostile payloads cannot grow the label set), a Web API
method only when the URL is our API's, a job only by its registered name.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime
from re import Pattern
from typing import TYPE_CHECKING, Any, Literal

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import Field, ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from starlette.requests import Request
from starlette.responses import Response

from handlers.job_runs import JobRun, UnitFailure
from handlers.payloads import Payload, Short
from handlers.rate_limits import WaitRetryAfter
from storage import helpdesks
from storage.db import SessionFactory

if TYPE_CHECKING:
    from handlers.jobs import Job
    from handlers.services import Services

OTHER = "other"
ListenerKind = Literal["command", "action", "view", "event"]
Delivery = Literal["claimed", "sent", "failed", "parked"]
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
"""Seconds; Slack gives up on an ack after 3."""
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)
_METHOD = re.compile(r"[a-z]+(?:\.[A-Za-z]+){1,3}")
_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")

_job: ContextVar[tuple[str, datetime] | None] = ContextVar("supportbot_job", default=None)
_run: ContextVar[JobRun | None] = ContextVar("supportbot_job_run", default=None)


class Metrics:
    """The app's metric objects, on a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.listeners: dict[str, set[str]] = {"command": set(), "action": set(), "view": set(), "event": set()}
        """The names registered per listener kind: the only listener label values besides "other"."""
        r = self.registry
        self.requests = Counter("supportbot_slack_requests", "Slack requests handled, by listener and HTTP status",
                                ["kind", "listener", "status"], registry=r)
        self.ack_seconds = Histogram("supportbot_slack_ack_seconds", "Time from a request's arrival to its ack",
                                     ["kind", "listener"], buckets=ACK_BUCKETS, registry=r)
        self.api_calls = Counter("supportbot_slack_api_calls", "Web API requests sent (each retry is one more)",
                                 ["method"], registry=r)
        self.api_errors = Counter("supportbot_slack_api_errors", "Web API requests that failed, by error",
                                  ["method", "error"], registry=r)
        self.rate_limit_waits = Counter("supportbot_slack_rate_limit_waits", "Waits out of a 429's Retry-After",
                                        ["method"], registry=r)
        self.rate_limit_seconds = Counter("supportbot_slack_rate_limit_wait_seconds",
                                          "Seconds spent waiting out 429s", ["method"], registry=r)
        self.deliveries = Counter("supportbot_deliveries", "Exactly-once sends: claimed, sent, failed "
                                  "(released for the next tick) or parked (kept for `supportbot jobs retry`)",
                                  ["outcome"], registry=r)
        self.job_runs = Counter("supportbot_job_runs", "Job runs, by outcome (ok or failed)", ["job", "outcome"],
                                registry=r)
        self.job_seconds = Histogram("supportbot_job_duration_seconds", "How long one job run took", ["job"],
                                     buckets=JOB_BUCKETS, registry=r)
        self.job_units = Counter("supportbot_job_units", "Units of work job runs did (messages sent)", ["job"],
                                 registry=r)
        for outcome in ("claimed", "sent", "failed", "parked"):
            self.deliveries.labels(outcome)  # present at zero from the first scrape
        self.helpdesk_last_success = Gauge(
            "supportbot_helpdesk_last_success_timestamp_seconds",
            "When each helpdesk source last synced successfully (Unix time; 0: never)", ["source"], registry=r)
        self.helpdesk_tickets = Gauge("supportbot_helpdesk_tickets_synced",
                                      "Tickets each helpdesk source has synced, in all", ["source"], registry=r)
        self.helpdesk_failed = Gauge("supportbot_helpdesk_last_sync_failed",
                                     "1 when a helpdesk source's last sync ended in an error", ["source"], registry=r)
        self.helpdesk_unmatched = Gauge("supportbot_helpdesk_unmatched_tickets",
                                        "Tickets the last sync of each source could match to no team", ["source"],
                                        registry=r)
        self._helpdesk_db: SessionFactory | None = None

    def watch_helpdesks(self, db: SessionFactory) -> None:
        """Read the helpdesk sources' sync state from the database at each scrape (every replica shows the
        same: the state is shared)."""
        self._helpdesk_db = db

    async def _read_helpdesks(self) -> None:
        if self._helpdesk_db is None:
            return
        try:
            async with self._helpdesk_db() as session:
                states = await helpdesks.sources(session)
        except Exception:  # the database away: the rest of the scrape still answers, these keep their values
            logging.getLogger(__name__).warning("/metrics: the helpdesk sources could not be read", exc_info=True)
            return
        for gauge in (self.helpdesk_last_success, self.helpdesk_tickets, self.helpdesk_failed,
                      self.helpdesk_unmatched):
            gauge.clear()  # a source removed from the configuration leaves the scrape
        for state in states:
            success = state.last_success_at
            self.helpdesk_last_success.labels(state.key).set(success.timestamp() if success else 0)
            self.helpdesk_tickets.labels(state.key).set(state.tickets_synced)
            self.helpdesk_failed.labels(state.key).set(1 if state.last_error else 0)
            self.helpdesk_unmatched.labels(state.key).set(state.unmatched)

    def scrape(self) -> bytes:
        return generate_latest(self.registry)

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics`; `?name[]=NAME` (repeatable) shows only those metrics, as prometheus_client's own
        handlers do: a cheap scrape of one gauge for whoever polls it often (tests/test_replicas.py)."""
        names = request.query_params.getlist("name[]")
        if not names or any(name.startswith("supportbot_helpdesk") for name in names):
            await self._read_helpdesks()
        if names:
            return Response(generate_latest(self.registry.restricted_registry(names)), media_type=CONTENT_TYPE_LATEST)
        return Response(self.scrape(), media_type=CONTENT_TYPE_LATEST)

    def listener_of(self, body: dict[str, Any]) -> tuple[str, str]:
        """(kind, name) of the listener a request is for; a name nothing is registered under is "other"."""
        found = _parsed_listener(body)
        if found is None:
            return OTHER, OTHER
        kind, name = found
        return kind, name if name in self.listeners[kind] else OTHER

    def request(self, kind: str, listener: str, status: int, seconds: float) -> None:
        self.requests.labels(kind, listener, str(status)).inc()
        self.ack_seconds.labels(kind, listener).observe(seconds)

    def api_response(self, method: str, response: HttpResponse | None, error: Exception | None) -> None:
        """One Web API attempt and, if it failed, why: Slack's error code, `rate_limited`, `server_error`,
        `http_<status>`, or `no_response` (connection error, timeout, unreadable answer)."""
        self.api_calls.labels(method).inc()
        failure = _failure(response, error)
        if failure is not None:
            self.api_errors.labels(method, failure).inc()

    def delivery(self, outcome: Delivery) -> None:
        self.deliveries.labels(outcome).inc()

    async def run_job(self, job: Job, services: Services, now: datetime) -> int:
        """How many units `job.run(services, now)` did, counted and timed (see `run`)."""
        return (await self.run(job, services, now)).done

    async def run(self, job: Job, services: Services, now: datetime) -> JobRun:
        """`job.run(services, now)`, counted and timed, with the due units it could not do (`unit_failed`):
        a run that raised, or in which a unit failed, is a failed run (its deliveries are counted by the
        dispatcher, `handlers.outbox`, which names the run in what it parks)."""
        run = JobRun()
        running, tally = _job.set((job.name, now)), _run.set(run)
        started = time.perf_counter()
        outcome = "failed"
        try:
            run.done = await job.run(services, now)
            outcome = "ok" if run.ok else "failed"
            self.job_units.labels(job.name).inc(run.done)
            return run
        finally:
            self.job_seconds.labels(job.name).observe(time.perf_counter() - started)
            self.job_runs.labels(job.name, outcome).inc()
            _job.reset(running)
            _run.reset(tally)


def running_job() -> tuple[str, datetime] | None:
    """The name and `now` of the job run this code runs in (None in a request)."""
    return _job.get()


def unit_failed(unit: str, why: str, *, parked: bool = False) -> None:
    """A due unit of the running job could not be done (Slack refused it, or it raised): the run fails and
    says so. Nothing outside a job run."""
    run = _run.get()
    if run is not None:
        run.failures.append(UnitFailure(unit, why, parked))


class _Command(Payload):
    command: Short


class _ActionId(Payload):
    action_id: Short


class _BlockActions(Payload):
    type: Literal["block_actions"]
    actions: list[_ActionId] = Field(min_length=1)


class _CallbackId(Payload):
    callback_id: Short


class _ViewPayload(Payload):
    type: Literal["view_submission", "view_closed"]
    view: _CallbackId


class _EventType(Payload):
    type: Short


class _EventCallback(Payload):
    type: Literal["event_callback"]
    event: _EventType


def _parsed_listener(body: dict[str, Any]) -> tuple[ListenerKind, str] | None:
    try:
        if "command" in body:
            return "command", _Command.model_validate(body).command
        kind = body.get("type")
        if kind == "block_actions":
            return "action", _BlockActions.model_validate(body).actions[0].action_id
        if kind in ("view_submission", "view_closed"):
            return "view", _ViewPayload.model_validate(body).view.callback_id
        if kind == "event_callback":
            return "event", _EventCallback.model_validate(body).event.type
    except ValidationError:
        return None
    return None


def _failure(response: HttpResponse | None, error: Exception | None) -> str | None:
    if response is None:
        return "no_response" if error is not None else None
    if response.status_code == 429:
        return "rate_limited"
    if response.status_code >= 500:
        return "server_error"
    if response.status_code != 200:
        return f"http_{response.status_code}"
    body = response.body or {}
    if body.get("ok", True) is False:
        code = body.get("error")
        return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else OTHER
    return None if error is None else "no_response"


def method_of(url: str, base_url: str) -> str:
    """The Web API method a request URL names (`chat.postMessage`), or "other" (an upload URL)."""
    if not url.startswith(base_url):
        return OTHER
    method = url[len(base_url):].partition("?")[0]
    return method if _METHOD.fullmatch(method) else OTHER


class ApiCallCounter(AsyncRetryHandler):
    """First among the client's retry handlers, which slack_sdk consults after every answer and every
    failure of every attempt (Bolt's per-request clients share the list): counts, and never retries."""

    def __init__(self, metrics: Metrics, base_url: str) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics
        self.base_url = base_url

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        self.metrics.api_response(method_of(request.url, self.base_url), response, error)
        return False


class CountedRateLimitWaits(WaitRetryAfter):
    """The 429 handler (waits out Retry-After, then retries), counting each wait and its length."""

    def __init__(self, metrics: Metrics, base_url: str, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.metrics = metrics
        self.base_url = base_url

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        started = time.perf_counter()
        try:
            await super().prepare_for_next_attempt_async(state=state, request=request, response=response,
                                                         error=error)
        finally:
            method = method_of(request.url, self.base_url)
            self.metrics.rate_limit_waits.labels(method).inc()
            self.metrics.rate_limit_seconds.labels(method).inc(time.perf_counter() - started)


Matchers = Sequence[Callable[..., Awaitable[bool]]] | None
Middleware = Sequence[Callable[..., Any] | AsyncMiddleware] | None
Registered = Callable[..., Callable[..., Awaitable[BoltResponse | None]] | None]


class MeasuredBolt(AsyncApp):
    """Bolt's `AsyncApp`, noting the name of every listener registered on it and timing every dispatch.

    Bolt's async global middleware cannot time a listener: its `next()` only marks the request as passed on,
    and the listeners run after the whole middleware chain returns. Dispatch is where a request (HTTP or
    Socket Mode) goes in and its ack comes out, so it is timed here."""

    def __init__(self, *, metrics: Metrics, **options: Any) -> None:
        super().__init__(**options)
        self.measured = metrics

    def _note(self, kind: ListenerKind, constraint: object, key: str) -> None:
        name = constraint.get(key) if isinstance(constraint, dict) else constraint
        if isinstance(name, str):
            self.measured.listeners[kind].add(name)

    def command(self, command: str | Pattern[str], matchers: Matchers = None,
                middleware: Middleware = None) -> Registered:
        self._note("command", command, "command")
        return super().command(command, matchers, middleware)

    def action(self, constraints: str | Pattern[str] | dict[str, str | Pattern[str]], matchers: Matchers = None,
               middleware: Middleware = None) -> Registered:
        self._note("action", constraints, "action_id")
        return super().action(constraints, matchers, middleware)

    def view(self, constraints: str | Pattern[str] | dict[str, str | Pattern[str]], matchers: Matchers = None,
             middleware: Middleware = None) -> Registered:
        self._note("view", constraints, "callback_id")
        return super().view(constraints, matchers, middleware)

    def event(self, event: Any, matchers: Matchers = None, middleware: Middleware = None) -> Registered:
        self._note("event", event, "type")
        return super().event(event, matchers, middleware)

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        kind, listener = self.measured.listener_of(req.body)
        started = time.perf_counter()
        response = await super().async_dispatch(req)
        self.measured.request(kind, listener, response.status, time.perf_counter() - started)
        return response
