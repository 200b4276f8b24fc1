"""The Zendesk sync against FakeZendesk (tests/kit/fake_zendesk.py, built from Zendesk's documented shapes), on
SQLite and on PostgreSQL (TEST_DATABASE_URL): backfill over pages, incremental changes, a crash before the commit,
two syncs at once, token expiry and refresh, unreadable records, 429, and fields the import set that Zendesk
does not give."""

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
from handlers.helpdesk.sync import SyncOptions, check_source, sync_due, sync_source
from handlers.helpdesk.tokens import StoredTokens
from handlers.helpdesk.zendesk import ZendeskConnector, read_credentials
from storage import helpdesks, teams
from storage.db import SessionFactory, make_engine, session_factory
from storage.kpi_models import Ticket
from tests.conftest import Clock
from tests.kit.fake_zendesk import CLIENT_ID, CLIENT_SECRET, FakeZendesk

EXPORT = "/api/v2/incremental/tickets/cursor.json"
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CONFIG = """
helpdesks:
  - key: zendesk
    kind: zendesk
    url: {url}
    client_id: {client_id}
    client_secret_env: ZD_SECRET
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: zendesk, match: {{group: "Tier 1"}}}}
  - key: tier2
    name: Tier 2
    members: [U0AGENT2]
    managers: [U0MANAGER]
    helpdesk: {{source: zendesk, match: {{group: "Tier 2"}}}}
"""


@pytest.fixture(scope="module")
def fake_zendesk() -> Iterator[FakeZendesk]:
    with FakeZendesk() as server:
        yield server


@pytest.fixture
def zendesk(fake_zendesk: FakeZendesk) -> FakeZendesk:
    fake_zendesk.reset()
    fake_zendesk.add_group(11, "Tier 1")
    fake_zendesk.add_group(12, "Tier 2")
    fake_zendesk.add_group(13, "Tier 3")
    return fake_zendesk


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = make_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
async def db(engine: AsyncEngine, zendesk: FakeZendesk) -> SessionFactory:
    factory = session_factory(engine)
    async with factory() as session:
        await teams.apply(session, parse_teams(CONFIG.format(url=zendesk.url, client_id=CLIENT_ID)), now=NOW)
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
    return SyncOptions(environ={"ZD_SECRET": CLIENT_SECRET}, sleep=sleeps or Sleeps(), **extra)  # type: ignore[arg-type]


async def sync(db: SessionFactory, clock: Clock, since: datetime | None = None, **extra: object) -> SyncReport:
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
    assert state is not None
    return await sync_source(db, state, clock=clock, options=options(**extra), since=since)  # type: ignore[arg-type]


async def stored(db: SessionFactory) -> dict[str, Ticket]:
    async with db() as session:
        rows = (await session.scalars(select(Ticket))).all()
    return {row.external_id: row for row in rows}


def fill(zendesk: FakeZendesk, count: int, *, first: int = 1, group: int = 11) -> None:
    for number in range(first, first + count):
        zendesk.put(number, created=NOW - timedelta(days=3, minutes=number), group_id=group if number % 2 else 12,
                    reply_minutes=30, score="good" if number % 3 else "bad")


