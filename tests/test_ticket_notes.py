"""The tickets behind an escalation, from the real app (signed requests in; the fake Slack and the fake helpdesks,
built from their documented shapes, out): each linked ticket gets an internal note when the escalation is logged,
acknowledged, updated for the customer and resolved, once, through the outbox, whatever restarts or rate limits
happen in between; its assignee, found by email, is told in Slack when it is resolved."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from handlers.escalations import ids
from handlers.escalations.jobs import run_timers
from handlers.helpdesk.sync import SyncOptions, sync_source
from handlers.parked import failed_work
from storage import helpdesks, teams
from tests.conftest import SIGNING_SECRET, Clock, TeamPeople
from tests.escalation_steps import escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_freshdesk import API_KEY, FakeFreshdesk
from tests.kit.fake_intercom import ACCESS_TOKEN, ADMIN_ID, FakeIntercom
from tests.kit.fake_salesforce import CLIENT_ID as SF_CLIENT_ID
from tests.kit.fake_salesforce import CLIENT_SECRET as SF_SECRET
from tests.kit.fake_salesforce import FakeSalesforce, case_id
from tests.kit.fake_slack import FakeSlack
from tests.kit.fake_zendesk import CLIENT_ID, CLIENT_SECRET, FakeZendesk
from tests.test_customer_updates import draft, text_of
from tests.test_paging import resolve

CONFIG = """
helpdesks:
  - {{key: zendesk, kind: zendesk, url: "{zendesk}", client_id: {zd_client}, client_secret_env: ZD_SECRET}}
  - {{key: freshdesk, kind: freshdesk, url: "{freshdesk}", api_key_env: FD_KEY}}
  - {{key: salesforce, kind: salesforce, url: "{salesforce}", client_id: "{sf_client}", client_secret_env: SF_SECRET}}
  - {{key: intercom, kind: intercom, url: "{intercom}", access_token_env: IC_TOKEN}}
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [U0AGENT1, U0AGENT2]
    managers: [U0MANAGER]
    channels: {{escalations: C0ESC, digest: C0DIGEST, standup: C0STANDUP}}
    escalation_paths:
      - {{key: engineering, name: Engineering, channel: C0ENG}}
    helpdesk: {{source: zendesk, match: {{group: "Tier 1"}}}}
  - {{key: tier1-freshdesk, name: Tier 1 (Freshdesk), members: [U0AGENT1], managers: [U0MANAGER],
     helpdesk: {{source: freshdesk, match: {{group: "Tier 1"}}}}}}
  - {{key: tier1-intercom, name: Tier 1 (Intercom), members: [U0AGENT1], managers: [U0MANAGER],
     helpdesk: {{source: intercom, match: {{team: "Tier 1"}}}}}}
  - {{key: tier1-salesforce, name: Tier 1 (Salesforce), members: [U0AGENT1], managers: [U0MANAGER],
     helpdesk: {{source: salesforce, match: {{role: "Tier 1 Agent"}}}}}}
