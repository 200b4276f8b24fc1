"""FakePagerDuty: a local HTTP server that answers like PagerDuty's Events API v2, for the paging tests.

Shapes follow PagerDuty's documentation, https://developer.pagerduty.com/docs/events-api-v2/overview/ and
https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ (source: github.com/PagerDuty/developer-docs,
docs/events-API-v2/01-Overview.md, 02-Trigger-Events.md; the fields and their limits also as InfluxData's
pagerduty.sendEvent() documents them, https://docs.influxdata.com/flux/v0/stdlib/pagerduty/sendevent/):
- `POST /v2/enqueue` with a JSON body `{routing_key, event_action: trigger|acknowledge|resolve, dedup_key,
  payload: {summary, source, severity: critical|error|warning|info, component, group, class, custom_details},
  client, client_url}`; `payload` (with `summary` up to 1024 characters, `source` and `severity`) is required
  on a trigger; `dedup_key` is at most 255 characters; the routing key is an integration's 32-character key;
- 202 `{"status": "success", "message": "Event processed", "dedup_key": ...}` when the event is taken;
- 400 `{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}` on a malformed one;
- 429 when the integration is over its rate limit (a test queues one, with `Retry-After` if it asks);
- deduplication: a trigger whose `dedup_key` names an open (triggered or acknowledged) incident of the service
  joins it instead of opening another; acknowledge and resolve act on that incident (one for a key no open
  incident has is taken, 202, and does nothing); a trigger after the incident is resolved opens a new one.
No Authorization header: the routing key in the body is the credential.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import ThreadedFake

ROUTING_KEY = "pdkey0a1b2c3d4e5f60718293a4b5c6d"
"""The test integration's routing key (32 characters; conftest's secret scan looks for it in every log line)."""
SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}


@dataclass
class Incident:
    routing_key: str
    dedup_key: str
    summary: str
    severity: str
    status: str = "triggered"  # triggered | acknowledged | resolved
    events: list[str] = field(default_factory=list)


class FakePagerDuty(ThreadedFake):
    name = "FakePagerDuty"

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.incidents: list[Incident] = []
            self.requests.clear()
            self.limited.clear()
            self.errors: list[int] = []
            self.lost = 0

    @property
    def events_url(self) -> str:
        return f"{self.url}/v2/enqueue"

    def fail_next(self, status: int) -> None:
        """The next event is answered `status` (a 500: PagerDuty down) before it is looked at."""
        with self._lock:
            self.errors.append(status)

    def lose_next(self) -> None:
        """The next event is processed, then answered 500 (the sender cannot know it was taken)."""
        with self._lock:
            self.lost += 1

    def rate_limit_next(self, retry_after: int | None = None) -> None:
        self.limited.append({"Retry-After": str(retry_after)} if retry_after is not None else {})

    def events(self) -> list[dict[str, Any]]:
        """Every event body received (answered or not)."""
        return [request.body for request in self.calls("/v2/enqueue")]

    def open_incident(self, dedup_key: str) -> Incident | None:
        return next((i for i in self.incidents if i.dedup_key == dedup_key and i.status != "resolved"), None)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/enqueue", self._enqueue)

    def authorized(self, authorization: str | None) -> bool:
        return True

    def refusal(self) -> web.Response:  # pragma: no cover - no header credential
        return web.json_response({}, status=401)

    def too_many(self, headers: dict[str, str]) -> web.Response:
        return web.json_response({"status": "throttle event", "message": "Requests for this service are arriving "
                                  "too quickly. Please retry later."}, status=429, headers=headers)

    async def _enqueue(self, request: web.Request) -> web.Response:
        with self._lock:
            error = self.errors.pop(0) if self.errors else None
        if error is not None:
            return web.json_response({"status": "error", "message": "Internal error"}, status=error)
        try:
            event = await request.json()
        except ValueError:
            return _invalid(["Event object is not valid JSON"])
        problems = _problems(event)
        if problems:
            return _invalid(problems)
        event.setdefault("dedup_key", uuid.uuid4().hex)  # PagerDuty makes one up for a trigger without it
        with self._lock:
            self._apply(event)
            if self.lost:
                self.lost -= 1
                return web.json_response({"status": "error", "message": "Internal error"}, status=500)
        return web.json_response({"status": "success", "message": "Event processed",
                                  "dedup_key": event["dedup_key"]}, status=202)

    def _apply(self, event: dict[str, Any]) -> None:
        key, action = event["dedup_key"], event["event_action"]
        incident = next((i for i in self.incidents if i.dedup_key == key and i.routing_key == event["routing_key"]
                         and i.status != "resolved"), None)
        if action == "trigger":
            if incident is None:
                payload = event["payload"]
                incident = Incident(event["routing_key"], key, payload["summary"], payload["severity"])
                self.incidents.append(incident)
            incident.events.append(action)
        elif incident is not None:
            incident.events.append(action)
            incident.status = "acknowledged" if action == "acknowledge" else "resolved"


def _invalid(errors: list[str]) -> web.Response:
    return web.json_response({"status": "invalid event", "message": "Event object is invalid", "errors": errors},
                             status=400)


def _problems(event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    found = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        found.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    if event.get("event_action") not in ACTIONS:
        found.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or "
                     "'resolve')")
    dedup = event.get("dedup_key")
    if event.get("event_action") != "trigger" and not dedup:
        found.append("'dedup_key' is missing or blank")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        found.append("'dedup_key' must be a string of at most 255 characters")
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            found.append("'payload' is missing or blank")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary or len(summary) > 1024:
                found.append("'payload.summary' is missing, blank or longer than 1024 characters")
            if not payload.get("source"):
                found.append("'payload.source' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                found.append("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', "
                             "'error' or 'info')")
    return found

