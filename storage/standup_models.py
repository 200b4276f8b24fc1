"""Stand-up tables (DESIGN.md 3.2). Part of the schema in `storage.models`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class StandupEntry(Base):
    """One member's stand-up for one of their local days: prompted, answered, skipped or away."""

    __tablename__ = "standup_entries"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "day"),
        Index("ix_standup_entries_team_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    prompted_at: Mapped[datetime | None]
    prompt_channel: Mapped[str | None] = mapped_column(String(32))
    prompt_ts: Mapped[str | None] = mapped_column(String(32))
    answers: Mapped[list[Any]] = mapped_column(default=list)
    mood: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Raised by every answer or edit; the posted reply shows `reply_version`."""
    reply_ts: Mapped[str | None] = mapped_column(String(32))
    reply_version: Mapped[int] = mapped_column(Integer, default=0)


class StandupDay(Base):
    """The team's day in the report channel: its parent message, which the summary updates at close."""

    __tablename__ = "standup_days"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    summarised_at: Mapped[datetime | None]


class StandupAway(Base):
    """Days a member said they are away (`/standup away`): no prompt, counted as away."""

    __tablename__ = "standup_away"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
