"""The outbox's rows: written by a flow with its state change (`storage.unit`), claimed, completed or counted
as failed by the dispatcher (`handlers.outbox`). Nothing here commits: the caller's flow does, once.

A row is *waiting* until it is sent; the dispatcher claims it (a lease: `LEASE` after a claim that was never
completed, another sender may take it over) before it sends it and completes it after, in one transaction with
what storage records of the send (`AFTER_SENT`). A failed attempt is counted on the row; a parked row waits for
`supportbot jobs retry`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.rules.messages import Message
from storage import dialect, standup_sends
from storage.models import EscalationPost
from storage.outbox_models import OutboxMessage

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
CHUNK = 500
ROWS = 50
"""Messages per INSERT: 10 parameters each, far below SQLite's and asyncpg's bound-parameter limits."""
FEW = 16
"""Up to this many messages (a request's) are inserted without reading their keys first."""
SUPERSEDED = {"superseded": True}


def _row(message: Message, now: datetime) -> dict[str, Any]:
    return {"key": str(message.key), "group_key": message.group, "coalesce": message.coalesce,
            "method": message.method, "args": message.args,
            "refs": {name: ref.as_json() for name, ref in message.refs.items()}, "then": message.then,
            "created_at": now, "attempts": 0}


async def write(session: AsyncSession, messages: Sequence[Message], *, now: datetime) -> int:
    """Add the messages not written yet, in the order given (not committed); how many were new. One multi-row
    `INSERT … ON CONFLICT (key) DO NOTHING RETURNING key` per `ROWS` messages: a key written before is skipped
    by the database, and the ids follow the order given (a card before its replies). A batch of more than `FEW`
    (a job's plan, mostly written before) reads its keys first, so that a plan written again in the steady
    state sends no rows at all."""
    wanted = {str(m.key): m for m in messages}
    if not wanted:
        return 0
    there: set[str] = set()
    keys = list(wanted)
    if len(keys) > FEW:
        for start in range(0, len(keys), CHUNK):
            there.update((await session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.key.in_(keys[start:start + CHUNK])))).all())
    new = [_row(m, now) for key, m in wanted.items() if key not in there]
    table, written = dialect.table_of(OutboxMessage), 0
    for start in range(0, len(new), ROWS):
        inserted = await session.execute(dialect.insert(session, table).values(new[start:start + ROWS])
                                         .on_conflict_do_nothing(index_elements=[table.c.key])
                                         .returning(table.c.key))
        written += len(inserted.all())
    return written


async def waiting(session: AsyncSession, *, limit: int = 1000) -> list[OutboxMessage]:
    """Rows not sent yet (parked and claimed ones included), oldest first."""
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                                 .order_by(OutboxMessage.id).limit(limit))
    return list(rows.all())


class Head(NamedTuple):
    """The first unsent message of its group, as the dispatcher sends it."""
    id: int
    key: str
    method: str
    args: dict[str, Any]
    refs: dict[str, Any]
    attempts: int
    then: dict[str, Any] | None
    superseded: bool
    """A later update of the same card (its `coalesce`) waits in its group: this one need not go."""


async def heads(session: AsyncSession, *, now: datetime, at: datetime, after: int = 0, limit: int = 32,
                held: Collection[str] = ()) -> list[Head]:
    """Up to `limit` messages that may go now, in id order from just after `after`: the lowest unsent id of
    each group (one `GROUP BY group_key` of the unsent rows), when it is neither parked, nor held by a live
    claim (see `claim`), nor waiting for its `not_before` (any of these holds its whole group back). A message
    of a method in `held` (rate-limited) is left out, unless it is superseded. Only these rows' arguments are
    read: claiming costs the same with ten waiting messages or ten thousand."""
    first = (select(func.min(OutboxMessage.id).label("id")).where(OutboxMessage.sent_at.is_(None))
             .group_by(OutboxMessage.group_key).subquery())
    later = aliased(OutboxMessage)
    superseded = exists().where(later.group_key == OutboxMessage.group_key, later.coalesce == OutboxMessage.coalesce,
                                later.sent_at.is_(None), later.id > OutboxMessage.id)
    query = (select(OutboxMessage.id, OutboxMessage.key, OutboxMessage.method, OutboxMessage.args,
                    OutboxMessage.refs, OutboxMessage.attempts, OutboxMessage.then, superseded.label("superseded"))
             .join(first, first.c.id == OutboxMessage.id)
             .where(OutboxMessage.id > after, _free(now),
                    or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < at - LEASE))
             .order_by(OutboxMessage.id).limit(limit))
    if held:
        query = query.where(or_(OutboxMessage.method.not_in(list(held)), superseded))
    rows = await session.execute(query)
    return [Head(number, key, method, dict(args or {}), dict(refs or {}), attempts or 0, then, bool(gone))
            for number, key, method, args, refs, attempts, then, gone in rows.all()]


