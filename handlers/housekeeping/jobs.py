"""`housekeeping` (daily, 03:17 UTC): delete the completed claims `bot.rules.retention` says can no longer
recur, a page of keys at a time, so the claims table stays about as big as the last month's work.

It sends nothing to Slack and is idempotent: a second run at the same `now` finds nothing to delete.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.rules.retention import KEEP, Facts, deletable, escalations_in, rounds_in
from handlers.jobs import Job
from handlers.services import Services
from storage import claims

log = logging.getLogger(__name__)


async def run(services: Services, now: datetime) -> int:
    """How many claims were deleted."""
    deleted, after = 0, ""
    async with services.db() as session:
        while page := await claims.completed_before(session, now - KEEP, after=after):
            after = page[-1][0]
            keys = [key for key, _ in page]
            facts = Facts(resolved=await claims.resolutions(session, escalations_in(keys)),
                          closes=await claims.round_closes(session, rounds_in(keys)))
            deleted += await claims.forget(session, [key for key, done_at in page
                                                     if deletable(key, done_at, facts, now)])
    if deleted:
        log.info("housekeeping: %d completed claims forgotten", deleted)
    return deleted


HOUSEKEEPING = Job("housekeeping", "forget completed claims that can no longer recur (daily)", run,
                   trigger={"trigger": "cron", "hour": 3, "minute": 17})
