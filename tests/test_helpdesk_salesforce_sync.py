"""The Salesforce Service Cloud sync against FakeSalesforce (tests/kit/fake_salesforce.py, built from Salesforce's
documented shapes), on SQLite and on PostgreSQL (TEST_DATABASE_URL): backfill over query batches, incremental
changes, a crash before the commit, token expiry, unreadable records, the API allocation, 429/503 and
REQUEST_LIMIT_EXCEEDED, orgs without Entitlements or surveys, and fields the import set that Salesforce does not
give."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.helpdesk import Page, SyncReport
from bot.rules.team_config import parse_teams
from bot.tickets_import import import_tickets
from handlers.helpdesk.sync import SyncOptions, check_source, sync_source
from storage import helpdesks, teams
from storage.db import SessionFactory, make_engine, session_factory
from storage.kpi_models import Ticket
from tests.conftest import Clock
from tests.kit.fake_salesforce import CLIENT_ID, CLIENT_SECRET, FakeSalesforce

NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CONFIG = """
helpdesks:
  - key: salesforce
    kind: salesforce
    url: {url}
    client_id: {client_id}
    client_secret_env: SF_SECRET
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: salesforce, match: {{queue: "Tier 1"}}}}
  - key: tier2
    name: Tier 2
    members: [U0AGENT2]
    managers: [U0MANAGER]
    helpdesk: {{source: salesforce, match: {{role: "Tier 2 Agent"}}}}
"""


@pytest.fixture(scope="module")
def fake_salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as server:
        yield server


class Org:
    """The fake org's queues and users: Tier 1 and Tier 3 queues, a Tier 2 agent."""

    def __init__(self, fake: FakeSalesforce) -> None:
        self.fake = fake
        self.tier1 = fake.add_queue("Tier 1")
        self.tier3 = fake.add_queue("Tier 3")
        self.agent = fake.add_user("Tier 2 Agent")


@pytest.fixture
def org(fake_salesforce: FakeSalesforce) -> Org:
    fake_salesforce.reset()
    return Org(fake_salesforce)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = make_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
async def db(engine: AsyncEngine, org: Org) -> SessionFactory:
    factory = session_factory(engine)
    async with factory() as session:
        await teams.apply(session, parse_teams(CONFIG.format(url=org.fake.url, client_id=CLIENT_ID)), now=NOW)
        await session.commit()
    return factory


