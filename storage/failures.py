"""Scheduled sends Slack refused: one row per unit (its claim key), counted until it is sent or parked.

`handlers.delivery.once` records a failed attempt here and either releases the unit's claim (the job's next
tick tries again) or parks it: the row gets `parked_at` and the claim stays, unfinished, so that neither a
job nor a lease take-over (`storage.claims`) sends it again. A parked unit waits for `supportbot jobs retry`
(`handlers.parked`). A unit that is sent at last loses its row. Housekeeping never touches this table, and it
deletes only completed claims and sent outbox rows, so nothing parked is ever forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
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


async def failed(session: AsyncSession, key: str, *, job: str, as_of: datetime, error: str,
                 now: datetime) -> int:
    """Count one more failed attempt of `key` (not committed); how many there have been. `job` and `as_of`
    are those of the first failure: a retry runs that job as of that instant. One upsert: two processes
    counting the first failure of a unit at once count two."""
    table = dialect.table_of(DeliveryFailure)
    statement = dialect.insert(session, table).values(
        key=key, job=job, as_of=as_of, attempts=1, error=error[:64], first_failed_at=now, last_failed_at=now,
        parked_at=None)
    attempts = await session.scalar(statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"attempts": table.c.attempts + 1, "error": statement.excluded.error,
              "last_failed_at": statement.excluded.last_failed_at},
    ).returning(table.c.attempts))
    return int(attempts or 1)


async def park(session: AsyncSession, key: str, *, now: datetime) -> None:
    """Keep `key`'s claim and mark it parked (not committed)."""
    await session.execute(update(DeliveryFailure).where(DeliveryFailure.key == key).values(parked_at=now))


async def sent(session: AsyncSession, key: str) -> None:
    """`key` went out at last: forget its failures (not committed; completing the claim commits)."""
    await session.execute(delete(DeliveryFailure).where(DeliveryFailure.key == key))


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
    """Make these units due again: their failure rows and unfinished claims go (committed)."""
    await session.execute(delete(DeliveryFailure).where(DeliveryFailure.key.in_(list(keys))))
    await session.execute(delete(Claim).where(Claim.key.in_(list(keys)), Claim.done_at.is_(None)))
    await outbox.unpark(session, keys)
    await session.commit()


async def done(session: AsyncSession, key: str) -> bool:
    """The unit was done (its claim completed) or the outbox message sent."""
    found = await session.get(Claim, key)
    return (found is not None and found.done_at is not None) or await outbox.is_sent(session, key)


async def waiting(session: AsyncSession, key: str) -> bool:
    """The outbox message is there, not sent."""
    return bool(await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key,
                                                                    OutboxMessage.sent_at.is_(None))))


async def restore(session: AsyncSession, failures: Sequence[Failure]) -> None:
    """Put back what `unpark` took when the retry could not even try it (the job itself failed): committed.
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
    await session.commit()
