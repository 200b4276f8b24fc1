"""The digest computed from synced tickets equals the digest computed from the same tickets imported from CSV
(issue 21), for each helpdesk, on SQLite and PostgreSQL (TEST_DATABASE_URL).

Four dozen tickets with varied fields (solved and open, first responses, CSAT good, neutral and bad, several
channels, SLA breaches, reopens where the vendor gives them) are served by the vendor's fake and synced into the
team `synced`, and written as that vendor's CSV export (the column names docs/features/helpdesk-tickets.md lists,
`bot.rules.ticket_formats`) and imported into the team `imported`. The figures the digest reads for each day
(`storage.kpi.daily_figures`, what `handlers.kpi.report.daily` calls) must then be the same for both teams, for
every metric both the API and the export give; each vendor names the metrics one side cannot give, and why."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.team_config import parse_teams
from bot.tickets_import import import_tickets
from handlers.helpdesk.sync import SyncOptions, sync_source
from storage import directory, helpdesks, kpi, teams
from storage.db import SessionFactory, make_engine, session_factory
from tests.conftest import Clock
from tests.kit import fake_freshdesk, fake_intercom, fake_salesforce, fake_zendesk

NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
SINCE = datetime(2026, 10, 1, tzinfo=UTC)
ZONE = ZoneInfo("America/New_York")
DAYS = [date(2026, 10, 24) + timedelta(days=n) for n in range(10)]  # every day the tickets touch, and quiet ones
TEAMS = """
teams:
  - key: synced
    name: Synced
    timezone: America/New_York
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: {source}, match: {{{match}: "Tier 1"}}}}
  - key: imported
    name: Imported
    timezone: America/New_York
    members: [U0AGENT2]
    managers: [U0MANAGER]
