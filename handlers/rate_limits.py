"""Waiting out Slack's 429s: as long as `Retry-After` says, and hardly longer."""

from __future__ import annotations

import asyncio
import random

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

JITTER = 0.1
"""At most this many seconds are added to each wait, so clients limited together do not all retry at once."""


class WaitRetryAfter(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, retrying after `Retry-After` seconds plus at most `JITTER`.

    slack_sdk's own adds up to a whole second (`int(Retry-After) + random()`): a fan-out paced by Slack's limit
    then leaves the limit unused for half a second on average at each 429, about a third of the time at 50
    messages a second (`bench/fanout.py` measured it)."""

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        if response is None:
            if error is not None:
                raise error
            return
        state.next_attempt_requested = True
        await asyncio.sleep(retry_after(response) + random.uniform(0, JITTER))
        state.increment_current_attempt()


def retry_after(response: HttpResponse) -> float:
    """The seconds Slack asked to wait (1 when it did not say, or said something unreadable)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values if isinstance(values, str) else values[0]))
            except ValueError:
                break
    return 1.0

