"""Holding two sessions at the same point of a write, so a race that is rare in production happens every time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.util import await_only

from bot.app import Supportbot


@asynccontextmanager
async def both_first(app: Supportbot, table: str) -> AsyncIterator[None]:
    """The first two statements that name `table` wait for each other: each session's first (a session that
    sent one waits until the other has sent its own)."""
    arrived = asyncio.Barrier(2)
    held = 0

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal held
        if table in statement and held < 2:
            held += 1
            await_only(asyncio.wait_for(arrived.wait(), timeout=10))

    engine = app.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert held == 2, f"the race never reached {table}"