"""


@dataclass(frozen=True)
class Spec:
    """One ticket, as a vendor-neutral description every fake and every export writer reads."""

    number: int
    created: datetime
    state: str  # new, open, pending, solved, closed
    first_reply: int | None  # minutes after created
    solved: datetime | None  # when solved or closed (None while unsolved)
    channel: str  # email, chat, phone, web
    csat: str | None  # good, neutral, bad, or None (not rated)
    breached: bool
    reopens: int
    replies: int
    closed_before: datetime | None = None
    """When an unsolved ticket that was reopened was last closed (Intercom keeps it in `last_close_at`)."""


def specs() -> list[Spec]:
    """48 tickets over 26 October to 1 November (New York), their states, ratings and breaches varied."""
    found = []
    start = datetime(2026, 10, 26, 2, 10, tzinfo=UTC)
    for n in range(48):
        created = start + timedelta(minutes=n * 197 + (n % 5) * 13)
        if created.astimezone(ZONE).date() == date(2026, 11, 1) and created.astimezone(ZONE).hour == 1:
            created += timedelta(hours=2)  # not in the hour the clocks repeat: an export without offsets is ambiguous
        state = ["solved", "open", "solved", "pending", "closed", "solved", "new", "solved"][n % 8]
        solved = created + timedelta(minutes=45 + 61 * (n % 9) + 7 * n) if state in ("solved", "closed") else None
        first_reply = None if state == "new" or n % 11 == 0 else 5 + (n * 17) % 240
        reopened = state == "open" and n > 16  # closed once, reopened, open now
        found.append(Spec(
            number=1000 + n, created=created, state=state, first_reply=first_reply, solved=solved,
            channel=["email", "chat", "phone", "web"][n % 4],
            csat=[None, "good", "neutral", "bad", "good", None][n % 6] if solved is not None else None,
            breached=n % 7 == 3, reopens=1 if (n % 10 == 4 and solved is not None) or reopened else 0,
            replies=1 + n % 3, closed_before=created + timedelta(hours=3) if reopened else None))
    return found


def first_reply_at(spec: Spec) -> datetime | None:
    return spec.created + timedelta(minutes=spec.first_reply) if spec.first_reply is not None else None


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(header)
        out.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return path


def local(moment: datetime | None, form: str = "%Y-%m-%d %H:%M:%S") -> str | None:
    return moment.astimezone(ZONE).strftime(form) if moment is not None else None


@dataclass(frozen=True)
class Vendor:
    key: str
    match: str
    helpdesk: str
    environ: dict[str, str]
    fake: Callable[[], Any]
    serve: Callable[[Any, list[Spec]], None]
    export: Callable[[Path, list[Spec]], Path]
    excluded: frozenset[str]
    """Metrics the export or the API cannot give (each vendor says why)."""


# --------------------------------------------------------------------------- Zendesk

def zendesk_serve(fake: fake_zendesk.FakeZendesk, tickets: list[Spec]) -> None:
    fake.add_group(11, "Tier 1")
    states = {"new": "new", "open": "open", "pending": "pending", "solved": "solved", "closed": "closed"}
    scores = {"good": "good", "bad": "bad", "neutral": "offered", None: "unoffered"}
    for t in tickets:
        fake.put(t.number, created=t.created, status=states[t.state], group_id=11, channel=t.channel,
                 score=scores[t.csat], reply_minutes=t.first_reply, solved=t.solved, reopens=t.reopens,
                 replies=t.replies)
        if t.breached:
            fake.breach(t.number, t.created + timedelta(hours=1))


def zendesk_export(folder: Path, tickets: list[Spec]) -> Path:
    """Zendesk's CSV export writes times with their offset, the first reply as minutes after creation; a
    satisfaction offered and not answered is `Offered` (Zendesk has no neutral score)."""
    scores = {"good": "Good", "bad": "Bad", "neutral": "Offered", None: "Unoffered"}
    header = ["Id", "Subject", "Status", "Via", "Created at", "Solved at", "Satisfaction Score", "Reopens", "Replies",
              "First reply time in minutes"]
    return write_csv(folder / "zendesk.csv", header, [
        [t.number, f"Ticket {t.number}", t.state.capitalize(), {"web": "Web form"}.get(t.channel, t.channel.title()),
         local(t.created, "%Y-%m-%d %H:%M:%S %z"), local(t.solved, "%Y-%m-%d %H:%M:%S %z"), scores[t.csat],
         t.reopens, t.replies, t.first_reply] for t in tickets])


# --------------------------------------------------------------------------- Salesforce

def salesforce_serve(fake: fake_salesforce.FakeSalesforce, tickets: list[Spec]) -> None:
    queue = fake.add_queue("Tier 1")
    states = {"new": "New", "open": "Working", "pending": "On Hold", "solved": "Closed", "closed": "Closed"}
    for t in tickets:
        fake.put(t.number, created=t.created, status=states[t.state], owner=queue, closed=t.solved,
                 origin=t.channel.capitalize())
        if t.first_reply is not None or t.breached:
            fake.milestone(t.number, "First Response", completed=first_reply_at(t), violated=t.breached)
        if t.reopens:
            fake.status_change(t.number, "Closed", "Working", t.created + timedelta(minutes=30))
        if t.csat is not None:
            fake.survey(t.number, {"good": 5, "neutral": 3, "bad": 1}[t.csat])


def salesforce_export(folder: Path, tickets: list[Spec]) -> Path:
    """A Data Loader extract of Case (API names, times in UTC with `Z`), with the milestone status."""
    states = {"new": "New", "open": "Working", "pending": "On Hold", "solved": "Closed", "closed": "Closed"}
    header = ["CaseNumber", "Subject", "Status", "Origin", "CreatedDate", "ClosedDate", "MilestoneStatus"]

    def zulu(moment: datetime | None) -> str | None:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") if moment else None

    def milestone(t: Spec) -> str:
        if t.breached:
            return "Closed Violation" if t.first_reply is not None else "Open Violation"
        return "Compliant"

    return write_csv(folder / "salesforce.csv", header, [
        [f"{t.number:08d}", f"Case {t.number}", states[t.state], t.channel.capitalize(), zulu(t.created),
         zulu(t.solved), milestone(t)] for t in tickets])


# --------------------------------------------------------------------------- Freshdesk

FD_STATUS = {"new": 2, "open": 2, "pending": 3, "solved": 4, "closed": 5}
FD_SOURCE = {"email": 1, "web": 2, "phone": 3, "chat": 7}


def freshdesk_serve(fake: fake_freshdesk.FakeFreshdesk, tickets: list[Spec]) -> None:
    fake.add_group(11, "Tier 1")
    for t in tickets:
        fake.put(t.number, created=t.created, status=FD_STATUS[t.state], group_id=11, source=FD_SOURCE[t.channel],
                 first_response=first_reply_at(t), resolved=t.solved,
                 reopened=t.created + timedelta(minutes=30) if t.reopens else None, escalated=t.breached)
        if t.csat is not None:
            assert t.solved is not None
            fake.rate(t.number, {"good": 103, "neutral": 100, "bad": -103}[t.csat], t.solved + timedelta(hours=1))


def freshdesk_export(folder: Path, tickets: list[Spec]) -> Path:
    """Freshdesk's export writes times without an offset, in the account's zone (imported with --timezone)."""
    statuses = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
    surveys = {"good": "Awesome", "neutral": "Just Okay", "bad": "Not Good", None: None}
    header = ["Ticket ID", "Subject", "Status", "Priority", "Source", "Group", "Created time", "Resolved time",
              "Closed time", "Initial response time", "Agent interactions", "Resolution status", "Survey results"]
    return write_csv(folder / "freshdesk.csv", header, [
        [t.number, f"Ticket {t.number}", statuses[FD_STATUS[t.state]], "Low",
         {1: "Email", 2: "Portal", 3: "Phone", 7: "Chat"}[FD_SOURCE[t.channel]], "Tier 1", local(t.created),
         local(t.solved), local(t.solved) if t.state == "closed" else None, local(first_reply_at(t)), t.replies,
         "SLA Violated" if t.breached else "Within SLA", surveys[t.csat]] for t in tickets])


# --------------------------------------------------------------------------- Intercom

IC_STATE = {"new": "open", "open": "open", "pending": "snoozed", "solved": "closed", "closed": "closed"}
IC_RATING = {"good": 5, "neutral": 3, "bad": 1, None: None}


def intercom_serve(fake: fake_intercom.FakeIntercom, tickets: list[Spec]) -> None:
    fake.add_team("814865", "Tier 1")
    for t in tickets:
        fake.put(t.number, created=t.created, state=IC_STATE[t.state], team="814865", source=t.channel,
                 first_reply=first_reply_at(t), closed=t.solved or t.closed_before, reopens=t.reopens,
                 rating=IC_RATING[t.csat], sla="missed" if t.breached else "hit")


def intercom_export(folder: Path, tickets: list[Spec]) -> Path:
    """The Conversations dataset's CSV export: times in the workspace's zone, named after each time column."""
    zone = "(America/New_York)"
    header = ["Conversation ID", f"Conversation started at {zone}", f"Conversation first replied at {zone}",
              f"Conversation last closed at {zone}", "Current conversation state", "Channel", "Last teammate rating"]
    return write_csv(folder / "intercom.csv", header, [
        [t.number, local(t.created), local(first_reply_at(t)), local(t.solved or t.closed_before), IC_STATE[t.state],
         t.channel,
         IC_RATING[t.csat]] for t in tickets])


def intercom_api_export(folder: Path, tickets: list[Spec]) -> Path:
    """Conversations flattened from the REST API (Unix seconds): the same fields the sync reads, SLA and reopens
    too."""
    header = ["id", "created_at", "state", "statistics.first_admin_reply_at", "statistics.last_close_at",
              "source.type", "conversation_rating.rating", "statistics.count_reopens", "sla_applied.sla_status"]

    def unix(moment: datetime | None) -> int | None:
        return int(moment.timestamp()) if moment is not None else None

    return write_csv(folder / "intercom-api.csv", header, [
        [t.number, unix(t.created), IC_STATE[t.state], unix(first_reply_at(t)), unix(t.solved or t.closed_before),
         t.channel,
         IC_RATING[t.csat], t.reopens, "missed" if t.breached else "hit"] for t in tickets])


FIRST_RESPONSE = frozenset({"first_response_mean", "first_response_median", "first_response_p90"})
VENDORS = [
    Vendor("zendesk", "group",
           "  - {key: zendesk, kind: zendesk, url: URL, client_id: supportbot_sync, client_secret_env: ZD_SECRET}",
           {"ZD_SECRET": fake_zendesk.CLIENT_SECRET}, fake_zendesk.FakeZendesk, zendesk_serve, zendesk_export,
           # SLA breaches come from Zendesk's ticket metric events; its ticket export has no SLA column
           frozenset({"sla_breaches"})),
    Vendor("salesforce", "queue",
           f"  - {{key: salesforce, kind: salesforce, url: URL, client_id: {fake_salesforce.CLIENT_ID}, "
           "client_secret_env: SF_SECRET}", {"SF_SECRET": fake_salesforce.CLIENT_SECRET},
           fake_salesforce.FakeSalesforce, salesforce_serve, salesforce_export,
           # the Case export has no standard first-response or CSAT field (the sync reads them from CaseMilestone
           # and Feedback Management). Neither side gives agent replies, so FCR is empty on both and compared.
           FIRST_RESPONSE | {"csat"}),
    Vendor("freshdesk", "group", "  - {key: freshdesk, kind: freshdesk, url: URL, api_key_env: FD_KEY}",
           {"FD_KEY": fake_freshdesk.API_KEY}, fake_freshdesk.FakeFreshdesk, freshdesk_serve, freshdesk_export,
           # FCR needs agent replies: the export's `Agent interactions` gives them, the ticket list does not
           frozenset({"fcr"})),
    Vendor("intercom", "team", "  - {key: intercom, kind: intercom, url: URL, access_token_env: IC_TOKEN}",
           {"IC_TOKEN": fake_intercom.ACCESS_TOKEN}, fake_intercom.FakeIntercom, intercom_serve, intercom_export,
           # the Conversations CSV export has no SLA column we could confirm (the API's sla_applied has it)
           frozenset({"sla_breaches"})),
    Vendor("intercom", "team", "  - {key: intercom, kind: intercom, url: URL, access_token_env: IC_TOKEN}",
           {"IC_TOKEN": fake_intercom.ACCESS_TOKEN}, fake_intercom.FakeIntercom, intercom_serve,
           # the API's own fields: nothing left out. Neither Intercom side gives agent replies (the API's
           # count_conversation_parts counts notes and assignments too), so FCR is empty on both and compared.
           intercom_api_export, frozenset()),
]


@pytest.fixture(params=VENDORS, ids=["zendesk", "salesforce", "freshdesk", "intercom", "intercom-api"])
def vendor(request: pytest.FixtureRequest) -> Vendor:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fake(vendor: Vendor) -> Iterator[Any]:
    with vendor.fake() as server:
        yield server


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = make_engine(database_url)
    yield built
    await built.dispose()


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


async def test_the_digest_of_synced_tickets_equals_the_digest_of_the_same_tickets_imported_from_csv(
        vendor: Vendor, fake: Any, engine: AsyncEngine, clock: Clock, tmp_path: Path) -> None:
    tickets = specs()
    db: SessionFactory = session_factory(engine)
    config = "helpdesks:\n" + vendor.helpdesk.replace("URL", fake.url) + "\n" + \
        TEAMS.format(source=vendor.key, match=vendor.match)
    async with db() as session:
        await teams.apply(session, parse_teams(config), now=NOW)
        await session.commit()
        state = await helpdesks.source(session, vendor.key)
    assert state is not None
    vendor.serve(fake, tickets)

    report = await sync_source(db, state, clock=clock, options=SyncOptions(environ=vendor.environ, sleep=no_sleep),
                               since=SINCE)
    assert report.error is None and not report.unparsed and not report.unmatched, report.line()
    assert report.synced == len(tickets)
    out, err = io.StringIO(), io.StringIO()
    status = await import_tickets(engine, vendor.export(tmp_path, tickets), team="imported", now=NOW, zone=ZONE,
                                  out=out, err=err, terminal=False)
    assert status == 0, err.getvalue()
    assert out.getvalue().startswith(f"{len(tickets)} imported"), out.getvalue()

    async with db() as session:
        found = await directory.load(session)
        ids = {team.key: team.id for team in found.teams}
        synced = await kpi.daily_figures(session, ids["synced"], DAYS, "America/New_York")
        imported = await kpi.daily_figures(session, ids["imported"], DAYS, "America/New_York")
        week = [await kpi.figures(session, ids[key], DAYS[0], DAYS[-1], "America/New_York")
                for key in ("synced", "imported")]
    compared = set(synced[0].values) - vendor.excluded
    assert {"created", "solved", "backlog", "csat", "sla_breaches", "first_response_median"} <= \
        set(synced[0].values)  # the metrics are the digest's, by name
    for day, ours, theirs in zip([*DAYS, "the week"], [*synced, week[0]], [*imported, week[1]], strict=True):
        assert {k: ours.values[k] for k in compared} == {k: theirs.values[k] for k in compared}, day
        assert {k: ours.samples.get(k) for k in compared} == {k: theirs.samples.get(k) for k in compared}, day
    # the comparison is not empty: the week has every kind of figure the vendor gives
    assert week[0].values["created"] == len(tickets)
    for metric in compared & {"solved", "csat", "sla_breaches", "first_response_median", "resolution_median", "fcr"}:
        if vendor.key in ("salesforce", "intercom") and metric == "fcr":
            assert week[0].values[metric] is None  # no agent replies on either side (see VENDORS)
        else:
            assert week[0].values[metric], metric
