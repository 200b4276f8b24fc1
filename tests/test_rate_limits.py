"""A 429 is waited out for as long as Slack's `Retry-After` says, plus at most `JITTER` (slack_sdk's own handler
adds up to a whole second, which a fan-out paced by the limit loses)."""

from __future__ import annotations

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from handlers import rate_limits
from handlers.rate_limits import JITTER, WaitRetryAfter, retry_after


def limited(headers: dict[str, str | list[str]]) -> HttpResponse:
    return HttpResponse(status_code=429, headers=headers, body={"ok": False, "error": "ratelimited"})


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "2"}, 2.0),
    ({"retry-after": ["3"]}, 3.0),
    ({}, 1.0),
    ({"Retry-After": "soon"}, 1.0),
])
def test_the_wait_is_what_slack_asked(headers: dict[str, str | list[str]], seconds: float) -> None:
    assert retry_after(limited(headers)) == seconds


async def test_a_429_is_retried_after_retry_after_and_hardly_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(rate_limits.asyncio, "sleep", sleep)
    handler, state = WaitRetryAfter(max_retry_count=3), RetryState()
    request = HttpRequest(method="POST", url="http://slack.test/api/chat.postMessage", headers={})
    response = limited({"Retry-After": "1"})
    assert await handler.can_retry_async(state=state, request=request, response=response)
    for _ in range(20):
        await handler.prepare_for_next_attempt_async(state=state, request=request, response=response)
    assert state.next_attempt_requested and state.current_attempt == 20
    assert all(1.0 <= s <= 1.0 + JITTER for s in slept) and len(slept) == 20, slept
