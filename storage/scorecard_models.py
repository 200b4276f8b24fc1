"""Scorecard tables (the prioritisation playbook). Part of the schema in `storage.models`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Initiative(Base):
    """An improvement a team could pursue, proposed from `/prioritize`, open until done or dropped."""

    __tablename__ = "initiatives"
    __table_args__ = (Index("ix_initiatives_team_status", "team_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    proposer: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    """open, done or dropped."""
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(32))
    """The Slack user who drives it (optional)."""
    target_date: Mapped[date | None] = mapped_column(Date)
    """When it should be done, a day in the team's timezone (optional)."""
    kpi: Mapped[str | None] = mapped_column(String(64))
    """The metric it should move, a key of `bot.rules.kpi.CATALOGUE` (optional)."""


class InitiativeScore(Base):
    """One person's 1–5 per criterion for one initiative (they may change it)."""

    __tablename__ = "initiative_scores"
    __table_args__ = (UniqueConstraint("initiative_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    csat: Mapped[int] = mapped_column(Integer)
    churn: Mapped[int] = mapped_column(Integer)
    cost: Mapped[int] = mapped_column(Integer)
    feasibility: Mapped[int] = mapped_column(Integer)
    alignment: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
