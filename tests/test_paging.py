"""A P1 wakes a person: the team's escalation policy pages PagerDuty (Events API v2) or Opsgenie (Alert API), from
the real app (signed requests in, the fake Slack and the fake paging service out), through the outbox: once, with
the escalation's reference as the incident's key, whatever restarts, replicas or retries happen in between."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from handlers.dispatch import run_outbox
from handlers.escalations import ids
from handlers.escalations.jobs import run_timers
from handlers.parked import failed_work, retry
from storage import teams
from tests.conftest import SIGNING_SECRET, TEAM_YAML, Clock, TeamPeople
from tests.escalation_steps import card, escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_opsgenie import API_KEY, FakeOpsgenie
from tests.kit.fake_pagerduty import ROUTING_KEY, FakePagerDuty
from tests.kit.fake_slack import FakeSlack

BILLING_KEY = "pdkeybilling0123456789abcdef0123"
PAGERDUTY = ("{service: pagerduty, routing_key_env: PD_TIER1_KEY, "
             "paths: {billing: {routing_key_env: PD_BILLING_KEY}}}")
OPSGENIE = "{service: opsgenie, api_key_env: OG_TIER1_KEY}"
P2 = {"severity": "critical", "impact": "one", "urgency": "can_wait"}
P3 = {"severity": "high", "impact": "one", "urgency": "can_wait"}
FAILED = "Paging PagerDuty failed"


@pytest.fixture(scope="session")
def fake_pagerduty() -> Iterator[FakePagerDuty]:
    with FakePagerDuty() as server:
        yield server


@pytest.fixture(scope="session")
def fake_opsgenie() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie() as server:
        yield server


@pytest.fixture
def pagerduty(fake_pagerduty: FakePagerDuty) -> Iterator[FakePagerDuty]:
    fake_pagerduty.reset()
    yield fake_pagerduty
    fake_pagerduty.reset()


@pytest.fixture
def opsgenie(fake_opsgenie: FakeOpsgenie) -> Iterator[FakeOpsgenie]:
    fake_opsgenie.reset()
    yield fake_opsgenie
    fake_opsgenie.reset()


@pytest.fixture
def settings(slack: FakeSlack, database_url: str, pagerduty: FakePagerDuty, opsgenie: FakeOpsgenie,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PD_TIER1_KEY", ROUTING_KEY)
    monkeypatch.setenv("PD_BILLING_KEY", BILLING_KEY)
    monkeypatch.setenv("OG_TIER1_KEY", API_KEY)
    return Settings(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=slack.api_url, DATABASE_URL=database_url, _env_file=None,
                    PAGERDUTY_EVENTS_URL=pagerduty.events_url, OPSGENIE_API_URL=opsgenie.url)


async def configure(app: Supportbot, slack: FakeSlack, paging: str) -> TeamPeople:
    """The README's Tier 1 team, paging as `paging` says."""
    people = TeamPeople()
    for person in (people.agent, people.teammate, people.manager):
        slack.add_user(person)
    document = TEAM_YAML.rstrip("\n") + f"\n    escalation_policy: {{paging: {paging}}}\n"
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(document), now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    return people


@pytest.fixture
async def team(app: Supportbot, slack: FakeSlack) -> TeamPeople:
    return await configure(app, slack, PAGERDUTY)


def actions(pagerduty: FakePagerDuty) -> list[tuple[str, str]]:
    return [(event["event_action"], event["dedup_key"]) for event in pagerduty.events()]


async def resolve(driver: SlackDriver, slack: FakeSlack, user: str) -> None:
    opened = slack.count("views.open")
    await press(driver, slack, ids.RESOLVE, user=user, channel="C0ENG")
    await slack.await_for("views.open", opened + 1, timeout=10)
    form = slack.last("views.open").response["view"]
    reply = await driver.submit(form, user=user, outcome="Card processor fixed", root_cause="outage",
                                customer_told="yes")
    assert reply.status == 200, reply.body


