"""Escalations, their timeline and their stats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from bot.rules.escalation_changes import Change, EscalationState, Event
from bot.rules.escalations import (
    Deadlines,
    Durations,
    EscalationStats,
    by_customer,
    repeat_customers,
)
from bot.rules.sla_attainment import SlaRecord, attainment, time_to_resolve
from storage.models import Escalation, EscalationEvent, EscalationPath

STATE_FIELDS = tuple(EscalationState.__dataclass_fields__)
PRIORITY_ORDER = case({"P1": 1, "P2": 2, "P3": 3, "P4": 4}, value=Escalation.priority, else_=5)


@dataclass(frozen=True)
class NewEscalation:
    team_id: int
    path_id: int
    submission_key: str
    reporter: str
    owner: str | None
    customer: str
    summary: str
    details: str
    tickets: list[dict[str, Any]]
    severity: str
    impact: str
    urgency: str
    priority: str


async def create(session: AsyncSession, new: NewEscalation, *, due: Deadlines, events: Sequence[Event],
                 now: datetime) -> tuple[Escalation, list[EscalationEvent] | None]:
    """Store a new escalation and its first events (flushed, not committed: the flow commits); the escalation
    and its events. A second submission of the same modal stores nothing and returns the first escalation and
    None (the session is rolled back: its unique key refused the row)."""
    escalation = Escalation(
        **new.__dict__, status="open", opened_at=now, priority_changed_at=now,
        ack_due=due.ack_due, update_due=due.update_due, resolve_due=due.resolve_due,
    )
    session.add(escalation)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await session.scalar(
            select(Escalation).where(Escalation.submission_key == new.submission_key)
        )
        if existing is None:
            raise
        return existing, None
    rows = _record(session, escalation, events)
    await session.flush()
    return escalation, rows


def _record(session: AsyncSession, escalation: Escalation, events: Sequence[Event]) -> list[EscalationEvent]:
    rows = [EscalationEvent(escalation_id=escalation.id, at=e.at, actor=e.actor, kind=e.kind, old=e.old,
                            new=e.new, note=e.note, customer_visible=e.customer_visible) for e in events]
    session.add_all(rows)
    return rows


def state_of(escalation: Escalation) -> EscalationState:
    """The stored escalation as the rules see it."""
    return EscalationState(**{name: getattr(escalation, name) for name in STATE_FIELDS})


async def save(session: AsyncSession, escalation: Escalation, change: Change, due: Deadlines) -> EscalationEvent | None:
    """Store a change the rules made, with its due times and timeline (flushed, not committed); the last event
    it recorded, or None when nothing changed."""
    if not change.changed:
        return None
    for name in STATE_FIELDS:
        setattr(escalation, name, getattr(change.state, name))
    escalation.ack_due, escalation.update_due, escalation.resolve_due = due.ack_due, due.update_due, due.resolve_due
    rows = _record(session, escalation, change.events)
    await session.flush()
    return rows[-1]


async def merge(session: AsyncSession, duplicate: Escalation, target: Escalation, changes: tuple[Change, Change],
                due: tuple[Deadlines, Deadlines]) -> tuple[EscalationEvent, EscalationEvent]:
    """Store a merge the rules made (`escalation_changes.merge`), flushed, not committed: the duplicate closed,
    its tickets and reporter added to the target, its timeline copied onto the target's (each entry saying
    where it came from; the duplicate keeps its own). The merge's event on each side."""
    for event in await timeline(session, duplicate.id):
        session.add(EscalationEvent(escalation_id=target.id, at=event.at, actor=event.actor, kind=event.kind,
                                    old=event.old, new=event.new, note=event.note,
                                    customer_visible=event.customer_visible, came_from=duplicate.id))
    known = list(target.tickets)
    target.tickets = known + [ticket for ticket in duplicate.tickets if ticket not in known]
    target.merged_from = [*(target.merged_from or []), {"id": duplicate.id, "reporter": duplicate.reporter}]
    closed = await save(session, duplicate, changes[0], due[0])
    taken = await save(session, target, changes[1], due[1])
    assert closed is not None and taken is not None  # a merge always says so on both timelines
    return closed, taken


