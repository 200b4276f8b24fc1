"""Pulse tables (DESIGN.md 3.4): anonymous by construction. Part of the schema in `storage.models`.

- `pulse_rounds`: one per team per ISO week, with the questions it was asked with.
- `pulse_participants`: who was asked and whether they answered; used only to refuse a second answer,
  to remind non-responders and for the participation rate. It holds no answer.
- `pulse_answers` / `pulse_comments`: the round, the question and the value (or the comment's text),
  under a random key. No user ID, nothing derived from one, no timestamp, no sequential key; on SQLite
  no hidden rowid either (WITHOUT ROWID). `storage.pulse.cast` rewrites a round's whole set of answers
  with fresh random keys in one transaction, separate from the participation's, so the rows carry
  nothing (key, insertion order, PostgreSQL's xmin) that could pair an answer with its submission.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

__all__ = ["Base", "PulseAnswer", "PulseComment", "PulseParticipant", "PulseRound"]


class PulseRound(Base):
    __tablename__ = "pulse_rounds"
    __table_args__ = (UniqueConstraint("team_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    """The ISO week of its pulse day, e.g. `2026-W45`: the round's name."""
    day: Mapped[date] = mapped_column(Date)
    questions: Mapped[list[Any]] = mapped_column()
    """What it asked: [{text, low, high}], kept when the team's questions change later."""
    min_responses: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    ballots: Mapped[int] = mapped_column(Integer, default=0)
    """How many answer sets the round holds; raising it is also the lock that serialises `cast`."""


class PulseParticipant(Base):
    """Who was asked in a round, and whether they answered. Never joined with answers (it cannot be)."""

    __tablename__ = "pulse_participants"

    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)


class PulseAnswer(Base):
    __tablename__ = "pulse_answers"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random (128 bits), renewed at every write of the round: it sorts in no meaningful order."""
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True)
    question: Mapped[int] = mapped_column(Integer)
    """The question's index in the round's `questions`."""
    value: Mapped[int] = mapped_column(Integer)


class PulseComment(Base):
    __tablename__ = "pulse_comments"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
