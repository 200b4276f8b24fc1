"""Helpdesk sources (DESIGN.md 3.3): their configuration, sync state, lease and cached OAuth token.

The `helpdesks:` list of the teams YAML is stored one row per source, its validated configuration as JSON
(credentials are only named there: environment variables or files), beside the state of its sync. Nothing
here commits: the sync commits each page's tickets with the cursor that follows them, so a crash between
fetching and committing fetches the same page again. One sync per source at a time, on any number of
replicas: a lease taken by an atomic `UPDATE … WHERE` the lease is free or expired (PostgreSQL's row lock
makes a second `UPDATE` wait and then find the lease taken; SQLite has one writer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.ticket_rows import TicketRow
from storage import tickets
from storage.helpdesk_models import HelpdeskSource
from storage.kpi_models import Ticket


@dataclass(frozen=True)
class SourceState:
    config: HelpdeskConfig
    active: bool
    cursor: str | None
    events_cursor: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_report: str | None
    tickets_synced: int
    unmatched: int

    @property
    def key(self) -> str:
        return self.config.key


@dataclass(frozen=True)
class TeamBatch:
    """Tickets of one team that provide the same columns: written with `upsert(columns=...)`."""

    team: str
    columns: frozenset[str]
    rows: Sequence[TicketRow]


async def apply(session: AsyncSession, configs: Sequence[HelpdeskConfig], *, now: datetime) -> list[str]:
    """Insert or update each source's configuration (its state is kept); one line per change. A source the
    list leaves out is kept as it is (`enabled: false` stops one)."""
    stored = {row.key: row for row in (await session.scalars(select(HelpdeskSource))).all()}
    lines = []
    for config in configs:
        wanted = config.model_dump(mode="json", exclude_none=True)
        row = stored.get(config.key)
        if row is None:
            session.add(HelpdeskSource(key=config.key, kind=config.kind, config=wanted, active=config.enabled,
                                       updated_at=now, tickets_synced=0, unmatched=0))
            lines.append(f"helpdesk {config.key}: added")
        elif row.config != wanted or row.kind != config.kind or row.active != config.enabled:
            row.config, row.kind, row.active, row.updated_at = wanted, config.kind, config.enabled, now
            lines.append(f"helpdesk {config.key}: updated")
    return lines


async def sources(session: AsyncSession) -> list[SourceState]:
    rows = (await session.scalars(select(HelpdeskSource).order_by(HelpdeskSource.key))).all()
    return [SourceState(config=HelpdeskConfig.model_validate(row.config), active=row.active, cursor=row.cursor,
                        events_cursor=row.events_cursor, last_attempt_at=row.last_attempt_at,
                        last_success_at=row.last_success_at, last_error=row.last_error, last_report=row.last_report,
                        tickets_synced=row.tickets_synced, unmatched=row.unmatched) for row in rows]


async def source(session: AsyncSession, key: str) -> SourceState | None:
    return next((found for found in await sources(session) if found.key == key), None)


async def claim(session: AsyncSession, key: str, *, owner: str, now: datetime, until: datetime) -> bool:
    """Take the source's sync lease for `owner` until `until`: True when it was free or expired (or already
    `owner`'s). The caller commits at once."""
    table = HelpdeskSource
    taken = await session.execute(
        update(table).where(table.key == key, table.active.is_(True))
        .where((table.lease_until.is_(None)) | (table.lease_until < now) | (table.lease_owner == owner))
        .values(lease_owner=owner, lease_until=until, last_attempt_at=now))
    return bool(getattr(taken, "rowcount", 0))


async def commit_page(session: AsyncSession, key: str, *, owner: str, kind: str, batches: Sequence[TeamBatch],
                      team_ids: Mapping[str, int], cursor: str, until: datetime, now: datetime
                      ) -> tickets.UpsertCount | None:
    """Write one page: its tickets, and the cursor after them, in the caller's transaction (which commits once).
    None, having written nothing, when `owner` no longer holds the lease (it expired and another sync took it):
    the caller rolls back. A ticket that moved to another of the source's teams leaves its old team."""
    count = tickets.UpsertCount()
    written = sum(len(batch.rows) for batch in batches)
    moved = await session.execute(
        update(HelpdeskSource).where(HelpdeskSource.key == key, HelpdeskSource.lease_owner == owner)
        .values(cursor=cursor, lease_until=until, tickets_synced=HelpdeskSource.tickets_synced + written))
    if not getattr(moved, "rowcount", 0):
        return None
    ours = set(team_ids.values())
    for batch in batches:
        team_id = team_ids[batch.team]
        ids = [row.id for row in batch.rows]
        for start in range(0, len(ids), tickets.BATCH):
            await session.execute(delete(Ticket).where(
                Ticket.source == kind, Ticket.external_id.in_(ids[start:start + tickets.BATCH]),
                Ticket.team_id.in_(ours - {team_id})))
        count.add(await tickets.upsert(session, batch.rows, teams=team_ids, source=kind, now=now,
                                       columns=[*sorted(batch.columns), "source"]))
    return count


async def mark_breached(session: AsyncSession, *, kind: str, team_ids: Sequence[int], ids: Sequence[str],
                        now: datetime) -> int:
    """Set `sla_breached` on the stored tickets of these teams with these ids (the caller commits)."""
    marked = 0
    for start in range(0, len(ids), tickets.BATCH):
        done = await session.execute(
            update(Ticket).where(Ticket.team_id.in_(team_ids), Ticket.external_id.in_(ids[start:start + tickets.BATCH]),
                                 Ticket.sla_breached.is_(False))
            .values(sla_breached=True, updated_at=now, source=kind))
        marked += getattr(done, "rowcount", 0) or 0
    return marked


