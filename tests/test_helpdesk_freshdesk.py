"""The Freshdesk sync against FakeFreshdesk (tests/kit/fake_freshdesk.py, built from Freshdesk's documented
shapes, cited there), on SQLite and on PostgreSQL (TEST_DATABASE_URL): a backfill over pages and past the page
cap, incremental changes, a crash before the commit, 429 + Retry-After, a refused API key, unreadable records,
CSAT from the satisfaction ratings, fields the import set that Freshdesk does not give, and `check`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules import freshdesk as rules
from bot.rules.helpdesk import Page, SyncReport
from bot.rules.team_config import parse_teams
from bot.tickets_import import import_tickets
from handlers.helpdesk.sync import SyncOptions, check_source, sync_source
from storage import helpdesks, teams
from storage.db import SessionFactory, make_engine, session_factory
from storage.kpi_models import Ticket
from tests.conftest import Clock
from tests.kit.fake_freshdesk import API_KEY, FakeFreshdesk

TICKETS = "/api/v2/tickets"
RATINGS = "/api/v2/surveys/satisfaction_ratings"
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CONFIG = """
helpdesks:
  - key: freshdesk
    kind: freshdesk
    url: {url}
    api_key_env: FD_KEY
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: freshdesk, match: {{group: "Tier 1"}}}}
  - key: tier2
    name: Tier 2
    members: [U0AGENT2]
    managers: [U0MANAGER]
    helpdesk: {{source: freshdesk, match: {{group: "Tier 2"}}}}
"""


@pytest.fixture(scope="module")
def fake_freshdesk() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk() as server:
        yield server


@pytest.fixture
def desk(fake_freshdesk: FakeFreshdesk) -> FakeFreshdesk:
    fake_freshdesk.reset()
    fake_freshdesk.add_group(11, "Tier 1")
    fake_freshdesk.add_group(12, "Tier 2")
    fake_freshdesk.add_group(13, "Tier 3")
    return fake_freshdesk


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = make_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
async def db(engine: AsyncEngine, desk: FakeFreshdesk) -> SessionFactory:
    factory = session_factory(engine)
    async with factory() as session:
        await teams.apply(session, parse_teams(CONFIG.format(url=desk.url)), now=NOW)
        await session.commit()
    return factory


class Sleeps:
    """The injected sleeper: records each wait, sleeps for none of it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0.005)


def options(sleeps: Sleeps | None = None, environ: dict[str, str] | None = None, **extra: object) -> SyncOptions:
    return SyncOptions(environ={"FD_KEY": API_KEY} if environ is None else environ, sleep=sleeps or Sleeps(),
                       **extra)  # type: ignore[arg-type]


async def sync(db: SessionFactory, clock: Clock, since: datetime | None = None, **extra: object) -> SyncReport:
    async with db() as session:
        state = await helpdesks.source(session, "freshdesk")
    assert state is not None
    return await sync_source(db, state, clock=clock, options=options(**extra), since=since)  # type: ignore[arg-type]


async def stored(db: SessionFactory) -> dict[str, Ticket]:
    async with db() as session:
        rows = (await session.scalars(select(Ticket))).all()
    return {row.external_id: row for row in rows}


def fill(desk: FakeFreshdesk, count: int, *, first: int = 1) -> None:
    for number in range(first, first + count):
        created = NOW - timedelta(days=3, minutes=number)
        desk.put(number, created=created, group_id=11 if number % 2 else 12, first_response=created + timedelta(
            minutes=30), status=4 if number % 5 == 0 else 2, resolved=created + timedelta(hours=5)
            if number % 5 == 0 else None, source=7 if number % 3 == 0 else 1)


