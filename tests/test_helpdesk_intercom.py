"""The Intercom sync against FakeIntercom (tests/kit/fake_intercom.py, built from Intercom's documented shapes,
cited there), on SQLite and on PostgreSQL (TEST_DATABASE_URL): a backfill over pages, incremental changes, a
crash before the commit, 429 waited out until X-RateLimit-Reset, a refused token, unreadable conversations,
fields the import set that Intercom does not give, team mapping, and `check`."""

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
from tests.kit.fake_intercom import ACCESS_TOKEN, FakeIntercom

SEARCH = "/conversations/search"
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
CONFIG = """
helpdesks:
  - key: intercom
    kind: intercom
    url: {url}
    access_token_env: IC_TOKEN
teams:
  - key: billing
    name: Billing
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: intercom, match: {{team: "Billing"}}}}
  - key: support
    name: Support
    members: [U0AGENT2]
    managers: [U0MANAGER]
    helpdesk: {{source: intercom, match: {{team: "Support"}}}}
"""


@pytest.fixture(scope="module")
def fake_intercom() -> Iterator[FakeIntercom]:
    with FakeIntercom() as server:
        yield server


@pytest.fixture
def intercom(fake_intercom: FakeIntercom, clock: Clock) -> FakeIntercom:
    fake_intercom.reset()
    fake_intercom.clock = lambda: clock().timestamp()
    fake_intercom.add_team("101", "Billing")
    fake_intercom.add_team("102", "Support")
    fake_intercom.add_team("103", "Sales")
    return fake_intercom


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = make_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
async def db(engine: AsyncEngine, intercom: FakeIntercom) -> SessionFactory:
    factory = session_factory(engine)
    async with factory() as session:
        await teams.apply(session, parse_teams(CONFIG.format(url=intercom.url)), now=NOW)
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
    return SyncOptions(environ={"IC_TOKEN": ACCESS_TOKEN} if environ is None else environ, sleep=sleeps or Sleeps(),
                       **extra)  # type: ignore[arg-type]


async def sync(db: SessionFactory, clock: Clock, since: datetime | None = None, **extra: object) -> SyncReport:
    async with db() as session:
        state = await helpdesks.source(session, "intercom")
    assert state is not None
    return await sync_source(db, state, clock=clock, options=options(**extra), since=since)  # type: ignore[arg-type]


async def stored(db: SessionFactory) -> dict[str, Ticket]:
    async with db() as session:
        rows = (await session.scalars(select(Ticket))).all()
    return {row.external_id: row for row in rows}


def fill(intercom: FakeIntercom, count: int, *, first: int = 1) -> None:
    for number in range(first, first + count):
        created = NOW - timedelta(days=3, minutes=number)
        closed = number % 5 == 0
        intercom.put(number, created=created, team="101" if number % 2 else "102",
                     first_reply=created + timedelta(minutes=30), state="closed" if closed else "open",
                     closed=created + timedelta(hours=5) if closed else None,
                     rating=(number // 5) % 5 + 1 if closed else None,
                     source="email" if number % 3 == 0 else "conversation")


async def test_a_backfill_over_pages_stores_each_once_and_counts_the_unmatched(
        db: SessionFactory, intercom: FakeIntercom, clock: Clock) -> None:
    fill(intercom, 1000)
    for number in range(1001, 1004):
        intercom.put(number, created=NOW - timedelta(days=1), team="103")
    intercom.put(1004, created=NOW - timedelta(days=1), team=None)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 1000 and report.pages == 7
    assert dict(report.unmatched) == {"team=Sales": 3, "unassigned": 1}
    found = await stored(db)
    assert len(found) == 1000
    ten = found["10"]
    assert (ten.status, ten.solved_at, ten.first_response_at, ten.csat_good) == (
        "solved", ten.created_at + timedelta(hours=5), ten.created_at + timedelta(minutes=30), False)  # rated 3
    assert (found["5"].csat_good, found["15"].csat_good, found["20"].csat_good) == (False, True, True)
    assert found["3"].channel == "email" and found["4"].channel == "conversation" and found["4"].solved_at is None
    async with db() as session:
        by_team = dict((await session.execute(select(Ticket.team_id, func.count()).group_by(Ticket.team_id))).all())
    assert sorted(by_team.values()) == [500, 500]
    calls = intercom.calls(SEARCH)
    assert calls[0].body == {"query": {"field": "updated_at", "operator": ">",
                                       "value": int((NOW - timedelta(days=30)).timestamp()) - 1},
                             "pagination": {"per_page": 150}}
    assert all("starting_after" in call.body["pagination"] for call in calls[1:])
    assert all(call.authorization == f"Bearer {ACCESS_TOKEN}" for call in intercom.requests)


@pytest.mark.parametrize("rating, good", [(1, False), (2, False), (3, False), (4, True), (5, True)])
async def test_a_rating_of_four_or_five_is_good_one_to_three_bad_as_the_import_reads_it(
        db: SessionFactory, intercom: FakeIntercom, clock: Clock, rating: int, good: bool) -> None:
    intercom.put(1, created=NOW - timedelta(days=1), team="101", state="closed", closed=NOW, rating=rating)
    await sync(db, clock)
    assert (await stored(db))["1"].csat_good is good


async def test_an_incremental_sync_fetches_only_what_changed(db: SessionFactory, intercom: FakeIntercom,
                                                             clock: Clock) -> None:
    fill(intercom, 50)
    assert (await sync(db, clock)).imported == 50
    clock.advance(minutes=5)
    assert (await sync(db, clock)).synced == 0
    last = intercom.conversations["50"]["updated_at"]
    assert intercom.calls(SEARCH)[-1].body["query"]["value"] == last - 1
    intercom.put(7, created=NOW - timedelta(days=3), team="101", state="closed", closed=NOW - timedelta(hours=1),
                 sla="missed")
    intercom.put(51, created=NOW - timedelta(hours=2), team="102", state="snoozed")
    report = await sync(db, clock)
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 0)
    found = await stored(db)
    assert (found["7"].status, found["7"].solved_at, found["7"].sla_breached) == (
        "solved", NOW - timedelta(hours=1), True)
    assert found["51"].status == "pending" and len(found) == 51


