"""The HTTP calls of the connectors that authenticate with a long-lived key (Freshdesk's API key, Intercom's
access token): one request, a 429 waited out, every failure one line for an operator with no secret in it.

A 429 is waited out for its `Retry-After` (Freshdesk's) or until its `X-RateLimit-Reset` (Intercom's, a Unix
time), each wait at most `max_wait` seconds and at most `max_retries` in a row, with the injected `sleep` so
tests do not sleep. The secret goes in `auth`/`headers`, never in a message."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from bot.rules.helpdesk import HelpdeskError
from handlers.helpdesk.zendesk import Sleeper

DEFAULT_WAIT = 60.0


@dataclass
class Api:
    base: str
    http: httpx.AsyncClient
    sleep: Sleeper
    clock: Callable[[], datetime]
    refused: str
    """What a 401 means for this helpdesk's credentials (said after the path)."""
    forbidden: str
    auth: httpx.Auth | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    max_wait: float = 120.0
    max_retries: int = 5

    async def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   body: Any = None) -> httpx.Response:
        waits = 0
        while True:
            try:
                response = await self.http.request(method, self.base + path, params=params, json=body,
                                                   auth=self.auth or httpx.USE_CLIENT_DEFAULT,
                                                   headers=dict(self.headers))
            except httpx.HTTPError as error:
                raise HelpdeskError(f"{self.base} is unreachable ({error.__class__.__name__})") from None
            if response.status_code == 429:
                wait = self._wait(response)
                waits += 1
                if waits > self.max_retries or wait > self.max_wait:
                    raise HelpdeskError(f"rate limited on {path} (429, retry in {wait:g} s) {waits} times: "
                                        "the next sync goes on from here")
                await self.sleep(wait)
                continue
            if response.status_code == 401:
                raise HelpdeskError(f"{path}: {self.refused}")
            if response.status_code == 403:
                raise HelpdeskError(f"{path}: forbidden (403): {self.forbidden}")
            if response.status_code >= 300:
                raise HelpdeskError(f"{path} answered {response.status_code}")
            return response

    async def json(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   body: Any = None) -> tuple[Any, httpx.Response]:
        response = await self.call(method, path, params=params, body=body)
        try:
            return response.json(), response
        except ValueError:
            raise HelpdeskError(f"{path} answered with something that is not JSON") from None

    def _wait(self, response: httpx.Response) -> float:
        """Seconds to wait: `Retry-After`, else until `X-RateLimit-Reset`, else a minute."""
        for header in ("Retry-After", "X-RateLimit-Reset"):
            text = response.headers.get(header)
            if text is None:
                continue
            try:
                value = float(text)
            except ValueError:
                continue
            if not math.isfinite(value):
                continue
            seconds = value if header == "Retry-After" else value - self.clock().timestamp()
            return max(0.0, seconds)
        return DEFAULT_WAIT


def next_link(response: httpx.Response) -> str | None:
    """The `rel="next"` URL of a `Link` header (Freshdesk's pagination), if any."""
    following = response.links.get("next")
    url = following.get("url") if following else None
    return url or None
