"""What listeners and jobs share: the Slack client, the database and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import utcnow
from bot.settings import Settings
from storage.db import SessionFactory


@dataclass(frozen=True)
class Services:
    settings: Settings
    client: AsyncWebClient
    engine: AsyncEngine
    db: SessionFactory
    clock: Callable[[], datetime] = field(default=utcnow)
    """What time it is for listeners (each request reads it once, as `context["now"]`)."""
