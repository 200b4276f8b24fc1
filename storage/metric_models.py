"""KPI tables (DESIGN.md 3.3): manual metrics, metric alert states, baselines.

Part of the schema in `storage.models`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.kpi_models import Ticket
from storage.models import Base, Escalation

__all__ = ["Base", "ManualMetric", "MetricAlertState", "MetricBaseline"]


class ManualMetric(Base):
    """A figure from elsewhere (an NPS from a survey tool, a churn rate), logged with `/kpi log` for one
    local day; logging it again for that day replaces it."""

    __tablename__ = "manual_metrics"
    __table_args__ = (UniqueConstraint("team_id", "metric", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    logged_by: Mapped[str] = mapped_column(String(32))
    logged_at: Mapped[datetime]


class MetricAlertState(Base):
    """Whether a team's metric is red, as last announced: what makes an alert fire once per change."""

    __tablename__ = "metric_alert_states"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    red: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[date] = mapped_column(Date)
    """The local day of the judgement that set `red`."""


class MetricBaseline(Base):
    """A metric's 7-day average pinned by a manager: the start of a 30-day plan. Pinning again replaces it."""

    __tablename__ = "metric_baselines"
    __table_args__ = (UniqueConstraint("team_id", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    pinned_on: Mapped[date] = mapped_column(Date)
    pinned_by: Mapped[str] = mapped_column(String(32))
    pinned_at: Mapped[datetime]


# Indexes that keep one team-day fast at a million tickets (storage.kpi): the backlog at the end of a day
# counts the tickets still unsolved and those solved since, each a covering range of this index (about 20 ms
# for a recent day at a million tickets on SQLite).
Index("ix_tickets_team_solved_created", Ticket.team_id, Ticket.solved_at, Ticket.created_at)
Index("ix_escalations_team_opened", Escalation.team_id, Escalation.opened_at)
