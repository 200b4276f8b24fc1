"""What listeners and jobs share: the Slack client, the database, the team directory and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.debounce import Debouncer
from handlers.metrics import Metrics
from storage.db import SessionFactory
from storage.directory import TeamDirectory


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