async def results(session: AsyncSession, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What Slack answered to each of these messages that was sent (a superseded one has no answer)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), CHUNK):
        rows = await session.execute(select(OutboxMessage.key, OutboxMessage.result).where(
            OutboxMessage.key.in_(keys[start:start + CHUNK]), OutboxMessage.sent_at.is_not(None)))
        found.update({key: dict(result or {}) for key, result in rows.all()})
    return found


def _free(now: datetime) -> Any:
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_(None),
                or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now))


async def claim(session: AsyncSession, ids: Sequence[int], *, now: datetime, at: datetime) -> list[int]:
    """Take these rows for this sender (not committed: commit before sending); those it got. A row held by a
    live claim is not taken; one whose holder never completed it within `LEASE` is taken over (logged: if the
    holder's send reached Slack, it goes out twice). `now` is the flow's time (for `not_before`), `at` the
    wall clock's: a lease is real time, whatever clock the app runs on."""
    if not ids:
        return []
    got = await session.scalars(update(OutboxMessage).where(
        OutboxMessage.id.in_(ids), _free(now), OutboxMessage.claimed_at.is_(None))
        .values(claimed_at=at).returning(OutboxMessage.id))
    taken = set(got.all())
    rest = [i for i in ids if i not in taken]
    if rest:
        over = await session.execute(update(OutboxMessage).where(
            OutboxMessage.id.in_(rest), _free(now), OutboxMessage.claimed_at < at - LEASE)
            .values(claimed_at=at).returning(OutboxMessage.id, OutboxMessage.key))
        for number, key in over.all():
            log.warning("%s taken over from a sender that never finished it: sent again, a duplicate if Slack "
                        "had received the first send", key)
            taken.add(number)
    return [i for i in ids if i in taken]


async def supersede(session: AsyncSession, ids: Sequence[int], *, now: datetime, at: datetime) -> None:
    """These card updates need not go: a later one of the same card waits behind them (not committed)."""
    if ids:
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.id.in_(ids), _free(now), or_(OutboxMessage.claimed_at.is_(None),
                                                       OutboxMessage.claimed_at < at - LEASE))
            .values(sent_at=now, result=SUPERSEDED, claimed_at=None))


async def complete(session: AsyncSession, sent: Sequence[tuple[int, dict[str, Any] | None, dict[str, Any]]], *,
                   now: datetime) -> None:
    """These rows were sent, each (id, then, Slack's answer): record the answers in one statement (executemany)
    and what storage keeps of each (`then`), in order (not committed)."""
    if not sent:
        return
    await session.execute(update(OutboxMessage), [
        {"id": row_id, "sent_at": now, "result": result, "claimed_at": None, "parked_at": None}
        for row_id, _then, result in sent])
    for _row_id, then, result in sent:
        for name, params in (then or {}).items():
            await AFTER_SENT[name](session, params, result)


async def failed(session: AsyncSession, row_id: int, error: str, *, job: str, as_of: datetime, now: datetime,
                 park: bool, retry_at: datetime | None) -> int:
    """Count one more failed attempt (not committed): the claim is given back, and the row parked or not tried
    before `retry_at`; how many attempts have failed."""
    attempts = await session.scalar(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
        attempts=OutboxMessage.attempts + 1, error=error[:64], claimed_at=None, not_before=retry_at,
        job=func.coalesce(OutboxMessage.job, job), first_failed_at=func.coalesce(OutboxMessage.first_failed_at, now),
        last_failed_at=now, parked_at=now if park else None,
        as_of=func.coalesce(OutboxMessage.as_of, as_of)).returning(OutboxMessage.attempts))
    return int(attempts or 1)


