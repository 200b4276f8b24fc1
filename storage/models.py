"""The schema. Migrations under `storage/migrations` must produce exactly this (a test compares them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import PauseList, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


Base.metadata.naming_convention = NAMING


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    channels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """standup, pulse, digest, kpi_targets and escalation_policy sections, as validated YAML."""
    updated_at: Mapped[datetime]

    # Who is who comes from the team directory (storage.directory), loaded once per revision: these
    # relationships load only when a query asks for them (`selectinload`), never row by row.
    members: Mapped[list[TeamMember]] = relationship(back_populates="team", lazy="raise")
    paths: Mapped[list[EscalationPath]] = relationship(
        back_populates="team", lazy="raise", order_by="EscalationPath.position"
    )


class TeamMember(Base):
    """A person's membership of a team; removing them from the YAML deactivates, never deletes."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))  # member | manager
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[datetime]

    team: Mapped[Team] = relationship(back_populates="members")


class EscalationPath(Base):
    __tablename__ = "escalation_paths"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(75))
    channel: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    team: Mapped[Team] = relationship(back_populates="paths")


class Revision(Base):
    """A counter per kind of configuration, raised on every change: each replica's team directory
    compares it with the revision of its snapshot to know when to load a new one."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)


class Claim(Base):
    """A key recorded once (`storage.claims`): a pulse form's first click, and the claims of before the outbox
    (every scheduled unit was claimed here then), kept for retention and for `jobs retry` of one parked then."""

    __tablename__ = "claims"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class AppliedFile(Base):
    """The teams file last applied (`config apply`, or `SUPPORTBOT_CONFIG` at start-up): its SHA-256 says
    whether a start-up has anything new to apply, its text which settings were changed in Slack since."""

    __tablename__ = "applied_files"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[datetime]


class DeliveryFailure(Base):
    """A unit of scheduled work Slack refused (storage.failures): kept until it is sent or retried. A parked
    one (`parked_at` set) keeps its claim, unfinished, so that no job and no lease take-over sends it."""

    __tablename__ = "delivery_failures"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The claim key of the unit."""
    job: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime]
    """The `now` of the job run that first failed to send it: `jobs retry` runs the job as of this instant."""
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(64))
    """The last failure's code (bot.rules.delivery_failures)."""
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    parked_at: Mapped[datetime | None]


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_team_status", "team_id", "status"),
        {"sqlite_autoincrement": True},  # ESC numbers are never reused
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    path_id: Mapped[int] = mapped_column(ForeignKey("escalation_paths.id"))
    submission_key: Mapped[str] = mapped_column(String(255), unique=True)
    """The modal's view id: a retried or double-clicked submission finds the escalation it made."""
    reporter: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str | None] = mapped_column(String(32))
    customer: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(150))
    details: Mapped[str] = mapped_column(Text, default="")
    tickets: Mapped[list[Any]] = mapped_column(default=list)
    severity: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | resolved
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    priority_changed_at: Mapped[datetime]
    """When the SLA clocks last started: at opening, or when the priority was changed."""
    ack_due: Mapped[datetime]
    update_due: Mapped[datetime]
    resolve_due: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(String(32))
    customer_told: Mapped[bool | None] = mapped_column(Boolean)
    paging_failure: Mapped[str | None] = mapped_column(String(200), default=None)
    """Why its latest page could not be delivered (the card says so), until one is."""
    paused_at: Mapped[datetime | None]
    """Waiting on the customer since then: the update and resolution clocks are paused."""
    pauses: Mapped[tuple[tuple[datetime, datetime], ...]] = mapped_column(PauseList, default=(), server_default="[]")
    """Pauses that ended, oldest first: (paused at, resumed at). The due times are moved by them."""
    merged_into: Mapped[int | None] = mapped_column(Integer)
    """Closed as a duplicate of this escalation (Merge into…); not counted in the stats on its own."""
    merged_from: Mapped[list[Any] | None] = mapped_column(JSON)
    """The duplicates merged into this one: `{"id", "reporter"}` each (their reporters hear of its resolution)."""

    path: Mapped[EscalationPath] = relationship(lazy="joined")
    posts: Mapped[list[EscalationPost]] = relationship(lazy="selectin", order_by="EscalationPost.id")

    @property
    def ref(self) -> str:
        return f"ESC-{self.id}"


class EscalationPost(Base):
    """A channel message that shows the escalation and is kept current with chat.update."""

    __tablename__ = "escalation_posts"
    __table_args__ = (UniqueConstraint("escalation_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_event_id: Mapped[int] = mapped_column(Integer, default=0)
    """The latest timeline event when the card was posted: later events are replied in its thread."""
    shown_event_id: Mapped[int] = mapped_column(Integer, default=0)
    """The latest event the card shows; behind the timeline means the card is due a chat.update."""


class EscalationEvent(Base):
    """The timeline: who did what, when, and what changed."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    customer_visible: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An update the customer may read: a customer-update draft quotes only these."""
    came_from: Mapped[int | None] = mapped_column(Integer)
    """Copied from this escalation's timeline when it was merged into this one as a duplicate."""



class Person(Base):
    """What Slack told us of someone (users.info), refreshed at most daily: their name, timezone and status, and
    whether they are a workspace admin, a bot or deactivated (a request reads these instead of asking Slack)."""

    __tablename__ = "people"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64))
    status_emoji: Mapped[str] = mapped_column(String(100), default="")
    status_text: Mapped[str] = mapped_column(String(200), default="")
    status_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime]
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

class TeamChoice(Base):
    """The team a person last chose (`/kpi tier2`, a form's team picker): their default when a command names
    none. A key, not a foreign key: a team removed later is simply no longer among their teams."""

    __tablename__ = "team_choices"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_key: Mapped[str] = mapped_column(String(64))
    chosen_at: Mapped[datetime]


# Each feature's tables live in a module of their own and belong to this schema (Base.metadata).
from storage import helpdesk_models, kpi_models, metric_models, pulse_models, scorecard_models, standup_models  # noqa: E402, F401
