"""Sending something once: claim its key, send it, then complete the claim. When Slack refuses (or cannot be
reached) during a job run, the failed attempt is counted (`storage.failures`): the claim is released so the
job's next tick tries again, until `bot.rules.delivery_failures` says to park it, after `MAX_ATTEMPTS`
transient failures or at once for a permanent one; either way the job run fails (`handlers.job_runs`). A
parked unit keeps its claim and waits, listed by `supportbot jobs failed`, for `supportbot jobs retry`. Every
card, reply, DM, reminder and report goes through here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.delivery_failures import MAX_ATTEMPTS, kind_of, parks
from handlers.metrics import count_delivery, running_job, unit_failed
from handlers.outbox import failure_code
from storage import claims, failures

log = logging.getLogger(__name__)
T = TypeVar("T")


async def once(session: AsyncSession, key: str, send: Callable[[], Awaitable[T]], *,
               now: datetime) -> T | None:
    """`send()` if nobody has done `key` yet; its result, or None when it was done already, is being done
    by someone else, is parked, or Slack refused it (then it is counted and released or parked, and logged
    as a WARNING)."""
    taken = await claims.claim_all(session, [key], now=now)
    if key not in taken:
        return None
    return await claimed(session, key, send, now=now, failed_before=taken[key])


async def claimed(session: AsyncSession, key: str, send: Callable[[], Awaitable[T]], *, now: datetime,
                  failed_before: bool = True) -> T | None:
    """`send()` for a unit this process has just claimed (`storage.claims.claim_all` takes several in one
    statement and says which failed before), then complete the claim, clearing its failures if it had any.
    What `send` stages in the session (a card's row, say) is committed with the completion, so the two are
    written together or not at all."""
    count_delivery("claimed")
    try:
        result = await send()
    except Exception as error:
        code = failure_code(error)
        if code is None:
            raise
        count_delivery("failed")
        await _failed(session, key, code, now=now)
        return None
    if failed_before:
        await failures.sent(session, key)
    await claims.complete(session, key, now=now)
    count_delivery("sent")
    return result


async def _failed(session: AsyncSession, key: str, code: str, *, now: datetime) -> None:
    job = running_job()
    if job is None:  # a request's send (a card, a form): the job that owns the unit retries it on its tick
        log.warning("%s not sent (Slack said %s); the next tick retries it", key, code)
        await claims.release(session, key)
        return
    name, as_of = job
    attempts = await failures.failed(session, key, job=name, as_of=as_of, error=code, now=now)
    if parks(code, attempts):
        await failures.park(session, key, now=now)
        await session.commit()
        count_delivery("parked")
        unit_failed(key, code, parked=True)
        why = "a permanent error" if kind_of(code) == "permanent" else f"{attempts} failed attempts"
        log.warning("%s parked after %s (Slack said %s): no job retries it; `supportbot jobs retry %s` sends it",
                    key, why, code, key)
        return
    log.warning("%s not sent (Slack said %s, attempt %d of %d); the next tick retries it", key, code, attempts,
                MAX_ATTEMPTS)
    unit_failed(key, code)
    await claims.release(session, key)
