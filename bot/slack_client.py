"""The one place a Slack Web API client is built."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings


def make_client(settings: Settings, *, token: str | None = None) -> AsyncWebClient:
    """A client on `SLACK_API_URL` that waits out 429s (honouring Retry-After) and retries 5xx and
    connection errors, so a short Slack hiccup delays a message instead of losing it."""
    return AsyncWebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
