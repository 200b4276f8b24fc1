"""`housekeeping` (daily, 03:17 UTC): delete the completed claims and the sent outbox rows that
`bot.rules.retention` says can no longer recur, a page of keys at a time, so that both tables stay about as big
as the last month's work.

It sends nothing to Slack and is idempotent: a second run at the same `now` finds nothing to delete. An outbox
row that is waiting or parked is never deleted, nor a sent one a waiting row takes its `ts` from.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.retention import KEEP, Facts, deletable, escalations_in, rounds_in, sent_deletable
from handlers.jobs import Job
from handlers.services import Services
from storage import claims, outbox

log = logging.getLogger(__name__)


async def run(services: Services, now: datetime) -> int:
    """How many claims and outbox rows were deleted."""
    async with services.db() as session:
        forgotten = await _claims(session, now)
        sent = await _sent(session, now)
    if forgotten or sent:
        log.info("housekeeping: %d completed claims and %d sent outbox messages forgotten", forgotten, sent)
    return forgotten + sent


async def _facts(session: AsyncSession, keys: list[str]) -> Facts:
    return Facts(resolved=await claims.resolutions(session, escalations_in(keys)),
                 closes=await claims.round_closes(session, rounds_in(keys)))


async def _claims(session: AsyncSession, now: datetime) -> int:
    deleted, after = 0, ""
    while page := await claims.completed_before(session, now - KEEP, after=after):
        after = page[-1][0]
        facts = await _facts(session, [key for key, _ in page])
        deleted += await claims.forget(session, [key for key, done_at in page if deletable(key, done_at, facts, now)])
        await session.commit()  # a page at a time, as the sent outbox rows
    return deleted


async def _sent(session: AsyncSession, now: datetime) -> int:
    """Sent outbox rows, a page at a time, each page deleted in a commit of its own."""
    deleted, after = 0, ""
    needed = await outbox.waited_on(session)
    while page := await outbox.sent_before(session, now - KEEP, after=after):
        after = page[-1][0]
        facts = await _facts(session, [key for key, _ in page])
        deleted += await outbox.forget(session, [key for key, sent_at in page
                                                 if sent_deletable(key, sent_at, facts, now, waited_on=needed)])
        await session.commit()
    return deleted


HOUSEKEEPING = Job("housekeeping", "forget completed claims and sent messages that can no longer recur (daily)", run,
                   trigger={"trigger": "cron", "hour": 3, "minute": 17})
