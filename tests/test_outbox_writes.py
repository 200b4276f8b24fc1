"""Writing to the outbox: one statement for a request's messages, the written order kept in the ids (the
dispatcher sends a group in id order), a key written twice written once, on both databases; an Acknowledge
asks the database for at most 4 statements and 1 commit before its answer (bench.command_path's goal)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from bot.app import Supportbot
from bot.rules.keys import StoredKey
from bot.rules.messages import Message, post
from handlers.escalations import ids
from storage import outbox
from storage.outbox_models import OutboxMessage
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack


def messages(keys: list[str]) -> list[Message]:
    return [post(StoredKey(key, None), "C0ENG", key, group="esc:1@C0ENG") for key in keys]


async def stored(app: Supportbot) -> list[str]:
    async with app.services.db() as session:
        return list((await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))).all())


@pytest.mark.parametrize("count", [3, outbox.FEW + 1, 2 * outbox.ROWS + 7])
async def test_messages_are_written_once_in_the_order_given(app: Supportbot, clock: Clock, count: int) -> None:
    keys = [f"esc:1:event:{n}:reply:C0ENG" for n in reversed(range(count))]  # not in key order
    async with app.services.db() as session:
        assert await outbox.write(session, messages(keys[::2]), now=clock.now) == len(keys[::2])
        await session.commit()
    async with app.services.db() as session:
        assert await outbox.write(session, messages(keys), now=clock.now) == len(keys[1::2])  # the rest only
        assert await outbox.write(session, messages(keys), now=clock.now) == 0  # flushed: nothing new
        await session.commit()
    assert await stored(app) == keys[::2] + keys[1::2]


async def test_a_requests_messages_are_one_statement(app: Supportbot, clock: Clock) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(app.services.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with app.services.db() as session:
            assert await outbox.write(session, messages([f"esc:1:part:{n}" for n in range(outbox.FEW)]),
                                      now=clock.now) == outbox.FEW
    finally:
        event.remove(app.services.engine.sync_engine, "before_cursor_execute", record)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT"), seen


async def test_an_acknowledge_is_four_statements_and_one_commit_before_its_answer(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    await escalate(bot, slack, team.agent)
    bot.settle = False  # the outbox is drained after, outside the statements counted
    seen: list[str] = []
    commits: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM revisions" not in statement:  # the tests' app looks for a configuration change every request
            seen.append(statement)  # (a running one at most every 2 s)

    def committed(_conn: Any) -> None:
        commits.append(1)

    engine = app.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        reply = await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)
    await app.services.outbox.drain()
    assert reply.status == 200
    assert (len(seen), len(commits)) == (4, 1), seen  # the escalation, its event, its new state, its messages
    assert slack.count("chat.update") >= 2 and len([c for c in slack.calls("chat.postMessage") if c.thread_ts]) == 2