"""
TICKETS = "https://acme.zendesk.com/agent/tickets/4411\nhttps://acme.freshdesk.com/a/tickets/77"
NOTES = "/api/v2/tickets/77/notes"
ASSIGNEE = "U0AGENT2"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeZendesk, FakeFreshdesk, FakeSalesforce, FakeIntercom]]:
    with FakeZendesk() as zendesk, FakeFreshdesk() as freshdesk, FakeSalesforce() as salesforce, \
            FakeIntercom() as intercom:
        yield zendesk, freshdesk, salesforce, intercom


@pytest.fixture
def zendesk(fakes: tuple[FakeZendesk, FakeFreshdesk, FakeSalesforce, FakeIntercom]) -> FakeZendesk:
    fakes[0].reset()
    return fakes[0]


@pytest.fixture
def freshdesk(fakes: tuple[FakeZendesk, FakeFreshdesk, FakeSalesforce, FakeIntercom]) -> FakeFreshdesk:
    fakes[1].reset()
    return fakes[1]


@pytest.fixture
def salesforce(fakes: tuple[FakeZendesk, FakeFreshdesk, FakeSalesforce, FakeIntercom]) -> FakeSalesforce:
    fakes[2].reset()
    return fakes[2]


@pytest.fixture
def intercom(fakes: tuple[FakeZendesk, FakeFreshdesk, FakeSalesforce, FakeIntercom]) -> FakeIntercom:
    fakes[3].reset()
    return fakes[3]


@pytest.fixture
def settings(slack: FakeSlack, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ZD_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("FD_KEY", API_KEY)
    monkeypatch.setenv("SF_SECRET", SF_SECRET)
    monkeypatch.setenv("IC_TOKEN", ACCESS_TOKEN)
    return Settings(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=slack.api_url, DATABASE_URL=database_url, _env_file=None)


@pytest.fixture
async def team(app: Supportbot, slack: FakeSlack, zendesk: FakeZendesk, freshdesk: FakeFreshdesk,
               salesforce: FakeSalesforce, intercom: FakeIntercom, clock: Clock) -> TeamPeople:
    """Tier 1 with four helpdesks; Zendesk's ticket 4411 (assigned to U0AGENT2's email) synced, Freshdesk's 77,
    Salesforce's case 42 (owned by U0AGENT2's user) and Intercom's conversation 123 there to be noted."""
    people = TeamPeople()
    for person in (people.agent, people.teammate, people.manager):
        slack.add_user(person)
    team_manager = people.manager
    document = CONFIG.format(zendesk=zendesk.url, freshdesk=freshdesk.url, salesforce=salesforce.url,
                             intercom=intercom.url, zd_client=CLIENT_ID, sf_client=SF_CLIENT_ID)
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(document), now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    zendesk.add_group(11, "Tier 1")
    zendesk.assign(4411, 901, str(slack.users[ASSIGNEE]["profile"]["email"]))
    zendesk.put(4411, created=clock.now, group_id=11)
    freshdesk.add_group(21, "Tier 1")
    freshdesk.add_agent(3, str(slack.users[team_manager]["profile"]["email"]))
    freshdesk.put(77, created=clock.now, group_id=21, responder=3)
    salesforce.add_queue("Tier 1")
    salesforce.put(42, created=clock.now,
                   owner=salesforce.add_user("Tier 1 Agent", str(slack.users[ASSIGNEE]["profile"]["email"])))
    intercom.add_team("5", "Tier 1")
    intercom.add_admin("814860", str(slack.users[ASSIGNEE]["profile"]["email"]))
    intercom.put(123, created=clock.now, team="5", assignee="814860")
    await sync(app, "zendesk", clock)
    await sync(app, "freshdesk", clock)
    await sync(app, "intercom", clock)
    await sync(app, "salesforce", clock)
    return people


async def sync(app: Supportbot, key: str, clock: Clock) -> None:
    async def no_sleep(_seconds: float) -> None:
        return None

    async with app.services.db() as session:
        state = await helpdesks.source(session, key)
    assert state is not None
    report = await sync_source(app.services.db, state, clock=clock,
                               options=SyncOptions(environ=os.environ, sleep=no_sleep))
    assert report.error is None, report.line()


def zendesk_notes(zendesk: FakeZendesk) -> list[str]:
    assert all(comment["public"] is False for _ticket, comment in zendesk.notes)
    return [str(comment["body"]) for ticket, comment in zendesk.notes if ticket == 4411]


def freshdesk_notes(freshdesk: FakeFreshdesk) -> list[str]:
    assert all(note["private"] is True for note in freshdesk.notes)
    return [str(note["body"]) for note in freshdesk.notes if note["ticket_id"] == 77]


