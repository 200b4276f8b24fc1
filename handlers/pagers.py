"""The paging services' thin clients, as outbox transports (`handlers.outbox.Transport`): one HTTP request per
page, its answer kept, its refusal named for the dispatcher (`Refused`: a malformed page or a missing or refused
key is parked at once, a 429 waits for its `Retry-After`, a 5xx or a lost connection is tried again).

- PagerDuty, Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/): `POST /v2/enqueue`
  with `{routing_key, event_action: trigger|acknowledge|resolve, dedup_key, payload}`; 202 when taken.
- Opsgenie, Alert API (https://docs.opsgenie.com/docs/alert-api): `POST /v2/alerts` (create), `POST
  /v2/alerts/{alias}/acknowledge?identifierType=alias`, `POST /v2/alerts/{alias}/close?identifierType=alias`,
  with `Authorization: GenieKey <key>`; 202 when taken (Opsgenie processes it asynchronously).

PyPI's `pagerduty` client (7.x) is synchronous: its requests would block the event loop the dispatcher runs
in, so these are `httpx` calls. The secret is read when the page is sent, from the environment variable or file
the row names (the outbox holds where the key is, never the key), and is never put in a message or a log line.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from handlers.outbox import Refused, Transport

TIMEOUT = 10.0


async def read_secret(where: Mapping[str, str] | None, default: str | None = None) -> str:
    """The key named by `{"env": NAME}` or `{"file": PATH}` (else `default`); `Refused("missing_credentials")`
    when it is not there."""
    if not where:
        if default:
            return default
        raise Refused("missing_credentials", detail="no key is configured")
    if "env" in where:
        found = os.environ.get(where["env"], "").strip()
        if not found:
            raise Refused("missing_credentials", detail=f"the environment variable {where['env']} is not set")
        return found
    try:
        found = (await asyncio.to_thread(Path(where["file"]).read_text, encoding="utf-8")).strip()
    except (OSError, UnicodeDecodeError, KeyError) as error:
        raise Refused("missing_credentials", detail=f"cannot read the key's file ({error.__class__.__name__})") \
            from None
    if not found:
        raise Refused("missing_credentials", detail="the key's file is empty")
    return found


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(1.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


async def _post(url: str, body: dict[str, Any], *, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None) -> httpx.Response:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            return await http.post(url, json=body, headers=dict(headers or {}), params=dict(params or {}))
    except httpx.TimeoutException:
        raise Refused("timeout") from None
    except httpx.HTTPError as error:
        raise Refused("connection_error", detail=error.__class__.__name__) from None


def _refusal(response: httpx.Response, malformed: str) -> Refused:
    """What an answer other than 2xx means: a 429 waits (for `Retry-After` when given), a 400 or 422 is a
    malformed page (`malformed`, parked), a 401 or 403 a refused key (parked), anything else is tried again."""
    status = response.status_code
    detail = response.text[:200]
    if status == 429:
        return Refused("http_429", retry_after=_retry_after(response), detail=detail)
    if status in (400, 422):
        return Refused(malformed, detail=detail)
    if status in (401, 403):
        return Refused("invalid_auth", detail=f"the key was refused ({status})")
    return Refused(f"http_{status}", detail=detail)


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {"status": response.status_code}
    return {"status": response.status_code, **(found if isinstance(found, dict) else {})}


def pagerduty(events_url: str) -> dict[str, Transport]:
    """`pagerduty.enqueue`: args `{"key": where the routing key is, "event": the event without it}`."""

    async def enqueue(args: dict[str, Any]) -> dict[str, Any]:
        routing_key = await read_secret(args.get("key"))
        response = await _post(events_url, {"routing_key": routing_key, **args["event"]})
        if response.status_code >= 300:
            raise _refusal(response, "invalid_event")
        found = _answer(response)
        return {"status": found.get("status"), "dedup_key": found.get("dedup_key")}

    return {"pagerduty.enqueue": enqueue}


def opsgenie(api_url: str, default_key: str | None) -> dict[str, Transport]:
    """`opsgenie.create` (args `{"key", "body"}`), `opsgenie.acknowledge` and `opsgenie.close` (args `{"key",
    "alias", "body"}`); `key` is where the API key is, `default_key` the deployment's (`OPSGENIE_API_KEY`)."""
    base = api_url.rstrip("/")

    def sender(action: str | None) -> Transport:
        async def send(args: dict[str, Any]) -> dict[str, Any]:
            key = await read_secret(args.get("key"), default_key)
            url, params = f"{base}/v2/alerts", {}
            if action is not None:
                url, params = f"{base}/v2/alerts/{quote(str(args['alias']), safe='')}/{action}", \
                    {"identifierType": "alias"}
            response = await _post(url, args.get("body") or {}, headers={"Authorization": f"GenieKey {key}"},
                                   params=params)
            if response.status_code >= 300:
                raise _refusal(response, "invalid_alert")
            return {"status": response.status_code, "requestId": _answer(response).get("requestId")}

        return send

    return {"opsgenie.create": sender(None), "opsgenie.acknowledge": sender("acknowledge"),
            "opsgenie.close": sender("close")}
