"""The team each person last chose: read when a command names none, written when they name or pick one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import dialect
from storage.models import TeamChoice


async def remembered(session: AsyncSession, user_id: str) -> str | None:
    """The key of the team `user_id` last chose, if they ever chose one."""
    return await session.scalar(select(TeamChoice.team_key).where(TeamChoice.user_id == user_id))


async def remember(session: AsyncSession, user_id: str, team_key: str, *, now: datetime) -> None:
    """One upsert (not committed): two requests of the same person at once both succeed, the later write
    winning."""
    await dialect.upsert(session, TeamChoice, {"user_id": user_id, "team_key": team_key, "chosen_at": now},
                         ["user_id"])