async def test_linked_tickets_are_noted_once_at_each_step_and_the_assignee_is_told(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, zendesk: FakeZendesk, freshdesk: FakeFreshdesk,
        clock: Clock, settings: Settings, bot: SlackDriver) -> None:
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    driver = SlackDriver(crashed, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    try:
        await escalate(driver, slack, team.agent, tickets=TICKETS)
    finally:
        await driver.close()
        await crashed.close()  # committed, never sent
    assert zendesk.notes == [] and freshdesk.notes == []
    restarted = create_app(settings, clock=clock, directory_check_every=0)
    try:
        await restarted.services.outbox.drain()
        await run_timers(restarted.services, clock.now)
        await restarted.services.outbox.drain()
    finally:
        await restarted.close()
    await app.services.outbox.drain()
    logged = zendesk_notes(zendesk)
    assert len(logged) == 1 and logged[0].startswith("Escalated in Slack by U0AGENT1: ESC-1 P1 · ACME Corp")
    assert len(freshdesk_notes(freshdesk)) == 1 and "ESC-1 P1 · ACME Corp" in freshdesk_notes(freshdesk)[0]

    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    assert zendesk_notes(zendesk)[1:] == ["ESC-1 was acknowledged in Slack by U0AGENT2."]
    view = await draft(bot, slack, team.agent)
    await bot.submit(view, user=team.agent, **{ids.DRAFT_TEXT: "Hi ACME, <b>we</b> are on it."})
    assert zendesk_notes(zendesk)[2] == ("ESC-1: the customer was sent an update by U0AGENT1:\n"
                                         "Hi ACME, <b>we</b> are on it.")
    assert "Hi ACME, &lt;b&gt;we&lt;/b&gt; are on it." in freshdesk_notes(freshdesk)[2]  # HTML body, escaped
    assert text_of(view)  # the draft was offered

    await resolve(bot, slack, team.manager)
    await app.services.outbox.drain()
    resolved = zendesk_notes(zendesk)[3]
    assert resolved == "ESC-1 was resolved in Slack by U0MANAGER (root cause: outage). Outcome: Card processor fixed"
    assert len(zendesk_notes(zendesk)) == 4 and len(freshdesk_notes(freshdesk)) == 4
    told = [c for c in slack.calls("chat.postMessage", channel=ASSIGNEE) if "Zendesk #4411" in str(c.text)]
    assert len(told) == 1 and "ESC-1" in str(told[0].text) and "Card processor fixed" in str(told[0].text)
    told = [c for c in slack.calls("chat.postMessage", channel=team.manager) if "Freshdesk #77" in str(c.text)]
    assert len(told) == 1 and "Card processor fixed" in str(told[0].text)  # Freshdesk's assignee, by its agent
    assert slack.count("users.lookupByEmail") >= 1
    await app.services.outbox.drain()
    assert len(zendesk_notes(zendesk)) == 4 and len(freshdesk_notes(freshdesk)) == 4  # nothing twice


async def test_a_rate_limited_note_goes_once_after_retry_after_and_a_refused_one_is_parked(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, zendesk: FakeZendesk, freshdesk: FakeFreshdesk,
        bot: SlackDriver) -> None:
    freshdesk.rate_limit(1, retry_after=1)
    await escalate(bot, slack, team.agent, tickets=TICKETS)
    await app.services.outbox.drain()
    assert len(freshdesk_notes(freshdesk)) == 1
    assert len(freshdesk.calls(NOTES)) == 2  # 429, then once after Retry-After
    assert len(zendesk_notes(zendesk)) == 1

    freshdesk.refuse_notes(1)
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    await app.services.outbox.drain()
    assert len(freshdesk_notes(freshdesk)) == 1 and len(zendesk_notes(zendesk)) == 2
    parked = [f for f in await failed_work(app.services) if ":ticket:freshdesk:77:note:" in f.key]
    assert len(parked) == 1 and parked[0].parked_at is not None and parked[0].error == "invalid_note"


async def test_salesforce_cases_and_intercom_conversations_get_internal_notes(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, salesforce: FakeSalesforce, intercom: FakeIntercom,
        bot: SlackDriver) -> None:
    linked = (f"https://acme.my.salesforce.com/lightning/r/Case/{case_id(42)}/view\n"
              "https://app.intercom.com/a/apps/abc123/inbox/conversation/123")
    await escalate(bot, slack, team.agent, tickets=linked)
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    await app.services.outbox.drain()
    assert [(c["ParentId"], c["IsPublished"]) for c in salesforce.comments] == [(case_id(42), False)] * 2
    assert salesforce.comments[0]["CommentBody"].startswith("Escalated in Slack by U0AGENT1: ESC-1 P1")
    assert [(conversation, body["message_type"], body["type"], body["admin_id"]) for conversation, body
            in intercom.notes] == [("123", "note", "admin", ADMIN_ID)] * 2
    assert intercom.notes[1][1]["body"] == "ESC-1 was acknowledged in Slack by U0AGENT2."
    await resolve(bot, slack, team.manager)
    await app.services.outbox.drain()
    assert len(salesforce.comments) == 3 and "Outcome: Card processor fixed" in salesforce.comments[2]["CommentBody"]
    told = [c for c in slack.calls("chat.postMessage", channel=ASSIGNEE) if "Intercom conversation 123" in str(c.text)]
    assert len(told) == 1  # Intercom's assignee, by its admin's email
    told = [c for c in slack.calls("chat.postMessage", channel=ASSIGNEE) if f"Salesforce case {case_id(42)}" in
            str(c.text)]  # the case's owner (Owner.Email), though the link names the case by its Id
    assert len(told) == 1 and "Card processor fixed" in str(told[0].text)


async def test_a_refused_credential_parks_the_note_and_sends_nothing_else_twice(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, intercom: FakeIntercom, zendesk: FakeZendesk,
        bot: SlackDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IC_TOKEN", "ictoken-revoked")  # Intercom answers 401
    await escalate(bot, slack, team.agent, tickets="https://app.intercom.com/a/apps/abc123/inbox/conversation/123\n"
                                                   "https://acme.zendesk.com/agent/tickets/4411")
    await app.services.outbox.drain()
    assert intercom.notes == [] and len(zendesk_notes(zendesk)) == 1
    parked = [f for f in await failed_work(app.services) if ":ticket:intercom:123:note:" in f.key]
    assert [(f.error, f.parked_at is not None) for f in parked] == [("invalid_auth", True)]