def keep_due_current(escalation: Escalation, due: Deadlines) -> None:
    """Store the due times again when the team's policy changed them (the stats and lists query them): staged,
    written by the flow's commit."""
    if (escalation.ack_due, escalation.update_due, escalation.resolve_due) != (due.ack_due, due.update_due,
                                                                                 due.resolve_due):
        escalation.ack_due, escalation.update_due, escalation.resolve_due = due.ack_due, due.update_due, due.resolve_due


async def get(session: AsyncSession, escalation_id: int) -> Escalation | None:
    """The escalation with its path; not its posts (a button's listener never needs them: one query less per
    click; reading them raises)."""
    return await session.get(Escalation, escalation_id, options=[raiseload(Escalation.posts)])


async def locked(session: AsyncSession, escalation_ids: Sequence[int]) -> dict[int, Escalation]:
    """The escalations, each row locked until the flow commits (in number order, so two flows locking the same
    pair never wait on each other): a merge reads the state it changes (SQLite serialises writers anyway)."""
    query = (select(Escalation).where(Escalation.id.in_(escalation_ids)).order_by(Escalation.id)
             .with_for_update(of=Escalation).execution_options(populate_existing=True))
    return {escalation.id: escalation for escalation in (await session.scalars(query)).unique().all()}


# --------------------------------------------------------------------------- queries

@dataclass(frozen=True)
class OpenList:
    """The most urgent open escalations (up to a limit) and how many are open in all, by priority."""

    escalations: list[Escalation]
    by_priority: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


async def _open(session: AsyncSession, condition: Any, limit: int) -> OpenList:
    where = (condition, Escalation.status != "resolved")
    first = await session.scalars(
        select(Escalation).where(*where).order_by(PRIORITY_ORDER, Escalation.opened_at, Escalation.id).limit(limit))
    counts = await session.execute(
        select(Escalation.priority, func.count()).where(*where).group_by(Escalation.priority))
    return OpenList(list(first.all()), {str(p): int(n) for p, n in counts.all()})


async def open_linked_tickets(session: AsyncSession, team_id: int) -> list[tuple[str, list[Any]]]:
    """Each open escalation of the team: its reference and its linked tickets (for the digest's contributors)."""
    rows = await session.execute(select(Escalation.id, Escalation.tickets).where(
        Escalation.team_id == team_id, Escalation.status != "resolved").order_by(Escalation.id))
    return [(f"ESC-{ident}", list(tickets or [])) for ident, tickets in rows.all()]


async def open_for_teams(session: AsyncSession, team_ids: Sequence[int], *, limit: int = 20) -> OpenList:
    return await _open(session, Escalation.team_id.in_(team_ids), limit)


async def mine(session: AsyncSession, user_id: str, *, limit: int = 20) -> OpenList:
    """Open escalations the person reported or owns."""
    return await _open(session, or_(Escalation.reporter == user_id, Escalation.owner == user_id), limit)


async def active(session: AsyncSession, *, resolved_since: datetime) -> list[Escalation]:
    """Unresolved escalations, and those resolved since `resolved_since` (whose news may still be
    on its way to Slack): what the timers job looks after."""
    query = (select(Escalation)
             .where(or_(Escalation.status != "resolved", Escalation.resolved_at >= resolved_since))
             .order_by(Escalation.id))
    return list((await session.scalars(query)).all())


async def paused(session: AsyncSession) -> list[Escalation]:
    """Open escalations waiting on the customer (paused), oldest first: what a customer's reply may resume."""
    query = (select(Escalation).where(Escalation.status != "resolved", Escalation.paused_at.is_not(None))
             .order_by(Escalation.id))
    return list((await session.scalars(query)).all())


async def events_since(session: AsyncSession, escalation_ids: Sequence[int],
                       since: datetime) -> dict[int, list[EscalationEvent]]:
    """Recent timeline events of each escalation, oldest first."""
    found: dict[int, list[EscalationEvent]] = {number: [] for number in escalation_ids}
    for start in range(0, len(escalation_ids), 1000):
        query = (select(EscalationEvent)
                 .where(EscalationEvent.escalation_id.in_(escalation_ids[start:start + 1000]),
                        EscalationEvent.at >= since)
                 .order_by(EscalationEvent.id))
        for event in (await session.scalars(query)).all():
            found[event.escalation_id].append(event)
    return found