async def release(session: AsyncSession, row_id: int) -> None:
    """Give the row back untried (not committed)."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(claimed_at=None))


async def release_all(session: AsyncSession, row_ids: Sequence[int]) -> None:
    """Give these rows back untried (not committed): one statement."""
    for start in range(0, len(row_ids), CHUNK):
        await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids[start:start + CHUNK])))
                              .values(claimed_at=None))


async def failing(session: AsyncSession, keys: Sequence[str] | None = None) -> list[OutboxMessage]:
    """Rows not sent that failed at least once (parked ones included)."""
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
    if keys is not None:
        query = query.where(OutboxMessage.key.in_(list(keys)))
    return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def unpark(session: AsyncSession, keys: Sequence[str]) -> None:
    """Make these rows due again, their failures forgotten (not committed)."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.key.in_(list(keys)),
                                                      OutboxMessage.sent_at.is_(None))
                          .values(parked_at=None, attempts=0, error=None, not_before=None, claimed_at=None,
                                  job=None, first_failed_at=None, last_failed_at=None, as_of=None))


async def restore(session: AsyncSession, key: str, *, attempts: int, error: str, job: str, as_of: datetime,
                  first_failed_at: datetime, last_failed_at: datetime, parked_at: datetime | None) -> None:
    """Give an `unpark`ed row its failures back (a retry that could not try it): parked again if it was, else
    tried again by the next tick. Not if it was sent or failed again meanwhile (not committed)."""
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.key == key, OutboxMessage.sent_at.is_(None), OutboxMessage.attempts == 0).values(
        attempts=attempts, error=error[:64] or None, job=job, as_of=as_of, first_failed_at=first_failed_at,
        last_failed_at=last_failed_at, parked_at=parked_at))


async def written(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these keys the outbox holds, sent or not: a plan written once is not worked out again."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update((await session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.key.in_(list(keys[start:start + CHUNK]))))).all())
    return found


async def is_sent(session: AsyncSession, key: str) -> bool:
    return bool(await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key,
                                                                    OutboxMessage.sent_at.is_not(None))))


# --------------------------------------------------------------------------- retention (bot.rules.retention decides)

async def sent_before(session: AsyncSession, cutoff: datetime, *, after: str = "",
                      limit: int = CHUNK) -> list[tuple[str, datetime]]:
    """Up to `limit` rows sent (or superseded) before `cutoff`, in key order from just after `after`: a page at
    a time, each with when it was sent."""
    rows = await session.execute(
        select(OutboxMessage.key, OutboxMessage.sent_at)
        .where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff, OutboxMessage.key > after)
        .order_by(OutboxMessage.key).limit(limit))
    return [(key, sent_at) for key, sent_at in rows.all() if sent_at is not None]


async def waited_on(session: AsyncSession) -> set[str]:
    """The keys a waiting row takes a value from (`Ref.of`: the card it updates or replies under, the message it
    links to): those rows must stay, or the waiting one could never be sent."""
    found: set[str] = set()
    rows = await session.scalars(select(OutboxMessage.refs).where(OutboxMessage.sent_at.is_(None)))
    for refs in rows.all():
        found.update(str(ref["of"]) for ref in (refs or {}).values() if isinstance(ref, dict) and "of" in ref)
    return found


async def forget(session: AsyncSession, keys: Sequence[str]) -> int:
    """Delete these rows if they were sent (a waiting or parked row is never deleted here); how many went (not
    committed)."""
    deleted = 0
    for start in range(0, len(keys), CHUNK):
        result = await session.execute(delete(OutboxMessage).where(
            OutboxMessage.key.in_(list(keys[start:start + CHUNK])), OutboxMessage.sent_at.is_not(None)))
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


# --------------------------------------------------------------------------- what storage keeps of a send

async def _card_posted(session: AsyncSession, params: dict[str, Any], result: dict[str, Any]) -> None:
    """An escalation's card was posted: its channel and ts, and the timeline it shows."""
    event = int(params.get("event", 0))
    session.add(EscalationPost(escalation_id=int(params["escalation"]), channel=str(result["channel"]),
                               ts=str(result["ts"]), posted_event_id=event, shown_event_id=event))


async def _card_shows(session: AsyncSession, params: dict[str, Any], _result: dict[str, Any]) -> None:
    """An escalation's card was updated to show the timeline up to an event."""
    event = int(params.get("event", 0))
    await session.execute(update(EscalationPost).where(
        EscalationPost.escalation_id == int(params["escalation"]), EscalationPost.channel == str(params["channel"]),
        EscalationPost.shown_event_id < event).values(shown_event_id=event))


AFTER_SENT: dict[str, Callable[[AsyncSession, dict[str, Any], dict[str, Any]], Coroutine[Any, Any, None]]] = {
    "card_posted": _card_posted,
    "card_shows": _card_shows,
    "standup_prompted": standup_sends.prompted,
    "standup_day_posted": standup_sends.day_posted,
    "standup_reply_shows": standup_sends.reply_shows,
}