class Sleeps:
    """The injected sleeper: records each wait, sleeps for none of it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0.005)


def options(sleeps: Sleeps | None = None, **extra: object) -> SyncOptions:
    return SyncOptions(environ={"SF_SECRET": CLIENT_SECRET}, sleep=sleeps or Sleeps(), **extra)  # type: ignore[arg-type]


async def sync(db: SessionFactory, clock: Clock, since: datetime | None = None, **extra: object) -> SyncReport:
    async with db() as session:
        state = await helpdesks.source(session, "salesforce")
    assert state is not None
    return await sync_source(db, state, clock=clock, options=options(**extra), since=since)  # type: ignore[arg-type]


async def stored(db: SessionFactory) -> dict[str, Ticket]:
    async with db() as session:
        rows = (await session.scalars(select(Ticket))).all()
    return {row.external_id: row for row in rows}


def fill(org: Org, count: int, *, first: int = 1) -> None:
    """Odd cases in the Tier 1 queue, even ones owned by the Tier 2 agent."""
    for number in range(first, first + count):
        org.fake.put(number, created=NOW - timedelta(days=3, minutes=number),
                     owner=org.tier1 if number % 2 else org.agent)


async def test_a_backfill_over_query_batches_stores_each_case_once_with_its_milestones_reopens_and_csat(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    org.fake.batch_size = 500
    fill(org, 2000)
    for number in range(2001, 2004):
        org.fake.put(number, created=NOW - timedelta(days=1), owner=org.tier3)
    created = NOW - timedelta(days=3, minutes=7)
    org.fake.put(7, created=created, owner=org.tier1, status="Closed", closed=NOW - timedelta(days=1),
                 origin="Phone")
    org.fake.milestone(7, "First Response", completed=created + timedelta(minutes=25))
    org.fake.milestone(7, "Resolution Time", violated=True)
    org.fake.status_change(7, "Closed", "Working", NOW - timedelta(days=2))
    org.fake.status_change(7, "Working", "Closed", NOW - timedelta(days=1))
    org.fake.survey(7, 5)
    org.fake.survey(9, 2)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 2000 and report.pages == 5, report.line()
    assert dict(report.unmatched) == {"queue=Tier 3": 3}
    found = await stored(db)
    assert len(found) == 2000 and "00002001" not in found
    seven = found["00000007"]
    assert (seven.status, seven.channel, seven.first_response_at, seven.sla_breached, seven.reopens,
            seven.csat_good) == ("closed", "phone", created + timedelta(minutes=25), True, 1, True)
    assert seven.solved_at == NOW - timedelta(days=1)
    assert found["00000009"].csat_good is False and found["00000011"].csat_good is None
    assert found["00000011"].reopens == 0 and found["00000011"].first_response_at is None
    async with db() as session:
        state = await helpdesks.source(session, "salesforce")
        by_team = dict((await session.execute(select(Ticket.team_id, func.count()).group_by(Ticket.team_id))).all())
    assert state is not None and state.last_success_at == NOW and state.unmatched == 3
    assert state.cursor is not None and state.cursor.endswith(",500000000000000007")
    assert sorted(by_team.values()) == [1000, 1000]
    first = org.fake.queries("Case")[0]
    assert "SystemModstamp >= 2026-10-03T14:00:00.000Z" in first and "ORDER BY SystemModstamp ASC, Id ASC" in first
    assert len(org.fake.queries("Case")) == 1  # the other batches came by nextRecordsUrl
    assert len(org.fake.queries("CaseStatus")) == 1 and len(org.fake.queries("User")) == 1  # cached


async def test_an_incremental_sync_asks_only_after_the_cursor_and_cases_changed_in_the_same_millisecond_are_kept(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    fill(org, 20)
    assert (await sync(db, clock)).imported == 20
    same = NOW - timedelta(minutes=1)
    org.fake.put(3, created=NOW - timedelta(days=3), owner=org.tier1, status="Closed", closed=NOW - timedelta(hours=1),
                 modstamp=same)
    org.fake.put(21, created=NOW - timedelta(hours=2), owner=org.agent, modstamp=same)
    clock.advance(minutes=5)
    report = await sync(db, clock)
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 0)
    query = org.fake.queries("Case")[-1]
    assert "(SystemModstamp > 2026-11-01T00:00:20.000Z OR (SystemModstamp = 2026-11-01T00:00:20.000Z AND " \
        "Id > '500000000000000020'))" in query
    found = await stored(db)
    assert found["00000003"].status == "closed" and len(found) == 21
    clock.advance(minutes=5)
    assert (await sync(db, clock)).synced == 0  # nothing new: the cursor is past both


async def test_a_crash_between_fetching_and_committing_fetches_that_batch_again_and_loses_or_doubles_nothing(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    org.fake.batch_size = 100
    fill(org, 250)
    pages: list[Page] = []

    def crash_on_second(page: Page) -> None:
        pages.append(page)
        if len(pages) == 2:
            raise RuntimeError("the process died here")

    first = await sync(db, clock, after_fetch=crash_on_second)
    assert first.error is not None and first.pages == 1 and len(await stored(db)) == 100
    async with db() as session:
        state = await helpdesks.source(session, "salesforce")
    assert state is not None and state.cursor == pages[0].cursor
    second = await sync(db, clock)
    assert second.error is None and second.imported == 150 and second.pages == 2
    assert pages[0].cursor.split(",")[1] in org.fake.queries("Case")[-1]  # asked again from the committed cursor
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 250


async def test_an_expired_session_gets_a_new_token_once_and_the_token_is_cached_between_syncs(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    fill(org, 5)
    await sync(db, clock)
    fill(org, 5, first=6)
    await sync(db, clock)
    assert org.fake.tokens_issued == 1
    org.fake.expire_tokens()  # the session timed out
    fill(org, 5, first=11)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 5 and org.fake.tokens_issued == 2
    api = [call for call in org.fake.requests if call.path.startswith("/services/data/")]
    assert api and all((call.authorization or "").startswith("Bearer 00DSF") for call in api)


async def test_a_case_that_does_not_read_is_reported_with_its_id_and_the_rest_is_synced(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    fill(org, 3)
    org.fake.put_raw({"attributes": {"type": "Case"}, "Id": "500000000000000901", "CaseNumber": "00000901",
                      "CreatedDate": "yesterday", "IsClosed": False, "Status": "New", "OwnerId": org.tier1})
    org.fake.put_raw({"attributes": {"type": "Case"}, "Id": "500000000000000902", "CaseNumber": "00000902",
                      "CreatedDate": "2026-11-01T10:00:00.000+0000", "IsClosed": True, "Status": "Closed",
                      "OwnerId": org.tier1})
    fill(org, 3, first=4)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 6
    assert [(problem.id, problem.reason) for problem in report.unparsed] == [
        ("00000901 (Id 500000000000000901)",
         "created_at: bad date 'yesterday' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)"),
        ("00000902 (Id 500000000000000902)", "closed with no ClosedDate")]
    assert "2 not read: ticket 00000901 (Id 500000000000000901): created_at: bad date" in report.line()


async def test_a_field_salesforce_does_not_give_keeps_what_the_import_set(
        db: SessionFactory, engine: AsyncEngine, org: Org, clock: Clock, tmp_path: Path) -> None:
    org.fake.absent |= {"CaseMilestone", "SurveySubject"}  # no Entitlements, no Feedback Management
    export = tmp_path / "tickets.csv"
    export.write_text("id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,"
                      "sla_breached\n00000042,tier1,2026-10-30T10:00:00Z,2026-10-30T10:20:00Z,,open,chat,good,0,4,"
                      "true\n", encoding="utf-8")
    assert await import_tickets(engine, export, team=None, now=NOW) == 0
    org.fake.put(42, created=datetime(2026, 10, 30, 10, tzinfo=UTC), owner=org.tier1, status="On Hold", origin=None)
    org.fake.status_change(42, "Closed", "On Hold", NOW - timedelta(hours=3))
    report = await sync(db, clock)
    assert report.error is None and report.updated == 1
    kept = (await stored(db))["00000042"]
    assert (kept.status, kept.reopens) == ("on_hold", 1)  # what Salesforce gave
    assert (kept.first_response_at, kept.csat_good, kept.agent_replies, kept.sla_breached, kept.channel) == (
        datetime(2026, 10, 30, 10, 20, tzinfo=UTC), True, 4, True, "chat")  # what it did not: kept


async def test_violations_of_cases_that_did_not_change_are_marked_from_the_milestones(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    fill(org, 4)
    await sync(db, clock)
    assert not (await stored(db))["00000003"].sla_breached
    org.fake.milestone(3, "First Response", violated=True)  # the case's own SystemModstamp does not move
    clock.advance(minutes=5)
    report = await sync(db, clock)
    assert report.error is None and report.synced == 0 and report.breaches == 1
    assert (await stored(db))["00000003"].sla_breached is True


async def test_the_api_allocation_stops_the_sync_above_90_percent_with_the_cursor_kept(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    org.fake.batch_size = 10
    fill(org, 30)
    org.fake.api_used, org.fake.api_limit = 13_494, 15_000  # the first batch's 6 calls reach 90%, the next passes it
    report = await sync(db, clock)
    assert report.error is not None and "API calls today" in report.error and "over the 90%" in report.error
    assert report.pages == 1 and report.imported == 10
    async with db() as session:
        state = await helpdesks.source(session, "salesforce")
    assert state is not None and state.last_error == report.error and state.cursor is not None
    org.fake.api_used = 100  # a new day
    clock.advance(minutes=5)
    assert (await sync(db, clock)).imported == 20


async def test_429_and_503_are_waited_out_and_request_limit_exceeded_stops_until_the_next_sync(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    fill(org, 5)
    org.fake.limit(429, retry_after=7)
    org.fake.limit(503, retry_after=3)
    sleeps = Sleeps()
    report = await sync(db, clock, sleeps=sleeps)
    assert report.error is None and report.imported == 5 and sleeps.waits == [7, 3]
    fill(org, 5, first=6)
    org.fake.limit(403)
    clock.advance(minutes=5)
    stopped = await sync(db, clock)
    assert stopped.error is not None and "REQUEST_LIMIT_EXCEEDED" in stopped.error and stopped.imported == 0
    assert (await sync(db, clock)).imported == 5  # the next sync goes on from the same cursor


async def test_check_says_what_the_org_lacks_its_api_usage_and_what_is_wrong_in_one_line(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    org.fake.absent.add("CaseMilestone")
    async with db() as session:
        state = await helpdesks.source(session, "salesforce")
    assert state is not None
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert not ok and line.startswith("salesforce: credentials OK; queue 'Tier 3' matches no team; API usage ")
    assert "no Entitlements (CaseMilestone is not available)" in line
    ok, line = await check_source(db, state, clock=clock, options=SyncOptions(environ={"SF_SECRET": "wrong"},
                                                                              sleep=Sleeps()))
    assert not ok and line.startswith("salesforce: the connected app was refused (400 invalid_client)")
    assert "wrong" not in line


async def test_a_case_whose_owner_has_no_role_is_counted_unmatched_and_the_user_is_asked_for_once(
        db: SessionFactory, org: Org, clock: Clock) -> None:
    org.fake.batch_size = 2
    loner = org.fake.add_user(None)
    for number in range(1, 5):
        org.fake.put(number, created=NOW - timedelta(days=1), owner=loner if number % 2 else org.agent)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 2 and report.pages == 2
    assert dict(report.unmatched) == {"unassigned": 2}
    assert len(org.fake.queries("User")) == 1
