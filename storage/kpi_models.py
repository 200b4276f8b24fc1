"""Ticket and KPI tables (DESIGN.md 3.3). Part of the schema in `storage.models`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Ticket(Base):
    """One helpdesk ticket (case, conversation), upserted by (team, external id) from CSV or the webhook."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("team_id", "external_id"),
        Index("ix_tickets_team_created", "team_id", "created_at"),
        Index("ix_tickets_team_solved", "team_id", "solved_at"),
        Index("ix_tickets_helpdesk_id", "helpdesk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    """The helpdesk's own ticket ID, as exported."""
    created_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    """new, open, pending, on_hold, solved or closed (each helpdesk's statuses are mapped to these)."""
    channel: Mapped[str | None] = mapped_column(String(32))
    csat_good: Mapped[bool | None] = mapped_column(Boolean)
    """None when unrated; good|bad, or 4-5 of 5 counts as good."""
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    agent_replies: Mapped[int | None] = mapped_column(Integer)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))
    """generic, zendesk, salesforce, intercom, freshdesk or webhook."""
    updated_at: Mapped[datetime]
    """When supportbot last wrote the row."""
    assignee_email: Mapped[str | None] = mapped_column(String(320), default=None)
    """The helpdesk assignee's email, as the sync last saw it (who is told in Slack when an escalation the
    ticket is linked to is resolved)."""
    customer_replied_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the requester (the customer) last replied, as the helpdesk last reported it (Zendesk's
    `requester_updated_at`, Freshdesk's `requester_responded_at`, Intercom's `last_contact_reply_at`): a reply
    after an escalation linked to the ticket started waiting on the customer ends the wait."""
    helpdesk_id: Mapped[str | None] = mapped_column(String(32), default=None)
    """The helpdesk's other id for the ticket, when a link may name it instead of `external_id` (a Salesforce
    case's 18-character `Id`; `external_id` is its `CaseNumber`)."""