async def mark_csat(session: AsyncSession, *, kind: str, team_ids: Sequence[int], ratings: Mapping[str, bool | None],
                    now: datetime) -> int:
    """Set `csat_good` on the stored tickets of these teams with these ids, where it differs (the caller
    commits); how many changed."""
    marked = 0
    for value in (True, False, None):
        ids = sorted(ident for ident, good in ratings.items() if good is value)
        for start in range(0, len(ids), tickets.BATCH):
            chunk = ids[start:start + tickets.BATCH]
            done = await session.execute(
                update(Ticket).where(Ticket.team_id.in_(team_ids), Ticket.external_id.in_(chunk),
                                     Ticket.csat_good.is_distinct_from(value))
                .values(csat_good=value, updated_at=now, source=kind))
            marked += getattr(done, "rowcount", 0) or 0
    return marked


async def mark_assignees(session: AsyncSession, *, team_ids: Sequence[int], assignees: Mapping[str, str | None],
                         now: datetime) -> int:
    """Set `assignee_email` on the stored tickets of these teams with these ids, where it differs (the caller
    commits); how many changed."""
    marked = 0
    by_email: dict[str | None, list[str]] = {}
    for ident, email in sorted(assignees.items()):
        by_email.setdefault(email, []).append(ident)
    for email, ids in by_email.items():  # one statement per assignee (and chunk), not per ticket
        for start in range(0, len(ids), tickets.BATCH):
            chunk = ids[start:start + tickets.BATCH]
            done = await session.execute(
                update(Ticket).where(Ticket.team_id.in_(team_ids), Ticket.external_id.in_(chunk),
                                     Ticket.assignee_email.is_distinct_from(email)).values(assignee_email=email))
            marked += getattr(done, "rowcount", 0) or 0
    return marked


async def mark_replies(session: AsyncSession, *, team_ids: Sequence[int], replies: Mapping[str, datetime]) -> None:
    """Set `customer_replied_at` on the stored tickets of these teams with these ids, where the reply is later than
    the one stored (one statement, executed for many; the caller commits)."""
    if not replies or not team_ids:
        return
    table = cast(Table, Ticket.__table__)
    column = table.c.customer_replied_at
    at = bindparam("at", type_=column.type)
    statement = (table.update().where(table.c.team_id == bindparam("team"), table.c.external_id == bindparam("ident"),
                                      or_(column.is_(None), column < at))
                 .values(customer_replied_at=at))
    await session.execute(statement, [{"team": team, "ident": ident, "at": when} for team in sorted(set(team_ids))
                                      for ident, when in sorted(replies.items())])


async def mark_aliases(session: AsyncSession, *, team_ids: Sequence[int], aliases: Mapping[str, str]) -> None:
    """Set `helpdesk_id` (the id a link may name) on the stored tickets of these teams with these ids, where it
    differs (one statement, executed for many; the caller commits)."""
    if not aliases or not team_ids:
        return
    table = cast(Table, Ticket.__table__)
    column = table.c.helpdesk_id
    alias = bindparam("alias", type_=column.type)
    statement = (table.update().where(table.c.team_id == bindparam("team"), table.c.external_id == bindparam("ident"),
                                      column.is_distinct_from(alias))
                 .values(helpdesk_id=alias))
    await session.execute(statement, [{"team": team, "ident": ident, "alias": other}
                                      for team in sorted(set(team_ids)) for ident, other in sorted(aliases.items())])


async def save_events_cursor(session: AsyncSession, key: str, *, owner: str, cursor: str) -> bool:
    done = await session.execute(update(HelpdeskSource).where(HelpdeskSource.key == key,
                                                              HelpdeskSource.lease_owner == owner)
                                 .values(events_cursor=cursor))
    return bool(getattr(done, "rowcount", 0))


async def finish(session: AsyncSession, key: str, *, owner: str, now: datetime, error: str | None, report: str,
                 unmatched: int) -> None:
    """The sync is over: record how it went and free the lease (only if still `owner`'s)."""
    values: dict[str, object] = {"last_report": report, "last_error": error, "lease_owner": None,
                                 "lease_until": None}
    if error is None:
        values.update(last_success_at=now, unmatched=unmatched)
    await session.execute(update(HelpdeskSource).where(HelpdeskSource.key == key,
                                                       HelpdeskSource.lease_owner == owner).values(**values))


async def token(session: AsyncSession, key: str) -> tuple[str | None, datetime | None]:
    """The cached access token and when it expires (None: no expiry was given)."""
    found = (await session.execute(select(HelpdeskSource.access_token, HelpdeskSource.token_expires_at)
                                   .where(HelpdeskSource.key == key))).first()
    return (None, None) if found is None else (found[0], found[1])


async def claim_token(session: AsyncSession, key: str, *, seen: str | None, now: datetime, until: datetime) -> bool:
    """Take the right to ask for a new token until `until`, if the cached token is still `seen` (a token stored
    since then is the one to use) and no other claim is live. The caller commits at once."""
    table = HelpdeskSource
    same = table.access_token.is_(None) if seen is None else table.access_token == seen
    taken = await session.execute(update(table).where(table.key == key, same).where(
        (table.token_claim_until.is_(None)) | (table.token_claim_until < now)).values(token_claim_until=until))
    return bool(getattr(taken, "rowcount", 0))


async def store_token(session: AsyncSession, key: str, *, access_token: str | None,
                      expires_at: datetime | None) -> None:
    """Cache the new token and free the claim (with no token: only free the claim, the old one is kept)."""
    values: dict[str, object] = {"token_claim_until": None}
    if access_token is not None:
        values.update(access_token=access_token, token_expires_at=expires_at)
    await session.execute(update(HelpdeskSource).where(HelpdeskSource.key == key).values(**values))
