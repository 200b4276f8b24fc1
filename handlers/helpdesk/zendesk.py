"""The Zendesk connector (`bot.rules.helpdesk.Connector`) over HTTP, with httpx.

Authentication is OAuth: an access token from the client-credentials grant (`POST /oauth/tokens`), sent as
`Authorization: Bearer …`, cached in the database by `handlers.helpdesk.tokens` (one replica asks for a new
one at a time) and asked for again once when Zendesk answers 401. A 429 is waited out for its `Retry-After`
(each wait at most `max_wait` seconds, at most `max_retries` in a row) with the injected `sleep`, so tests do
not sleep. The pure reading of the answers is `bot.rules.zendesk`."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from bot.rules import zendesk
from bot.rules.helpdesk import HelpdeskError, Page
from bot.rules.helpdesk_config import HelpdeskConfig

EXPORT = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_metric_events.json"
TOKENS = "/oauth/tokens"
Sleeper = Callable[[float], Awaitable[None]]
Issue = Callable[[], Awaitable[tuple[str, int | None]]]


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)


def read_credentials(config: HelpdeskConfig, environ: Mapping[str, str]) -> Credentials:
    """The source's OAuth client, from the environment variables or files its configuration names."""
    return Credentials(client_id=_value(config, "client_id", environ),
                       client_secret=_value(config, "client_secret", environ))


def _value(config: HelpdeskConfig, name: str, environ: Mapping[str, str]) -> str:
    plain = getattr(config, name, None)
    if isinstance(plain, str):
        return plain
    variable, path = getattr(config, f"{name}_env"), getattr(config, f"{name}_file")
    if variable is not None:
        found = environ.get(variable, "").strip()
        if not found:
            raise HelpdeskError(f"{name}: the environment variable {variable} is not set")
        return found
    try:
        found = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise HelpdeskError(f"{name}: cannot read the file {path} ({error.__class__.__name__})") from None
    if not found:
        raise HelpdeskError(f"{name}: the file {path} is empty")
    return found


class Tokens(Protocol):
    """Where the access token is kept (the database, shared by the replicas)."""

    async def current(self) -> str | None: ...

    async def renew(self, stale: str | None, issue: Issue) -> str:
        """A token other than `stale`: one another replica just got, or a new one from `issue`."""
        ...


class ZendeskConnector:
    def __init__(self, config: HelpdeskConfig, credentials: Credentials, tokens: Tokens, http: httpx.AsyncClient,
                 *, sleep: Sleeper, max_wait: float = 120.0, max_retries: int = 5) -> None:
        self.config, self.credentials, self.tokens, self.http = config, credentials, tokens, http
        self.sleep, self.max_wait, self.max_retries = sleep, max_wait, max_retries
        self._groups: dict[int, str] | None = None
        self._brands: dict[int, str] = {}

    async def fetch(self, cursor: str | None, start: datetime) -> Page:
        params: dict[str, Any] = {"include": "metric_sets,users"}
        if cursor is None:
            params["start_time"] = max(0, int(start.timestamp()))
        else:
            params["cursor"] = cursor
        body = await self._get(EXPORT, params)
        if self._groups is None:
            await self.labels()
        try:
            page = zendesk.export_page(body, self._groups or {}, self._brands)
        except zendesk.ShapeError as error:
            raise HelpdeskError(str(error)) from None
        return replace(page, assignees=zendesk.assignees(body), replies=zendesk.customer_replies(body))

    async def labels(self) -> Mapping[str, Sequence[str]]:
        self._groups = await self._names("/api/v2/groups.json", "groups")
        self._brands = await self._names("/api/v2/brands.json", "brands")
        return {"group": sorted(self._groups.values()), "brand": sorted(self._brands.values())}

    async def breaches(self, start: int) -> tuple[set[str], int | None, bool]:
        """One page of ticket metric events from `start` (Unix seconds): the tickets with a breach."""
        try:
            return zendesk.breached_tickets(await self._get(EVENTS, {"start_time": start}))
        except zendesk.ShapeError as error:
            raise HelpdeskError(str(error)) from None

    async def check(self) -> None:
        """The OAuth client gets a token (not kept: the cached one is for the syncs), and the API answers."""
        await self._issue()
        await self._get("/api/v2/groups.json", {})

    async def _names(self, path: str, key: str) -> dict[int, str]:
        found: dict[int, str] = {}
        params: dict[str, Any] = {}
        for _page in range(1000):
            body = await self._get(path, params)
            try:
                found.update(zendesk.names(body, key))
            except zendesk.ShapeError as error:
                raise HelpdeskError(str(error)) from None
            following = body.get("next_page") if isinstance(body, dict) else None
            if not isinstance(following, str) or not following:
                break
            params = dict(httpx.URL(following).params)
        return found

    async def _issue(self) -> tuple[str, int | None]:
        """A new access token by the client-credentials grant, and its lifetime in seconds (when said)."""
        try:
            response = await self.http.post(self.config.url + TOKENS, json={
                "grant_type": "client_credentials", "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret, "scope": self.config.scope})
        except httpx.HTTPError as error:
            raise HelpdeskError(f"{self.config.url} is unreachable ({error.__class__.__name__})") from None
        if response.status_code in (400, 401, 403):
            raise HelpdeskError(f"the OAuth client was refused ({response.status_code} {_error_code(response)}): "
                                "check the client identifier and secret, and that the client is confidential")
        if response.status_code >= 300:
            raise HelpdeskError(f"{TOKENS} answered {response.status_code}")
        body = _json(response, TOKENS)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise HelpdeskError(f"{TOKENS} answered with no access_token")
        lifetime = body.get("expires_in")
        return access, lifetime if isinstance(lifetime, int) and lifetime > 0 else None

    async def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        token = await self.tokens.current() or await self.tokens.renew(None, self._issue)
        refreshed, waits = False, 0
        while True:
            try:
                response = await self.http.get(self.config.url + path, params=params,
                                               headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as error:
                raise HelpdeskError(f"{self.config.url} is unreachable ({error.__class__.__name__})") from None
            if response.status_code == 401 and not refreshed:
                token, refreshed = await self.tokens.renew(token, self._issue), True
                continue
            if response.status_code == 429:
                wait = _retry_after(response)
                waits += 1
                if waits > self.max_retries or wait > self.max_wait:
                    raise HelpdeskError(f"rate limited on {path} (429, Retry-After {wait:g} s) {waits} times: "
                                        "the next sync goes on from here")
                await self.sleep(wait)
                continue
            if response.status_code == 401:
                raise HelpdeskError(f"{path}: the new access token was refused too (401): check the OAuth client")
            if response.status_code == 403:
                raise HelpdeskError(f"{path}: forbidden (403): the OAuth client's scope must allow reading it "
                                    f"(scope: {self.config.scope})")
            if response.status_code >= 300:
                raise HelpdeskError(f"{path} answered {response.status_code}")
            return _json(response, path)


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "60"))
    except ValueError:
        seconds = 60.0
    return 60.0 if not math.isfinite(seconds) else max(0.0, seconds)


def _json(response: httpx.Response, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise HelpdeskError(f"{path} answered with something that is not JSON") from None


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", ""))[:64] if isinstance(body, dict) else ""
