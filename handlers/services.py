"""What listeners and jobs share: the Slack client, the database, the team directory and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

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