async def test_a_backfill_over_pages_stores_each_once_with_its_stats_and_counts_the_unmatched(
        db: SessionFactory, desk: FakeFreshdesk, clock: Clock) -> None:
    fill(desk, 1000)
    for number in range(1001, 1004):
        desk.put(number, created=NOW - timedelta(days=1), group_id=13)
    desk.put(1004, created=NOW - timedelta(days=1), group_id=None)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 1000 and report.pages == 11
    assert dict(report.unmatched) == {"group=Tier 3": 3, "unassigned": 1}
    found = await stored(db)
    assert len(found) == 1000
    assert found["5"].status == "solved" and found["5"].solved_at == found["5"].created_at + timedelta(hours=5)
    assert found["7"].first_response_at == found["7"].created_at + timedelta(minutes=30)
    assert found["3"].channel == "Chat" and found["4"].channel == "Email" and found["4"].status == "open"
    async with db() as session:
        by_team = dict((await session.execute(select(Ticket.team_id, func.count()).group_by(Ticket.team_id))).all())
    assert sorted(by_team.values()) == [500, 500]
    first = desk.calls(TICKETS)[0]
    assert first.query == {"updated_since": "2026-10-03T14:00:00Z", "order_by": "updated_at", "order_type": "asc",
                           "include": "stats", "per_page": "100", "page": "1"}
    assert [call.query["page"] for call in desk.calls(TICKETS)] == [str(page) for page in range(1, 12)]


async def test_past_the_page_cap_the_walk_starts_again_from_the_last_updated_at_seen(
        db: SessionFactory, desk: FakeFreshdesk, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_PAGE", 3)
    desk.page_cap = 3
    fill(desk, 750)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 750 and len(await stored(db)) == 750
    calls = [(call.query["updated_since"], call.query["page"]) for call in desk.calls(TICKETS)]
    assert [page for _since, page in calls] == ["1", "2", "3", "1", "2", "3", "1", "2"]
    assert calls[3][0] == desk.tickets[300]["updated_at"]  # the 300th change's updated_at, one second each
    assert calls[6][0] == desk.tickets[599]["updated_at"]  # its first page holds 300 again, not counted twice


async def test_an_incremental_sync_fetches_only_what_changed(db: SessionFactory, desk: FakeFreshdesk,
                                                             clock: Clock) -> None:
    fill(desk, 50)
    assert (await sync(db, clock)).imported == 50
    before = len(desk.calls(TICKETS))
    clock.advance(minutes=5)
    assert (await sync(db, clock)).synced == 0  # nothing changed: the last ticket is not counted again
    desk.put(7, created=NOW - timedelta(days=3), group_id=11, status=5, resolved=NOW - timedelta(hours=1))
    desk.put(51, created=NOW - timedelta(hours=2), group_id=12)
    report = await sync(db, clock)
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 0)
    calls = desk.calls(TICKETS)[before:]
    assert calls[0].query["updated_since"] == desk.tickets[50]["updated_at"]
    assert calls[1].query["updated_since"] == desk.tickets[50]["updated_at"]
    found = await stored(db)
    assert found["7"].status == "closed" and found["7"].solved_at == NOW - timedelta(hours=1) and len(found) == 51


async def test_a_crash_between_fetching_and_committing_fetches_that_page_again(
        db: SessionFactory, desk: FakeFreshdesk, clock: Clock) -> None:
    fill(desk, 250)
    pages: list[Page] = []

    def crash_on_second(page: Page) -> None:
        pages.append(page)
        if len(pages) == 2:
            raise RuntimeError("the process died here")

    first = await sync(db, clock, after_fetch=crash_on_second)
    assert first.error is not None and first.pages == 1 and len(await stored(db)) == 100
    async with db() as session:
        state = await helpdesks.source(session, "freshdesk")
    assert state is not None and state.cursor == pages[0].cursor
    second = await sync(db, clock)
    assert second.error is None and second.imported == 150 and second.pages == 2
    assert desk.calls(TICKETS)[-2].query["page"] == "2"  # the page that was lost, again
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 250


