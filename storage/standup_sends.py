"""What storage keeps of a stand-up message once the outbox has sent it (`storage.outbox.AFTER_SENT`): a
prompt's channel and ts on the member's row, the day message's ts on the team's day, the version a thread
reply shows. And which of a day's messages the outbox holds already, so that a flow writes an update only
of a message that exists. Nothing here commits: the dispatcher completes the row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox_models import OutboxMessage
from storage.standup_models import StandupDay, StandupEntry


async def written(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these messages the outbox holds (sent or not)."""
    if not keys:
        return set()
    return set((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(list(keys))))).all())


async def prompted(session: AsyncSession, params: dict[str, Any], result: dict[str, Any]) -> None:
    """A member's prompt was sent: where it is (its buttons are on it)."""
    await session.execute(update(StandupEntry).where(
        StandupEntry.team_id == int(params["team"]), StandupEntry.user_id == str(params["user"]),
        StandupEntry.day == date.fromisoformat(str(params["day"]))).values(
        prompt_channel=str(result["channel"]), prompt_ts=str(result["ts"])))


async def day_posted(session: AsyncSession, params: dict[str, Any], result: dict[str, Any]) -> None:
    """The team's day message was posted: its channel and ts."""
    await session.execute(update(StandupDay).where(
        StandupDay.team_id == int(params["team"]), StandupDay.day == date.fromisoformat(str(params["day"])))
        .values(channel=str(result["channel"]), ts=str(result["ts"])))


async def reply_shows(session: AsyncSession, params: dict[str, Any], result: dict[str, Any]) -> None:
    """A member's thread reply was posted (its ts) or updated: it shows `version` of the answer."""
    version = int(params["version"])
    values: dict[str, Any] = {"reply_version": func.max(StandupEntry.reply_version, version)
                              if session.get_bind().dialect.name == "sqlite"
                              else func.greatest(StandupEntry.reply_version, version)}
    if params.get("posted"):
        values["reply_ts"] = str(result["ts"])
    await session.execute(update(StandupEntry).where(StandupEntry.id == int(params["entry"])).values(**values))
