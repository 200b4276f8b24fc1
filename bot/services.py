"""What listeners and jobs share: the Slack client, the database and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.db import SessionFactory


@dataclass(frozen=True)
class Services:
    settings: Settings
    client: AsyncWebClient
    engine: AsyncEngine
    db: SessionFactory