async def test_a_429_is_waited_out_for_its_retry_after_and_a_refused_key_is_reported(
        db: SessionFactory, desk: FakeFreshdesk, clock: Clock) -> None:
    fill(desk, 5)
    desk.rate_limit(2, retry_after=7)
    sleeps = Sleeps()
    report = await sync(db, clock, sleeps=sleeps)
    assert report.error is None and report.imported == 5 and sleeps.waits == [7, 7]
    desk.api_key = "another-key"
    refused = await sync(db, clock)
    assert refused.error == "/api/v2/tickets: the API key was refused (401): check api_key_env/api_key_file and " \
        "that its agent is active"
    async with db() as session:
        state = await helpdesks.source(session, "freshdesk")
    assert state is not None and state.last_error == refused.error and API_KEY not in (state.last_report or "")


async def test_a_record_that_does_not_parse_is_reported_with_its_id_and_the_rest_is_synced(
        db: SessionFactory, desk: FakeFreshdesk, clock: Clock) -> None:
    fill(desk, 3)
    desk.put_raw({"id": 901, "created_at": "yesterday", "updated_at": "2026-11-01T12:00:00Z", "status": 2,
                  "group_id": 11})
    desk.put_raw({"id": 902, "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T12:00:01Z",
                  "status": "open", "group_id": 11})
    fill(desk, 3, first=4)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 6
    assert [(problem.id, problem.reason) for problem in report.unparsed] == [
        ("901", "created_at: bad date 'yesterday' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)"),
        ("902", "unknown status 'open'")]


async def test_csat_comes_from_the_satisfaction_ratings_and_a_field_freshdesk_does_not_give_keeps_the_imports(
        db: SessionFactory, engine: AsyncEngine, desk: FakeFreshdesk, clock: Clock, tmp_path: Path) -> None:
    export = tmp_path / "tickets.csv"
    export.write_text("id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,"
                      "sla_breached\n42,tier1,2026-10-30T10:00:00Z,2026-10-30T10:20:00Z,,open,chat,good,0,4,true\n",
                      encoding="utf-8")
    assert await import_tickets(engine, export, team=None, now=NOW) == 0
    desk.put(42, created=datetime(2026, 10, 30, 10, tzinfo=UTC), group_id=11, status=3, stats=False, source=None,
             escalated=None)
    desk.put(43, created=datetime(2026, 10, 30, 11, tzinfo=UTC), group_id=11, escalated=True)
    desk.put(44, created=datetime(2026, 10, 30, 12, tzinfo=UTC), group_id=12)
    desk.rate(43, 103, NOW - timedelta(hours=3))
    desk.rate(44, 102, NOW - timedelta(hours=3))
    desk.rate(44, -101, NOW - timedelta(hours=2))  # the latest rating wins
    report = await sync(db, clock)
    assert report.error is None and report.updated == 1 and report.ratings == 2
    found = await stored(db)
    kept = found["42"]
    assert kept.status == "pending"
    assert (kept.first_response_at, kept.csat_good, kept.agent_replies, kept.sla_breached, kept.channel) == (
        datetime(2026, 10, 30, 10, 20, tzinfo=UTC), True, 4, True, "chat")
    assert (found["43"].csat_good, found["43"].sla_breached, found["44"].csat_good) == (True, True, False)
    assert desk.calls(RATINGS)[0].query["created_since"] == "2026-10-03T14:00:00Z"
    clock.advance(minutes=5)
    await sync(db, clock)
    assert desk.calls(RATINGS)[-1].query["created_since"] == "2026-11-02T12:00:00Z"  # from the latest rating


async def test_check_says_what_is_wrong_in_one_line(db: SessionFactory, desk: FakeFreshdesk, clock: Clock) -> None:
    async with db() as session:
        state = await helpdesks.source(session, "freshdesk")
    assert state is not None
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert not ok and line == "freshdesk: credentials OK; group 'Tier 3' matches no team"
    del desk.groups[13]
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert ok and line == "freshdesk: credentials OK; every group matches a team (tier1, tier2)"
    ok, line = await check_source(db, state, clock=clock, options=options(environ={"FD_KEY": "wrong"}))
    assert not ok and line.startswith("freshdesk: /api/v2/tickets: the API key was refused (401)")
    ok, line = await check_source(db, state, clock=clock, options=options(environ={}))
    assert line == "freshdesk: api_key: the environment variable FD_KEY is not set"
