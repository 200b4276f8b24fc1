"""What Slack refused, for `supportbot jobs failed` and `supportbot jobs retry` (`handlers.parked`): the outbox
messages that failed (counted on their rows, `storage.outbox`), and the units of the claims of before the
outbox that failed or were parked then (one `delivery_failures` row each, its claim kept unfinished so that
nothing sent it again). Nothing adds such a row any more; a retry makes its unit due again, and the owning
job writes its message to the outbox under the same key. Housekeeping never touches either, so nothing
parked is ever forgotten. Nothing here commits: the retry does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import dialect, outbox
from storage.models import Claim, DeliveryFailure
from storage.outbox_models import OutboxMessage


@dataclass(frozen=True)
class Failure:
    key: str
    job: str
    as_of: datetime
    attempts: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    parked_at: datetime | None
    in_outbox: bool = False
    """An outbox message's failure (counted on its row), not a claimed unit's."""

    @property
    def parked(self) -> bool:
        return self.parked_at is not None


def _failure(row: DeliveryFailure) -> Failure:
    return Failure(row.key, row.job, row.as_of, row.attempts, row.error, row.first_failed_at, row.last_failed_at,
                   row.parked_at)


async def listed(session: AsyncSession, keys: Sequence[str] | None = None) -> list[Failure]:
    """Every failure (or those of `keys`), claimed units' and outbox messages', parked first, then the oldest
    first."""
    query = select(DeliveryFailure)
    if keys is not None:
        query = query.where(DeliveryFailure.key.in_(list(keys)))
    rows = await session.scalars(query)
    found = [_failure(row) for row in rows.all()]
    found += [Failure(row.key, row.job or "outbox", row.as_of or row.first_failed_at or row.created_at,
                      row.attempts, row.error or "", row.first_failed_at or row.created_at,
                      row.last_failed_at or row.created_at, row.parked_at, in_outbox=True)
              for row in await outbox.failing(session, keys)]
    return sorted(found, key=lambda f: (f.parked_at is None, f.first_failed_at, f.key))


async def unpark(session: AsyncSession, keys: Sequence[str]) -> None:
    """Make these units due again: their failure rows and unfinished claims go, and outbox messages are due
    (not committed)."""
    await session.execute(delete(DeliveryFailure).where(DeliveryFailure.key.in_(list(keys))))
    await session.execute(delete(Claim).where(Claim.key.in_(list(keys)), Claim.done_at.is_(None)))
    await outbox.unpark(session, keys)


async def done(session: AsyncSession, key: str) -> bool:
    """The unit was done (its claim completed) or the outbox message sent."""
    found = await session.get(Claim, key)
    return (found is not None and found.done_at is not None) or await outbox.is_sent(session, key)


async def waiting(session: AsyncSession, key: str) -> bool:
    """The outbox message is there, not sent."""
    return bool(await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key,
                                                                    OutboxMessage.sent_at.is_(None))))


async def restore(session: AsyncSession, failures: Sequence[Failure]) -> None:
    """Put back what `unpark` took when the retry could not even try it (the job itself failed), not committed.
    A row or claim that is there again (a tick failed it meanwhile) is kept as it is; an outbox message gets its
    count, error and parking back unless it was sent or failed again meanwhile."""
    rows, table = dialect.table_of(DeliveryFailure), dialect.table_of(Claim)
    for failure in failures:
        if failure.in_outbox:
            await outbox.restore(session, failure.key, attempts=failure.attempts, error=failure.error,
                                 job=failure.job, as_of=failure.as_of, first_failed_at=failure.first_failed_at,
                                 last_failed_at=failure.last_failed_at, parked_at=failure.parked_at)
            continue
        put_back = await session.scalar(dialect.insert(session, rows).values(
            key=failure.key, job=failure.job, as_of=failure.as_of, attempts=failure.attempts, error=failure.error,
            first_failed_at=failure.first_failed_at, last_failed_at=failure.last_failed_at,
            parked_at=failure.parked_at).on_conflict_do_nothing(index_elements=[rows.c.key]).returning(rows.c.key))
        if put_back is not None and failure.parked:
            await session.execute(dialect.insert(session, table).values(
                key=failure.key, claimed_at=failure.last_failed_at, done_at=None)
                .on_conflict_do_nothing(index_elements=[table.c.key]))