async def test_a_p1_pages_at_creation_and_resolves_once_across_a_restart_and_two_replicas(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, pagerduty: FakePagerDuty, clock: Clock,
        settings: Settings) -> None:
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    driver = SlackDriver(crashed, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    try:
        await escalate(driver, slack, team.agent)  # critical, widespread, blocking: P1
    finally:
        await driver.close()
        await crashed.close()  # committed, never sent
    assert pagerduty.events() == []
    first = create_app(settings, clock=clock, directory_check_every=0)  # restarted, on the same database
    second = create_app(settings, clock=clock, directory_check_every=0)  # and a replica beside it
    driver = SlackDriver(first, SIGNING_SECRET, response_url=slack.response_url, settle=False)
    try:
        await asyncio.gather(first.services.outbox.send_due(clock.now), second.services.outbox.send_due(clock.now),
                             run_timers(first.services, clock.now), run_timers(second.services, clock.now))
        assert actions(pagerduty) == [("trigger", "ESC-1")]
        incident = pagerduty.open_incident("ESC-1")
        assert incident is not None and incident.routing_key == ROUTING_KEY and incident.severity == "critical"
        assert incident.summary.startswith("ESC-1 P1 · ACME Corp: Checkout fails")
        for minutes in (5, 11, 30):  # past the acknowledgement's breach: it paged already
            clock.advance(minutes=minutes)
            await asyncio.gather(run_timers(first.services, clock.now), run_timers(second.services, clock.now))
        assert actions(pagerduty) == [("trigger", "ESC-1")]
        await resolve(driver, slack, team.manager)
        await asyncio.gather(first.services.outbox.send_due(clock.now), second.services.outbox.send_due(clock.now),
                             run_timers(second.services, clock.now))
        await first.services.outbox.drain()
        clock.advance(minutes=1)
        await asyncio.gather(run_timers(first.services, clock.now), run_timers(second.services, clock.now))
    finally:
        await driver.close()
        await first.close()
        await second.close()
    assert actions(pagerduty) == [("trigger", "ESC-1"), ("resolve", "ESC-1")]
    assert len(pagerduty.incidents) == 1 and pagerduty.incidents[0].status == "resolved"


@pytest.mark.parametrize("how", ["500", "answer lost", "429"])
async def test_a_retried_page_carries_the_same_dedup_key_and_opens_one_incident(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, pagerduty: FakePagerDuty,
        clock: Clock, how: str) -> None:
    if how == "500":
        pagerduty.fail_next(500)
    elif how == "answer lost":
        pagerduty.lose_next()  # taken, but the answer is a 500
    else:
        pagerduty.rate_limit_next(retry_after=1)
    await escalate(bot, slack, team.agent)
    assert len(pagerduty.events()) == (2 if how == "429" else 1)  # a 429 is waited out by the dispatcher
    clock.advance(minutes=1)
    await run_outbox(app.services, clock.now)  # the outbox tick
    assert actions(pagerduty) == [("trigger", "ESC-1"), ("trigger", "ESC-1")]
    assert len(pagerduty.incidents) == 1 and pagerduty.incidents[0].status == "triggered"
    clock.advance(minutes=1)
    assert await run_outbox(app.services, clock.now) == 0
    assert len(pagerduty.events()) == 2
    assert await failed_work(app.services) == []


async def test_acknowledge_in_slack_acknowledges_the_incident_and_an_unpaged_escalation_pages_nothing(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, pagerduty: FakePagerDuty) -> None:
    await escalate(bot, slack, team.agent)
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    assert actions(pagerduty) == [("trigger", "ESC-1"), ("acknowledge", "ESC-1")]
    incident = pagerduty.open_incident("ESC-1")
    assert incident is not None and incident.status == "acknowledged"
    await escalate(bot, slack, team.agent, summary="Invoices look odd", **P3)  # P3: never pages
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    await resolve(bot, slack, team.manager)
    assert len(pagerduty.events()) == 2


async def test_a_p2_pages_only_at_the_acknowledgement_breach(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, pagerduty: FakePagerDuty,
        clock: Clock) -> None:
    await escalate(bot, slack, team.agent, path="Billing", **P2)  # acknowledgement due in 30 minutes
    await escalate(bot, slack, team.agent, summary="Invoices look odd", **P3)
    assert pagerduty.events() == []
    clock.advance(minutes=25)  # the 80 % warning, not the breach
    await run_timers(app.services, clock.now)
    assert pagerduty.events() == []
    clock.advance(minutes=6)  # the breach
    await run_timers(app.services, clock.now)
    assert actions(pagerduty) == [("trigger", "ESC-1")]
    event = pagerduty.events()[0]
    assert event["routing_key"] == BILLING_KEY and event["payload"]["severity"] == "error"  # the path's service
    for minutes in (1, 30, 60):  # repeats and later ticks do not page again
        clock.advance(minutes=minutes)
        await run_timers(app.services, clock.now)
    assert actions(pagerduty) == [("trigger", "ESC-1")]
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0BILL")
    assert actions(pagerduty) == [("trigger", "ESC-1"), ("acknowledge", "ESC-1")]


async def test_a_malformed_page_is_parked_and_the_card_says_paging_failed_until_it_goes(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, pagerduty: FakePagerDuty,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PD_TIER1_KEY", "not-an-integration-key")
    await escalate(bot, slack, team.agent)
    assert len(pagerduty.events()) == 1 and pagerduty.incidents == []  # 400: invalid event
    parked = await failed_work(app.services)
    assert [(f.key, f.error, f.parked) for f in parked] == [("esc:1:page:trigger", "invalid_event", True)]
    for channel in ("C0ENG", "C0ESC"):
        assert FAILED in str(card(slack, channel).blocks)
    replies = [c for c in slack.calls("chat.postMessage", channel="C0ENG") if c.ok and c.thread_ts]
    assert [FAILED in (c.text or "") for c in replies] == [True]
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")  # waits behind the trigger
    assert len(pagerduty.events()) == 1
    assert FAILED in str(card(slack, "C0ENG").blocks)  # the acknowledged card still says so

    monkeypatch.setenv("PD_TIER1_KEY", ROUTING_KEY)  # fixed: `supportbot jobs retry esc:1:page:trigger`
    outcomes = await retry(app.services, app.jobs, parked)
    assert [r.outcome for r in outcomes] == ["sent"]
    await app.services.outbox.drain()
    assert actions(pagerduty)[1:] == [("trigger", "ESC-1"), ("acknowledge", "ESC-1")]
    assert FAILED not in str(card(slack, "C0ENG").blocks)
    assert await failed_work(app.services) == []


async def test_opsgenie_creates_acknowledges_and_closes_the_alert_by_its_alias(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, opsgenie: FakeOpsgenie, pagerduty: FakePagerDuty) -> None:
    team = await configure(app, slack, OPSGENIE)
    opsgenie.rate_limit_next(retry_after=1)
    await escalate(bot, slack, team.agent)
    alert = opsgenie.alert("ESC-1")
    assert alert is not None and alert.priority == "P1" and alert.message.startswith("ESC-1 P1")
    assert len(opsgenie.calls("/v2/alerts")) == 2 and len(opsgenie.alerts) == 1  # the 429, then the alert
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.manager, channel="C0ENG")
    assert alert.acknowledged and alert.status == "open"
    await resolve(bot, slack, team.manager)
    assert alert.status == "closed" and len(opsgenie.alerts) == 1
    acted = [r for r in opsgenie.requests if r.path != "/v2/alerts"]
    assert [(r.path, r.query) for r in acted] == [
        ("/v2/alerts/ESC-1/acknowledge", {"identifierType": "alias"}),
        ("/v2/alerts/ESC-1/close", {"identifierType": "alias"})]
    assert {r.authorization for r in opsgenie.requests} == {f"GenieKey {API_KEY}"}
    assert pagerduty.events() == []


async def test_an_opsgenie_key_it_refuses_is_parked_and_shown(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, opsgenie: FakeOpsgenie) -> None:
    team = await configure(app, slack, OPSGENIE)
    opsgenie.api_key = "another-key"
    await escalate(bot, slack, team.agent)
    assert opsgenie.alerts == []
    assert [(f.error, f.parked) for f in await failed_work(app.services)] == [("invalid_auth", True)]
    assert "Paging Opsgenie failed" in str(card(slack, "C0ENG").blocks)
