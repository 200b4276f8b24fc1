"""One unit of work: a flow's session, the messages its change implies, and one commit for both.

    async with unit_of_work(db, on_commit=outbox.wake) as unit:
        event = await escalations.save(unit.session, escalation, change, due)   # staged, not committed
        unit.send(*cards.changed(escalation, event))                            # outbox rows, keyed
        await unit.commit()                                                     # state and messages at once

Storage functions never commit; the flow commits once, and the dispatcher is woken after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.messages import Message
from storage import outbox
from storage.db import SessionFactory


class UnitOfWork:
    def __init__(self, session: AsyncSession, *, now: datetime, on_commit: Callable[[], None] | None = None) -> None:
        self.session = session
        self.now = now
        self._messages: list[Message] = []
        self._on_commit = on_commit

    def send(self, *messages: Message) -> None:
        """Write these messages with the next commit (a key written before is written once)."""
        self._messages.extend(messages)

    async def commit(self) -> int:
        """Write the staged messages and commit everything the session holds; then wake the dispatcher. How
        many messages were new."""
        new = await outbox.write(self.session, self._messages, now=self.now)
        self._messages = []
        await self.session.commit()
        if new and self._on_commit is not None:
            self._on_commit()
        return new


@asynccontextmanager
async def unit_of_work(db: SessionFactory, *, now: datetime,
                       on_commit: Callable[[], None] | None = None) -> AsyncIterator[UnitOfWork]:
    async with db() as session:
        yield UnitOfWork(session, now=now, on_commit=on_commit)
