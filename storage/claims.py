"""Claims make scheduled work idempotent across ticks, restarts and replicas.

A job claims a unit of work (`digest:tier1:2026-11-20`) before it talks to Slack. The claim is
committed at once, so a second replica sees it. When the Slack call fails the job releases the
claim and the next tick tries again; a claim whose holder died mid-way (never completed) can be
taken over after `LEASE`, so a crash delays a message instead of dropping it. A parked claim (its
unit failed too often, `storage.failures`) is never taken over and counts as taken: it waits for
`supportbot jobs retry`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Boolean, Table, delete, exists, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import dialect
from storage.models import Claim, DeliveryFailure, Escalation
from storage.pulse_models import PulseRound

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
CHUNK = 1000  # keys per query: far below SQLite's and asyncpg's bound-parameter limits
_PARKED = exists().where(DeliveryFailure.key == Claim.key, DeliveryFailure.parked_at.is_not(None))
_FAILED_BEFORE = literal_column(
    'EXISTS (SELECT 1 FROM delivery_failures WHERE delivery_failures."key" = claims."key")', Boolean)
"""In a RETURNING of `claims`: the unit has a failure row. Written out because SQLAlchemy neither correlates a
subquery in an INSERT's RETURNING nor qualifies its columns there on SQLite (tested on both databases)."""


async def claim(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """Take `key` for this process; False when someone already did (or finished) it. One `INSERT … ON
    CONFLICT DO NOTHING` and its commit: the row it inserted says the key is ours."""
    return key in await claim_all(session, [key], now=now)


async def claim_all(session: AsyncSession, keys: Sequence[str], *, now: datetime) -> dict[str, bool]:
    """Take every one of `keys` that nobody has done, holds or parked, in one commit: one `INSERT … ON CONFLICT
    DO NOTHING RETURNING` (a row it inserted is ours), and for the keys that were there already, one `UPDATE`
    taking over the claims whose holder died (`LEASE`). The keys taken, in the order given, each with whether
    an earlier attempt at it failed (`storage.failures` has its row). The commit also writes whatever the
    session had staged."""
    table = cast(Table, Claim.__table__)
    wanted = list(dict.fromkeys(keys))
    got: dict[str, bool] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        inserted = await session.execute(
            dialect.insert(session, table).values([{"key": key, "claimed_at": now, "done_at": None} for key in chunk])
            .on_conflict_do_nothing(index_elements=[table.c.key]).returning(table.c.key, _FAILED_BEFORE)
        )
        got.update((key, bool(failed)) for key, failed in inserted.all())
        there = [key for key in chunk if key not in got]
        if there:
            rows = await session.execute(
                update(table)
                .where(table.c.key.in_(there), table.c.done_at.is_(None), table.c.claimed_at < now - LEASE,
                       ~_PARKED)
                .values(claimed_at=now).returning(table.c.key, _FAILED_BEFORE)
            )
            taken_over = {str(key): bool(failed) for key, failed in rows.all()}
            for key in sorted(taken_over):
                log.warning("%s taken over from a holder that never finished it: sent again, a duplicate if Slack "
                            "had received the first send", key)
            got.update(taken_over)
    await session.commit()
    return {key: got[key] for key in wanted if key in got}


async def complete(session: AsyncSession, key: str, *, now: datetime) -> None:
    await session.execute(update(Claim).where(Claim.key == key).values(done_at=now))
    await session.commit()


async def release(session: AsyncSession, key: str) -> None:
    """Give the work back (the Slack call failed): the next tick will claim it again."""
    await session.execute(delete(Claim).where(Claim.key == key, Claim.done_at.is_(None)))
    await session.commit()


async def taken(session: AsyncSession, keys: Sequence[str], *, now: datetime) -> set[str]:
    """Which of `keys` are done, held by a live claim or parked: one query, so a tick need not try each."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        rows = await session.scalars(
            select(Claim.key).where(Claim.key.in_(keys[start:start + CHUNK]),
                                    or_(Claim.done_at.is_not(None), Claim.claimed_at >= now - LEASE, _PARKED))
        )
        found.update(rows.all())
    return found


async def is_done(session: AsyncSession, key: str) -> bool:
    found = await session.get(Claim, key)
    return found is not None and found.done_at is not None


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
    """Delete these completed claims; how many went. An unfinished claim is never deleted here."""
    deleted = 0
    for start in range(0, len(keys), CHUNK):
        result = await session.execute(
            delete(Claim).where(Claim.key.in_(keys[start:start + CHUNK]), Claim.done_at.is_not(None))
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    await session.commit()
    return deleted