async def test_a_crash_between_fetching_and_committing_fetches_that_page_again(
        db: SessionFactory, intercom: FakeIntercom, clock: Clock) -> None:
    fill(intercom, 400)
    pages: list[Page] = []

    def crash_on_second(page: Page) -> None:
        pages.append(page)
        if len(pages) == 2:
            raise RuntimeError("the process died here")

    first = await sync(db, clock, after_fetch=crash_on_second)
    assert first.error is not None and first.pages == 1 and len(await stored(db)) == 150
    second = await sync(db, clock)
    assert second.error is None and second.imported == 250 and second.pages == 2
    lost, again = intercom.calls(SEARCH)[1], intercom.calls(SEARCH)[2]
    assert again.body == lost.body  # the same page, asked for again
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 400


async def test_a_429_is_waited_out_until_its_reset_and_a_refused_token_is_reported(
        db: SessionFactory, intercom: FakeIntercom, clock: Clock) -> None:
    fill(intercom, 5)
    intercom.rate_limit(2, reset_in=9)
    sleeps = Sleeps()
    report = await sync(db, clock, sleeps=sleeps)
    assert report.error is None and report.imported == 5 and sleeps.waits == [9, 9]
    intercom.token = "another-token"
    refused = await sync(db, clock)
    assert refused.error is not None and refused.error.startswith(
        "/conversations/search: the access token was refused (401)")
    assert "api.eu.intercom.io" in refused.error and ACCESS_TOKEN not in refused.error


async def test_a_conversation_that_does_not_parse_is_reported_with_its_id_and_the_rest_is_synced(
        db: SessionFactory, intercom: FakeIntercom, clock: Clock) -> None:
    fill(intercom, 3)
    intercom.put_raw({"type": "conversation", "id": "901", "created_at": "yesterday", "updated_at": intercom.tick(),
                      "state": "open", "team_assignee_id": 101})
    intercom.put_raw({"type": "conversation", "id": "902", "created_at": 1793000000, "updated_at": intercom.tick(),
                      "state": "pending", "team_assignee_id": 101})
    fill(intercom, 3, first=4)
    report = await sync(db, clock)
    assert report.error is None and report.imported == 6
    assert [(problem.id, problem.reason) for problem in report.unparsed] == [
        ("901", "created_at: expected Unix seconds, got 'yesterday'"), ("902", "unknown state 'pending'")]


async def test_a_field_intercom_does_not_give_keeps_what_the_import_set(
        db: SessionFactory, engine: AsyncEngine, intercom: FakeIntercom, clock: Clock, tmp_path: Path) -> None:
    export = tmp_path / "tickets.csv"
    export.write_text("id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,"
                      "sla_breached\n42,billing,2026-10-30T10:00:00Z,2026-10-30T10:20:00Z,,open,chat,good,1,4,true\n",
                      encoding="utf-8")
    assert await import_tickets(engine, export, team=None, now=NOW) == 0
    intercom.put(42, created=datetime(2026, 10, 30, 10, tzinfo=UTC), team="101", state="snoozed", statistics=False,
                 rated=False, source=None)
    report = await sync(db, clock)
    assert report.error is None and report.updated == 1
    kept = (await stored(db))["42"]
    assert kept.status == "pending"
    assert (kept.first_response_at, kept.csat_good, kept.reopens, kept.agent_replies, kept.sla_breached,
            kept.channel) == (datetime(2026, 10, 30, 10, 20, tzinfo=UTC), True, 1, 4, True, "chat")


async def test_check_says_what_is_wrong_in_one_line(db: SessionFactory, intercom: FakeIntercom,
                                                    clock: Clock) -> None:
    async with db() as session:
        state = await helpdesks.source(session, "intercom")
    assert state is not None
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert not ok and line == "intercom: credentials OK; team 'Sales' matches no team"
    del intercom.teams["103"]
    ok, line = await check_source(db, state, clock=clock, options=options())
    assert ok and line == "intercom: credentials OK; every team matches a team (billing, support)"
    ok, line = await check_source(db, state, clock=clock, options=options(environ={"IC_TOKEN": "wrong"}))
    assert not ok and line.startswith("intercom: /teams: the access token was refused (401)")
    ok, line = await check_source(db, state, clock=clock, options=options(environ={}))
    assert line == "intercom: access_token: the environment variable IC_TOKEN is not set"
