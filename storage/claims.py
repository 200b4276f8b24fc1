"""Claims: keys recorded once, completed, so that what they name happens once across processes.

Before the outbox every scheduled send was claimed here; now only the first click of a pulse form (the same
click delivered twice opens one form) records one, and the claims of before the outbox are kept for their
retention (`bot.rules.retention`: housekeeping forgets them) and for `supportbot jobs retry` of a unit parked
then (`storage.failures`). Nothing here commits: the caller does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import dialect
from storage.models import Claim, Escalation
from storage.pulse_models import PulseRound

CHUNK = 1000  # keys per query: far below SQLite's and asyncpg's bound-parameter limits


async def record(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """Record `key` as done now; False when it was recorded before. One `INSERT … ON CONFLICT DO NOTHING
    RETURNING`, not committed: until the caller commits, a second process recording the same key waits on it
    (PostgreSQL) or on the database's write lock (SQLite), then finds it there."""
    table = dialect.table_of(Claim)
    inserted = await session.scalar(
        dialect.insert(session, table).values(key=key, claimed_at=now, done_at=now)
        .on_conflict_do_nothing(index_elements=[table.c.key]).returning(table.c.key))
    return inserted is not None


# --------------------------------------------------------------------------- retention (bot.rules.retention decides)

async def completed_before(session: AsyncSession, cutoff: datetime, *, after: str = "",
                           limit: int = CHUNK) -> list[tuple[str, datetime]]:
    """Up to `limit` claims completed before `cutoff`, in key order from just after `after`: a page at a time."""
    rows = await session.execute(
        select(Claim.key, Claim.done_at)
        .where(Claim.done_at.is_not(None), Claim.done_at < cutoff, Claim.key > after)
        .order_by(Claim.key).limit(limit)
    )
    return [(key, done_at) for key, done_at in rows.all() if done_at is not None]


async def resolutions(session: AsyncSession, escalation_ids: Collection[int]) -> dict[int, datetime | None]:
    """When each of the escalations was resolved (None while open); an id that is not stored is left out."""
    found: dict[int, datetime | None] = {}
    ids = sorted(escalation_ids)
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(select(Escalation.id, Escalation.resolved_at)
                                     .where(Escalation.id.in_(ids[start:start + CHUNK])))
        found.update((row[0], row[1]) for row in rows.all())
    return found


async def round_closes(session: AsyncSession, round_ids: Collection[int]) -> dict[int, datetime]:
    """When each of the pulse rounds closes."""
    found: dict[int, datetime] = {}
    ids = sorted(round_ids)
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(select(PulseRound.id, PulseRound.closes_at)
                                     .where(PulseRound.id.in_(ids[start:start + CHUNK])))
        found.update((row[0], row[1]) for row in rows.all())
    return found


async def forget(session: AsyncSession, keys: Sequence[str]) -> int:
    """Delete these completed claims (not committed); how many went. An unfinished claim is never deleted
    here."""
    deleted = 0
    for start in range(0, len(keys), CHUNK):
        result = await session.execute(
            delete(Claim).where(Claim.key.in_(keys[start:start + CHUNK]), Claim.done_at.is_not(None))
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
