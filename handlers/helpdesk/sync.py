"""Syncing helpdesk sources: `helpdesk-sync` (each source when it is due), `supportbot helpdesk sync` and
`supportbot helpdesk check`.

A sync takes the source's lease, then fetches page after page from its cursor; each page's tickets are routed
to the teams whose `helpdesk.match` they fit and committed in one transaction with the cursor that follows
them (so a crash fetches that page again; upserts make it harmless). A ticket that fits no team is counted
and reported by its group or brand, never stored under a guess. A record that does not parse is reported with
its id and the rest of the page is synced. Then the SLA breaches the helpdesk recorded since the last sync
(Zendesk's metric events, Salesforce's violated case milestones) or the satisfaction ratings Freshdesk
recorded are marked on the stored tickets. Each page also records when each ticket's customer last replied
(where the helpdesk says it); after the pages, each escalation waiting on the customer whose linked ticket holds a
later reply resumes (`handlers.escalations.replies`)."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from bot.rules.helpdesk import Connector, HelpdeskError, Page, SyncReport, label_text, team_for, unmatched_labels
from bot.rules.helpdesk_config import HelpdeskConfig, TeamHelpdesk
from bot.rules.ticket_rows import instant
from handlers.escalations import replies
from handlers.helpdesk.freshdesk import FreshdeskConnector, read_api_key
from handlers.helpdesk.intercom import IntercomConnector, read_access_token
from handlers.helpdesk.salesforce import SalesforceConnector
from handlers.helpdesk.tokens import StoredTokens
from handlers.helpdesk.zendesk import Sleeper, ZendeskConnector, read_credentials
from storage import directory, helpdesks
from storage.db import SessionFactory
from storage.helpdesks import SourceState, TeamBatch

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
"""How long a sync holds its source without committing a page before another replica may take it over."""
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
Mappings = list[tuple[str, TeamHelpdesk | None]]
Breaches = ZendeskConnector | SalesforceConnector
"""The connectors that report SLA breaches apart from the tickets."""


def owner_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SyncOptions:
    environ: Mapping[str, str]
    sleep: Sleeper
    owner: str = field(default_factory=owner_id)
    lease: timedelta = LEASE
    after_fetch: Callable[[Page], None] | None = None
    """Called with each page before it is committed (tests make a crash there)."""
    progress: Callable[[SyncReport], None] | None = None
    """Told the report so far after each committed page (the CLI's progress)."""
    on_commit: Callable[[], None] | None = None
    """Called after a resumed escalation's messages are committed (the job wakes the outbox's dispatcher)."""


Build = Callable[[HelpdeskConfig, SessionFactory, httpx.AsyncClient, Callable[[], datetime], "SyncOptions"],
                 Connector]
CONNECTORS: dict[str, Build] = {
    "zendesk": lambda config, db, http, clock, options: ZendeskConnector(
        config, read_credentials(config, options.environ),
        StoredTokens(db, config.key, clock=clock, sleep=options.sleep), http, sleep=options.sleep),
    "freshdesk": lambda config, db, http, clock, options: FreshdeskConnector(
        config, read_api_key(config, options.environ), http, sleep=options.sleep, clock=clock),
    "intercom": lambda config, db, http, clock, options: IntercomConnector(
        config, read_access_token(config, options.environ), http, sleep=options.sleep, clock=clock),
    "salesforce": lambda config, db, http, clock, options: SalesforceConnector(
        config, read_credentials(config, options.environ),
        StoredTokens(db, config.key, clock=clock, sleep=options.sleep), http, sleep=options.sleep),
}
"""Each kind's connector, built from its configuration (credentials read from the environment or files)."""


def connector(config: HelpdeskConfig, db: SessionFactory, http: httpx.AsyncClient, *,
              clock: Callable[[], datetime], options: SyncOptions) -> Connector:
    """The source's connector, by its kind (the configuration refuses the kinds with none)."""
    build = CONNECTORS.get(config.kind)
    if build is None:
        raise HelpdeskError(f"kind {config.kind} is not supported yet")
    return build(config, db, http, clock, options)


async def _teams(db: SessionFactory) -> tuple[Mappings, dict[str, int]]:
    async with db() as session:
        found = await directory.load(session)
    return [(team.key, team.config.helpdesk) for team in found.teams], {team.key: team.id for team in found.teams}


async def sync_due(db: SessionFactory, *, clock: Callable[[], datetime], options: SyncOptions) -> list[SyncReport]:
    """Every enabled source whose last attempt is `sync_every_minutes` old (or that never ran)."""
    async with db() as session:
        states = await helpdesks.sources(session)
    now, reports = clock(), []
    for state in states:
        due = state.last_attempt_at is None or \
            state.last_attempt_at + timedelta(minutes=state.config.sync_every_minutes) <= now
        if state.active and due:
            reports.append(await sync_source(db, state, clock=clock, options=options))
    return reports


async def sync_source(db: SessionFactory, state: SourceState, *, clock: Callable[[], datetime],
                      options: SyncOptions, since: datetime | None = None) -> SyncReport:
    """One sync of one source: from its cursor, or from `since` (a backfill; the cursor is then the one after
    it). Every error is in the report (and the stored state), none raised."""
    report, key, owner = SyncReport(source=state.key), state.key, options.owner
    now = clock()
    async with db() as session:
        won = await helpdesks.claim(session, key, owner=owner, now=now, until=now + options.lease)
        await session.commit()
    if not won:
        report.busy = True
        return report
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            source = connector(state.config, db, http, clock=clock, options=options)
            mappings, ids = await _teams(db)
            team_ids = {team: ids[team] for team, mapping in mappings if mapping is not None and mapping.source == key}
            start = since or now - timedelta(days=state.config.backfill_days)
            await _tickets(db, source, state, report, mappings, team_ids, start=start,
                           cursor=None if since is not None else state.cursor, clock=clock, options=options)
            events = None if since is not None else state.events_cursor
            if report.error is None and isinstance(source, (ZendeskConnector, SalesforceConnector)):
                await _breaches(db, source, state, report, team_ids, int(events) if events else int(start.timestamp()),
                                clock=clock, options=options)
            if report.error is None and isinstance(source, FreshdeskConnector):
                await _ratings(db, source, state, report, team_ids, (instant(events) if events else None) or start,
                               clock=clock, options=options)
        if report.pages and team_ids:  # a customer's reply in a linked ticket ends a wait on the customer
            report.resumed = await _resume_replied(db, clock=clock, options=options)
    except HelpdeskError as error:
        report.error = str(error)
    except Exception as error:  # one source's failure must not stop the job's other sources
        log.exception("helpdesk %s: the sync failed", key)
        report.error = f"{error.__class__.__name__} (see the log)"
    finally:
        async with db() as session:
            await helpdesks.finish(session, key, owner=owner, now=clock(), error=report.error, report=report.line(),
                                   unmatched=sum(report.unmatched.values()))
            await session.commit()
    (log.warning if report.error or report.unparsed or report.unmatched else log.info)("%s", report.line())
    return report


async def _tickets(db: SessionFactory, source: Connector, state: SourceState, report: SyncReport,
                   mappings: Mappings, team_ids: dict[str, int], *, start: datetime, cursor: str | None,
                   clock: Callable[[], datetime], options: SyncOptions) -> None:
    while True:
        page = await source.fetch(cursor, start)
        if options.after_fetch is not None:
            options.after_fetch(page)
        batches: dict[tuple[str, frozenset[str]], list] = {}
        for fetched in page.tickets:
            team = team_for(fetched.labels, state.key, mappings)
            if team is None:
                report.unmatched[label_text(fetched.labels)] += 1
                continue
            batches.setdefault((team, fetched.fields), []).append(fetched.row.model_copy(update={"team": team}))
        now = clock()
        async with db() as session:
            count = await helpdesks.commit_page(
                session, state.key, owner=options.owner, kind=state.config.kind, team_ids=team_ids, cursor=page.cursor,
                batches=[TeamBatch(team, columns, rows) for (team, columns), rows in batches.items()],
                until=now + options.lease, now=now)
            if count is None:
                await session.rollback()
                report.error = "another sync took this source over (this one held it too long): stopped"
                return
            if page.assignees and team_ids:
                await helpdesks.mark_assignees(session, team_ids=list(team_ids.values()), assignees=page.assignees,
                                               now=now)
            if page.replies and team_ids:  # when each ticket's customer last replied
                await helpdesks.mark_replies(session, team_ids=list(team_ids.values()), replies=page.replies)
            if page.aliases and team_ids:  # the id a link may name (a Salesforce case's Id)
                await helpdesks.mark_aliases(session, team_ids=list(team_ids.values()), aliases=page.aliases)
            await session.commit()
        report.imported += count.imported
        report.updated += count.updated
        report.unchanged += count.unchanged
        report.pages += 1
        report.unparsed.extend(page.unparsed)
        report.skipped += page.skipped
        cursor = page.cursor
        if options.progress is not None:
            options.progress(report)
        if page.done:
            return


async def _resume_replied(db: SessionFactory, *, clock: Callable[[], datetime], options: SyncOptions) -> int:
    """After the tickets are committed: each paused escalation whose linked ticket's customer replied since the
    pause resumes (`handlers.escalations.replies`), each in a unit of work of its own."""
    async with db() as session:
        found = await directory.load(session)
    return await replies.resume_replied(db, found, clock(), on_commit=options.on_commit)


async def _breaches(db: SessionFactory, source: Breaches, state: SourceState, report: SyncReport,
                    team_ids: dict[str, int], start: int, *, clock: Callable[[], datetime],
                    options: SyncOptions) -> None:
    for _page in range(10_000):
        breached, end, done = await source.breaches(start)
        async with db() as session:
            if breached and team_ids:
                report.breaches += await helpdesks.mark_breached(session, kind=state.config.kind,
                                                                 team_ids=list(team_ids.values()),
                                                                 ids=sorted(breached), now=clock())
            if end is not None:
                await helpdesks.save_events_cursor(session, state.key, owner=options.owner, cursor=str(end))
            await session.commit()
        if done or end is None or end <= start:
            return
        start = end


async def _ratings(db: SessionFactory, source: FreshdeskConnector, state: SourceState, report: SyncReport,
                   team_ids: dict[str, int], start: datetime, *, clock: Callable[[], datetime],
                   options: SyncOptions) -> None:
    """Freshdesk's satisfaction ratings created since the last sync, written on the stored tickets."""
    ratings, latest, unread = await source.ratings(start)
    report.unparsed.extend(unread)
    async with db() as session:
        if ratings and team_ids:
            report.ratings += await helpdesks.mark_csat(session, kind=state.config.kind,
                                                        team_ids=list(team_ids.values()), ratings=ratings, now=clock())
        await helpdesks.save_events_cursor(session, state.key, owner=options.owner,
                                           cursor=(latest or start).isoformat())
        await session.commit()


async def check_source(db: SessionFactory, state: SourceState, *, clock: Callable[[], datetime],
                       options: SyncOptions) -> tuple[bool, str]:
    """One line for `helpdesk check`: whether the credentials work and which groups or brands match no team."""
    if not state.active:
        return True, f"{state.key}: disabled (enabled: false)"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            source = connector(state.config, db, http, clock=clock, options=options)
            await source.check()
            names = await source.labels()
    except HelpdeskError as error:
        return False, f"{state.key}: {error}"
    mappings, _ids = await _teams(db)
    teams = sorted(team for team, mapping in mappings if mapping is not None and mapping.source == state.key)
    if not teams:
        return False, f"{state.key}: credentials OK; no team names this source (helpdesk: {{source: {state.key}}})"
    missing = unmatched_labels(names, state.key, mappings)
    problems = [f"{kind} {value!r} matches no team" for kind, values in missing.items() for value in values]
    unknown = [f"team {team} matches {kind} {value!r}, which {state.config.kind} does not have"
               for team, mapping in mappings if mapping is not None and mapping.source == state.key
               for kind, value in mapping.match.labels().items() if value not in names.get(kind, ())]
    notes = source.notes() if isinstance(source, SalesforceConnector) else []
    if unknown or problems:
        return False, f"{state.key}: credentials OK; " + "; ".join([*unknown, *problems, *notes])
    kinds = sorted({kind for _team, mapping in mappings if mapping is not None and mapping.source == state.key
                    for kind in mapping.match.labels()})
    return True, f"{state.key}: credentials OK; every {' and '.join(kinds)} matches a team ({', '.join(teams)})" + \
        "".join(f"; {note}" for note in notes)


def summary(reports: Sequence[SyncReport]) -> int:
    return sum(report.synced for report in reports)
