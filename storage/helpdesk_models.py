"""The helpdesk sources' table: each configured source, its sync state and its cached OAuth token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class HelpdeskSource(Base):
    """One `helpdesks[]` entry of the teams YAML (its validated configuration: no secret is in it) and its sync
    state. The cursor is advanced in the transaction that commits the tickets it covers; the lease makes one
    sync per source at a time across replicas; the token claim makes one token refresh at a time."""

    __tablename__ = "helpdesk_sources"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]
    cursor: Mapped[str | None] = mapped_column(Text)
    """Where the next sync starts (Zendesk's after_cursor); None before the first page was committed."""
    events_cursor: Mapped[str | None] = mapped_column(Text)
    """Where the next read of SLA events starts (Zendesk: the metric events' end_time)."""
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_report: Mapped[str | None] = mapped_column(Text)
    """The last sync's one-line summary (tickets, unmatched, unread)."""
    tickets_synced: Mapped[int] = mapped_column(BigInteger, default=0)
    """Tickets written by syncs, ever (an update counts again)."""
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    """Tickets of the last sync that matched no team."""
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    access_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    token_claim_until: Mapped[datetime | None]
    """A replica is asking for a new token until then: the others wait for it rather than ask too."""