async def latest_event_ids(session: AsyncSession, escalation_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(escalation_ids), 1000):
        rows = await session.execute(
            select(EscalationEvent.escalation_id, func.max(EscalationEvent.id))
            .where(EscalationEvent.escalation_id.in_(escalation_ids[start:start + 1000]))
            .group_by(EscalationEvent.escalation_id))
        found.update({int(number): int(latest) for number, latest in rows.all()})
    return found


async def overdue(session: AsyncSession, team_id: int, now: datetime) -> list[Escalation]:
    """Open escalations past their resolution target, oldest first (one waiting on the customer since before its
    target is not: `bot.rules.sla_attainment`)."""
    query = (
        select(Escalation)
        .where(Escalation.team_id == team_id, Escalation.status != "resolved",
               Escalation.resolve_due < now)
        .order_by(Escalation.opened_at)
    )
    return [e for e in (await session.scalars(query)).all() if sla_of(e).resolution(now) == "missed"]


async def timeline(session: AsyncSession, escalation_id: int) -> list[EscalationEvent]:
    query = (select(EscalationEvent).where(EscalationEvent.escalation_id == escalation_id)
             .order_by(EscalationEvent.at, EscalationEvent.id))
    return list((await session.scalars(query)).all())


def sla_record(ack_due: datetime, acknowledged_at: datetime | None, resolve_due: datetime,
               resolved_at: datetime | None, paused_at: datetime | None) -> SlaRecord:
    """A row of (ack_due, acknowledged_at, resolve_due, resolved_at, paused_at) as attainment reads it: the
    columns every reader of SLA attainment fetches (`stats`, `storage.kpi_series`, `storage.kpi`)."""
    return SlaRecord(ack_due, acknowledged_at, resolve_due, resolved_at, paused_at)


SLA_COLUMNS = (Escalation.ack_due, Escalation.acknowledged_at, Escalation.resolve_due, Escalation.resolved_at,
               Escalation.paused_at)


def sla_of(escalation: Escalation) -> SlaRecord:
    return sla_record(*(getattr(escalation, column.key) for column in SLA_COLUMNS))


async def stats(session: AsyncSession, team_ids: Sequence[int], since: datetime,
                until: datetime) -> EscalationStats:
    """Counts, durations and SLA attainment of the escalations opened in [since, until): SLA attainment and the
    time to resolve as `bot.rules.sla_attainment` defines them (paused time not elapsed)."""
    window = (Escalation.team_id.in_(team_ids), Escalation.opened_at >= since,
              Escalation.opened_at < until, Escalation.merged_into.is_(None))  # a merged duplicate counts once

    async def grouped(column: Any) -> dict[str, int]:
        rows = await session.execute(
            select(column, func.count()).where(*window, column.is_not(None))
            .group_by(column).order_by(func.count().desc(), column)
        )
        return {str(key): int(count) for key, count in rows.all()}

    rows = (await session.execute(
        select(Escalation.opened_at, *SLA_COLUMNS, Escalation.pauses, Escalation.status).where(*window)
    )).all()
    resolved = await session.scalar(
        select(func.count()).where(Escalation.team_id.in_(team_ids), Escalation.resolved_at >= since,
                                   Escalation.resolved_at < until, Escalation.merged_into.is_(None))
    )
    by_path = (await session.execute(
        select(EscalationPath.name, func.count()).select_from(Escalation)
        .join(EscalationPath, Escalation.path_id == EscalationPath.id).where(*window)
        .group_by(EscalationPath.name).order_by(func.count().desc(), EscalationPath.name)
    )).all()
    customers = by_customer(await grouped(Escalation.customer))
    met = attainment([sla_record(*row[1:6]) for row in rows], until)
    return EscalationStats(
        since=since, until=until, opened=len(rows), resolved=int(resolved or 0),
        still_open=sum(row.status != "resolved" for row in rows),
        by_priority=await grouped(Escalation.priority),
        by_path={str(name): int(count) for name, count in by_path},
        by_customer=customers,
        by_root_cause=await grouped(Escalation.root_cause),
        time_to_ack=Durations.of([row.acknowledged_at - row.opened_at for row in rows if row.acknowledged_at]),
        time_to_resolve=Durations.of([time_to_resolve(row.opened_at, row.resolved_at, row.pauses)
                                      for row in rows if row.resolved_at]),
        ack_attainment=met.ack,
        resolve_attainment=met.resolve,
        repeat_customers=repeat_customers(customers),
    )
