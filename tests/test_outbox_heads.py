"""`storage.outbox.heads`, the dispatcher's claim query: the lowest unsent message of each group, held back
with its whole group when it is parked, claimed (a live lease) or not due yet; a superseded card update
flagged; rate-limited methods left out; paged by id. On both databases (TEST_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, update

from bot.app import Supportbot
from bot.rules.keys import StoredKey
from bot.rules.messages import Message, post
from bot.rules.messages import update as card_update
from storage import outbox
from storage.outbox_models import OutboxMessage
from tests.conftest import Clock


def reply(key: str, group: str) -> Message:
    return post(StoredKey(key, None), "C0ENG", key, group=group)


def edit(key: str, group: str, *, of: str = "card", coalesce: str | None = "card") -> Message:
    return card_update(StoredKey(key, None), of, key, group=group, coalesce=coalesce)


async def written(app: Supportbot, clock: Clock, messages: list[Message]) -> dict[str, int]:
    async with app.services.db() as session:
        await outbox.write(session, messages, now=clock.now)
        await session.commit()
        return {row.key: row.id for row in await outbox.waiting(session)}


async def head_keys(app: Supportbot, clock: Clock, *, at: datetime | None = None, **options: Any) -> list[str]:
    async with app.services.db() as session:
        return [head.key for head in await outbox.heads(session, now=clock.now, at=at or clock.now, **options)]


async def set_rows(app: Supportbot, keys: list[str], **values: Any) -> None:
    async with app.services.db() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.key.in_(keys)).values(**values))
        await session.commit()


async def test_each_group_gives_its_lowest_unsent_message_in_id_order(app: Supportbot, clock: Clock) -> None:
    ids = await written(app, clock, [reply("a1", "A"), reply("b1", "B"), reply("a2", "A"), reply("c1", "C")])
    assert await head_keys(app, clock) == ["a1", "b1", "c1"]
    async with app.services.db() as session:
        await outbox.complete(session, [(ids["a1"], None, {"channel": "C0ENG", "ts": "1.0"})], now=clock.now)
        await session.commit()
    assert await head_keys(app, clock) == ["b1", "a2", "c1"]
    assert await head_keys(app, clock, limit=2) == ["b1", "a2"]
    assert await head_keys(app, clock, after=ids["a2"]) == ["c1"]
    async with app.services.db() as session:
        [head] = await outbox.heads(session, now=clock.now, at=clock.now, limit=1)
    assert (head.method, head.args["text"], head.refs, head.attempts) == ("chat.postMessage", "b1", {}, 0)


async def test_a_parked_claimed_or_not_yet_due_head_holds_its_whole_group_back(app: Supportbot, clock: Clock) -> None:
    await written(app, clock, [reply(f"{g}1", g) for g in "PCNE"] + [reply(f"{g}2", g) for g in "PCNE"])
    await set_rows(app, ["P1"], parked_at=clock.now)
    await set_rows(app, ["C1"], claimed_at=clock.now - outbox.LEASE + timedelta(minutes=1))  # a live lease
    await set_rows(app, ["E1"], claimed_at=clock.now - outbox.LEASE - timedelta(minutes=1))  # expired: taken over
    await set_rows(app, ["N1"], not_before=clock.now + timedelta(seconds=30))
    assert await head_keys(app, clock) == ["E1"]
    assert await head_keys(app, clock, at=clock.now + timedelta(minutes=2)) == ["C1", "E1"]  # its lease ran out
    clock.advance(seconds=30)
    assert await head_keys(app, clock) == ["N1", "E1"]


async def test_a_card_update_with_a_later_one_waiting_is_superseded(app: Supportbot, clock: Clock) -> None:
    await written(app, clock, [edit("u1", "K"), reply("r1", "K"), edit("u2", "K"), edit("v1", "L", coalesce=None),
                               edit("v2", "L", coalesce=None)])
    async with app.services.db() as session:
        heads = await outbox.heads(session, now=clock.now, at=clock.now)
    assert [(head.key, head.superseded) for head in heads] == [("u1", True), ("v1", False)]
    async with app.services.db() as session:
        await outbox.supersede(session, [heads[0].id], now=clock.now, at=clock.now)
        await session.commit()
    async with app.services.db() as session:
        heads = await outbox.heads(session, now=clock.now, at=clock.now)
    assert [(head.key, head.superseded) for head in heads] == [("r1", False), ("v1", False)]


async def test_a_rate_limited_method_is_left_out_unless_superseded(app: Supportbot, clock: Clock) -> None:
    await written(app, clock, [reply("p1", "P"), edit("u1", "K"), edit("u2", "K"), edit("w1", "W")])
    assert await head_keys(app, clock, held={"chat.update"}) == ["p1", "u1"]  # u1 superseded: u2 goes
    assert await head_keys(app, clock, held={"chat.postMessage"}) == ["u1", "w1"]
    assert await head_keys(app, clock, held={"chat.postMessage", "chat.update"}) == ["u1"]


async def test_the_claim_query_is_one_statement_whatever_waits(app: Supportbot, clock: Clock) -> None:
    await written(app, clock, [reply(f"m{n}", f"G{n}") for n in range(300)])
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(app.services.engine.sync_engine, "before_cursor_execute", record)
    try:
        found = await head_keys(app, clock, limit=32)
    finally:
        event.remove(app.services.engine.sync_engine, "before_cursor_execute", record)
    assert found == [f"m{n}" for n in range(32)]
    assert len(seen) == 1 and "GROUP BY" in seen[0].upper(), seen
