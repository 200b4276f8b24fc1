"""Sending something once: claim its key, send it, then complete the claim, or release it when Slack
refuses so that the next tick sends it. Every card, reply, DM, reminder and report goes through here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.metrics import count_delivery
from storage import claims

log = logging.getLogger(__name__)
T = TypeVar("T")


async def once(session: AsyncSession, key: str, send: Callable[[], Awaitable[T]], *,
               now: datetime) -> T | None:
    """`send()` if nobody has done `key` yet; its result, or None when it was done already, is being done
    by someone else, or Slack refused it (then it is released, and logged as a WARNING)."""
    if not await claims.claim(session, key, now=now):
        return None
    count_delivery("claimed")
    try:
        result = await send()
    except SlackApiError as error:
        count_delivery("failed")
        log.warning("%s not sent (Slack said %s); the next tick retries it", key, error.response.get("error"))
        await claims.release(session, key)
        return None
    await claims.complete(session, key, now=now)
    count_delivery("sent")
    return result
