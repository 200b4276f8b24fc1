"""The outbox: every Slack message a state change implies, written in the same transaction (`storage.unit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Written order: messages of a group go out in it."""
    key: Mapped[str] = mapped_column(String(255), unique=True)
    """The message's typed key (`bot.rules.keys`): writing it twice writes it once."""
    group_key: Mapped[str] = mapped_column(String(255), index=True)
    coalesce: Mapped[str | None] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    then: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime | None]
    """After a failed attempt: not tried again before this (the next tick)."""
    claimed_at: Mapped[datetime | None]
    """Held by a sender since (a lease: a crashed sender's claim is taken over after `storage.outbox.LEASE`)."""
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What Slack answered that others reference: channel and ts (or `superseded` for a coalesced update)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    job: Mapped[str | None] = mapped_column(String(64))
    """The job whose run first failed to send it (`jobs retry` runs it again), or `outbox`."""
    first_failed_at: Mapped[datetime | None]
    last_failed_at: Mapped[datetime | None]
    parked_at: Mapped[datetime | None]
    as_of: Mapped[datetime | None]
    """The `now` of that job run: `jobs retry` runs the job as of it."""