async def test_a_backfill_of_thousands_of_tickets_over_pages_stores_each_once_and_reports_the_unmatched(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    zendesk.page_size = 500
    fill(zendesk, 3000)
    for number in range(3001, 3006):
        zendesk.put(number, created=NOW - timedelta(days=1), group_id=13)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 3000 and report.pages == 7
    assert dict(report.unmatched) == {"group=Tier 3": 5}
    assert "5 matched no team: group=Tier 3 (5)" in report.line()
    found = await stored(db)
    assert len(found) == 3000 and "3001" not in found
    assert found["7"].first_response_at == found["7"].created_at + timedelta(minutes=30)
    assert found["3"].csat_good is False and found["4"].csat_good is True
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
        by_team = dict((await session.execute(select(Ticket.team_id, func.count()).group_by(Ticket.team_id))).all())
    assert state is not None and state.cursor and state.last_success_at == NOW and state.unmatched == 5
    assert sorted(by_team.values()) == [1500, 1500]
    assert zendesk.calls(EXPORT)[0].query["start_time"] == str(int((NOW - timedelta(days=30)).timestamp()))
    assert zendesk.calls(EXPORT)[0].query["include"] == "metric_sets,users"


async def test_an_incremental_sync_fetches_only_what_changed_since_the_cursor(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    fill(zendesk, 50)
    assert (await sync(db, clock)).imported == 50
    zendesk.put(7, created=NOW - timedelta(days=3), group_id=11, status="solved", solved=NOW - timedelta(hours=1))
    zendesk.put(51, created=NOW - timedelta(hours=2), group_id=12)
    before = len(zendesk.calls(EXPORT))
    clock.advance(minutes=5)
    report = await sync(db, clock)
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 0)
    calls = zendesk.calls(EXPORT)[before:]
    assert len(calls) == 1 and "cursor" in calls[0].query and "start_time" not in calls[0].query
    found = await stored(db)
    assert found["7"].status == "solved" and found["7"].solved_at == NOW - timedelta(hours=1) and len(found) == 51


async def test_a_crash_between_fetching_and_committing_fetches_that_page_again_and_loses_or_doubles_nothing(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    zendesk.page_size = 100
    fill(zendesk, 250)
    pages: list[Page] = []

    def crash_on_second(page: Page) -> None:
        pages.append(page)
        if len(pages) == 2:
            raise RuntimeError("the process died here")

    first = await sync(db, clock, after_fetch=crash_on_second)
    assert first.error is not None and first.pages == 1 and len(await stored(db)) == 100
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
    assert state is not None and state.cursor == pages[0].cursor
    second = await sync(db, clock)
    assert second.error is None and second.imported == 150 and second.pages == 2
    assert zendesk.calls(EXPORT)[-2].query["cursor"] == pages[0].cursor  # the page that was lost, again
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 250


async def test_two_syncs_at_once_one_wins_and_a_dead_syncs_lease_is_taken_over_when_it_expires(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    zendesk.page_size = 100
    fill(zendesk, 300)
    one, two = await asyncio.gather(sync(db, clock, owner="replica-a"), sync(db, clock, owner="replica-b"))
    assert sorted([one.busy, two.busy]) == [False, True]
    winner = two if one.busy else one
    assert winner.imported == 300 and "another sync of this source is running" in (one if one.busy else two).line()
    assert len(await stored(db)) == 300
    async with db() as session:  # a replica that died holding the lease
        until = clock() + timedelta(minutes=10)
        assert await helpdesks.claim(session, "zendesk", owner="dead", now=clock(), until=until)
        await session.commit()
    assert (await sync(db, clock, owner="replica-a")).busy
    clock.advance(minutes=11)
    assert not (await sync(db, clock, owner="replica-a")).busy


async def test_the_token_is_cached_refreshed_once_on_401_and_two_refreshes_at_once_ask_zendesk_once(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    fill(zendesk, 10)
    await sync(db, clock)
    assert zendesk.tokens_issued == 1
    fill(zendesk, 10, first=11)
    await sync(db, clock)
    assert zendesk.tokens_issued == 1  # cached in the database
    zendesk.expire_tokens()  # Zendesk revoked it, or it ran out
    fill(zendesk, 10, first=21)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 10 and zendesk.tokens_issued == 2
    assert all((call.authorization or "").startswith("Bearer zdtoken-") for call in zendesk.calls(EXPORT))

    zendesk.token_delay = 0.2
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
        stale, _expiry = await helpdesks.token(session, "zendesk")
    assert state is not None

    async def renew() -> str:
        import httpx

        async with httpx.AsyncClient() as http:
            tokens = StoredTokens(db, "zendesk", clock=clock, sleep=Sleeps())
            source = ZendeskConnector(state.config, read_credentials(state.config, {"ZD_SECRET": CLIENT_SECRET}),
                                      tokens, http, sleep=Sleeps())
            return await tokens.renew(stale, source._issue)

    first, second = await asyncio.gather(renew(), renew())
    assert first == second != stale and zendesk.tokens_issued == 3


async def test_an_expired_token_is_renewed_before_it_is_used(db: SessionFactory, zendesk: FakeZendesk,
                                                             clock: Clock) -> None:
    zendesk.expires_in = 3600
    fill(zendesk, 3)
    await sync(db, clock)
    clock.advance(minutes=59, seconds=30)  # within a minute of its expiry
    await sync(db, clock)
    assert zendesk.tokens_issued == 2
    assert len([call for call in zendesk.requests if call.authorization and call.path == EXPORT]) == 2


async def test_a_record_that_does_not_parse_is_reported_with_its_id_and_the_rest_is_synced(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    fill(zendesk, 5)
    zendesk.put_raw({"id": 901, "created_at": "yesterday", "status": "open", "group_id": 11})
    zendesk.put_raw({"id": 902, "created_at": "2026-11-01T10:00:00Z", "status": "escalated", "group_id": 11})
    fill(zendesk, 5, first=6)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 10
    assert [(problem.id, problem.reason) for problem in report.unparsed] == [
        ("901", "created_at: bad date 'yesterday' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)"),
        ("902", "unknown status 'escalated'")]
    assert "2 not read: ticket 901: created_at: bad date" in report.line()


async def test_a_429_is_waited_out_for_its_retry_after_and_one_too_long_stops_with_the_cursor_kept(
        db: SessionFactory, zendesk: FakeZendesk, clock: Clock) -> None:
    fill(zendesk, 5)
    zendesk.rate_limit(2, retry_after=7)
    sleeps = Sleeps()
    report = await sync(db, clock, sleeps=sleeps)
    assert report.error is None and report.imported == 5 and sleeps.waits == [7, 7]
    fill(zendesk, 5, first=6)
    zendesk.rate_limit(1, retry_after=3600)
    clock.advance(minutes=5)
    stopped = await sync(db, clock)
    assert stopped.error is not None and "rate limited" in stopped.error and stopped.imported == 0
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
    assert state is not None and state.last_error == stopped.error and state.last_success_at == NOW
    assert (await sync(db, clock)).imported == 5  # the next sync goes on from the same cursor


async def test_a_field_zendesk_does_not_give_keeps_what_the_import_set_and_breaches_are_marked(
        db: SessionFactory, engine: AsyncEngine, zendesk: FakeZendesk, clock: Clock, tmp_path: Path) -> None:
    export = tmp_path / "tickets.csv"
    export.write_text("id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,"
                      "sla_breached\n42,tier1,2026-10-30T10:00:00Z,2026-10-30T10:20:00Z,,open,chat,good,1,4,true\n",
                      encoding="utf-8")
    assert await import_tickets(engine, export, team=None, now=NOW) == 0
    zendesk.put(42, created=datetime(2026, 10, 30, 10, tzinfo=UTC), group_id=11, status="pending", metrics=False,
                rating=False, channel=None)
    zendesk.put(43, created=datetime(2026, 10, 30, 11, tzinfo=UTC), group_id=11)
    zendesk.breach(43, NOW - timedelta(hours=1))
    report = await sync(db, clock)
    assert report.error is None and report.updated == 1 and report.breaches == 1
    found = await stored(db)
    kept = found["42"]
    assert kept.status == "pending"
    assert (kept.first_response_at, kept.csat_good, kept.reopens, kept.agent_replies, kept.sla_breached,
            kept.channel) == (datetime(2026, 10, 30, 10, 20, tzinfo=UTC), True, 1, 4, True, "chat")
    assert found["43"].sla_breached is True


async def test_a_ticket_moved_to_another_teams_group_moves_with_it(db: SessionFactory, zendesk: FakeZendesk,
                                                                   clock: Clock) -> None:
    zendesk.put(5, created=NOW - timedelta(days=1), group_id=11)
    await sync(db, clock)
    zendesk.put(5, created=NOW - timedelta(days=1), group_id=12)
    await sync(db, clock)
    async with db() as session:
        rows = (await session.execute(select(Ticket.team_id).where(Ticket.external_id == "5"))).all()
        tier2 = (await teams.get(session, "tier2"))
    assert tier2 is not None and rows == [(tier2.id,)]


async def test_check_says_what_is_wrong_in_one_line_per_source(db: SessionFactory, zendesk: FakeZendesk,
                                                              clock: Clock) -> None:
    async with db() as session:
        state = await helpdesks.source(session, "zendesk")
    assert state is not None
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert not ok and line == "zendesk: credentials OK; group 'Tier 3' matches no team"
    bad = SyncOptions(environ={"ZD_SECRET": "wrong"}, sleep=Sleeps())
    ok, line = await check_source(db, state, clock=clock, options=bad)
    assert not ok and line.startswith("zendesk: the OAuth client was refused (401 invalid_client)")
    assert "wrong" not in line
    ok, line = await check_source(db, state, clock=clock, options=SyncOptions(environ={}, sleep=Sleeps()))
    assert line == "zendesk: client_secret: the environment variable ZD_SECRET is not set"


async def test_the_job_syncs_a_source_only_when_it_is_due(db: SessionFactory, zendesk: FakeZendesk,
                                                         clock: Clock) -> None:
    fill(zendesk, 3)
    assert [report.imported for report in await sync_due(db, clock=clock, options=options())] == [3]
    clock.advance(minutes=4)
    assert await sync_due(db, clock=clock, options=options()) == []
    clock.advance(minutes=1)
    assert len(await sync_due(db, clock=clock, options=options())) == 1
