"""The one place a Slack Web API client is built."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from handlers.metrics import ApiCallCounter, CountedRateLimitWaits, Metrics
from handlers.rate_limits import WaitRetryAfter

TIMEOUT_SECONDS = 15


def make_client(settings: Settings, *, token: str | None = None, metrics: Metrics | None = None) -> AsyncWebClient:
    """A client on `SLACK_API_URL` that waits out 429s (honouring Retry-After) and retries 5xx and
    connection errors, so a short Slack hiccup delays a message instead of losing it.

    Every call rides one keep-alive HTTP session (Bolt's per-request clients share it too), so a
    `views.open` does not pay for a new TCP and TLS handshake with Slack inside the 3-second trigger
    window. Call it from a running event loop; `close_client` closes the session at shutdown. With
    `metrics`, every attempt, failure and rate-limit wait is counted (by every client sharing the handlers)."""
    rate_limit = (CountedRateLimitWaits(metrics, settings.slack_api_url, max_retry_count=3) if metrics
                  else WaitRetryAfter(max_retry_count=3))
    counter = [ApiCallCounter(metrics, settings.slack_api_url)] if metrics else []
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
    return AsyncWebClient(
        logger=_api_logger(settings),
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        session=session,
        retry_handlers=[
            *counter,  # first: it sees every answer, then lets the others decide
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            rate_limit,
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def _api_logger(settings: Settings) -> logging.Logger:
    """slack_sdk decides whether to format its DEBUG lines (the whole request and answer) from its logger's
    own level, not the effective one: give it a level, or it formats them on every call."""
    logger = logging.getLogger("slack_sdk.web.async_base_client")
    if logger.level == logging.NOTSET:
        logger.setLevel(settings.log_level)
    return logger


async def close_client(client: AsyncWebClient) -> None:
    if client.session is not None and not client.session.closed:
        await client.session.close()
