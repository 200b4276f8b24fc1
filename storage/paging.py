"""What storage knows of an escalation's pages: whether it was paged (its trigger is in the outbox, sent or
waiting), and why its latest page could not be delivered. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from storage.models import Escalation
from storage.outbox_models import OutboxMessage

FAILURE_MAX = 200


async def paged(session: AsyncSession, escalation_id: int) -> bool:
    """The escalation's trigger was written (sent, waiting or parked): its acknowledgement and resolution are
    passed on, after it."""
    found = await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.key == str(keys.page(escalation_id, "trigger"))))
    return found is not None


def record_failure(escalation: Escalation, failure: str | None) -> bool:
    """Keep why the latest page failed (None: it went); whether that changed what the card shows."""
    failure = failure[:FAILURE_MAX] if failure else None
    if escalation.paging_failure == failure:
        return False
    escalation.paging_failure = failure
    return True
