"""What listeners and jobs share: the Slack client, the database, the team directory and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.debounce import Debouncer
from handlers.metrics import Metrics
from handlers.outbox import Outbox
from storage.db import SessionFactory
from storage.directory import TeamDirectory
from storage.unit import UnitOfWork, unit_of_work


@dataclass(frozen=True)
class Services:
    client: AsyncWebClient
    engine: AsyncEngine
    db: SessionFactory
    directory: TeamDirectory
    clock: Callable[[], datetime]
    """What time it is for listeners (each request reads it once, as `context["now"]`) and jobs."""
    later: Debouncer = field(default_factory=Debouncer)
    """Work worth doing once after a burst of changes (republishing someone's App Home)."""
    metrics: Metrics = field(default_factory=Metrics)
    """What `GET /metrics` shows: this app's counters, on a registry of its own."""
    outbox: Outbox = None  # type: ignore[assignment]
    """The dispatcher (`handlers.outbox`): built from the client, database and clock unless given."""

    def __post_init__(self) -> None:
        if self.outbox is None:
            object.__setattr__(self, "outbox", Outbox(self.db, self.client, self.clock, self.metrics))

    @asynccontextmanager
    async def unit(self, now: datetime, *, wake: bool = True) -> AsyncIterator[UnitOfWork]:
        """A unit of work whose commit wakes the dispatcher (a job sends what it wrote itself: `wake=False`)."""
        async with unit_of_work(self.db, now=now, on_commit=self.outbox.wake if wake else None) as unit:
            yield unit
