"""A customer's reply in a linked ticket ends a wait on the customer (issue 22, item 3), from the real app: signed
requests in, the fake Slack and the fake helpdesks (built from their documented shapes) out, on a driven clock.

An escalation linked to a helpdesk ticket is set Waiting on customer; the fake helpdesk's ticket gets a customer
reply; the `helpdesk-sync` job runs; the escalation resumes (a "resumed" event by the customer on the timeline,
the due times moved by the paused span, the card updated once through the fake Slack). A reply from before the
pause resumes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import Supportbot
from handlers.escalations import ids
from handlers.helpdesk.jobs import run_sync
from storage import escalations, helpdesks
from tests.conftest import Clock, TeamPeople
from tests.escalation_steps import card_post, escalate, press
from tests.kit.driver import SlackDriver
from tests.kit.fake_freshdesk import FakeFreshdesk
from tests.kit.fake_intercom import FakeIntercom
from tests.kit.fake_salesforce import FakeSalesforce, case_id
from tests.kit.fake_slack import FakeSlack
from tests.kit.fake_zendesk import FakeZendesk
from tests.test_ticket_notes import fakes, freshdesk, intercom, salesforce, settings, team, zendesk

__all__ = ["fakes", "freshdesk", "intercom", "salesforce", "settings", "team", "zendesk"]  # the fixtures used

CHANNELS = ("C0ENG", "C0ESC")


async def sync_job(app: Supportbot, clock: Clock) -> None:
    """The `helpdesk-sync` job, each source due (the clock moves on past `sync_every_minutes`), then the outbox."""
    clock.now += timedelta(minutes=10)
    assert await run_sync(app.services, clock.now) >= 0
    async with app.services.db() as session:
        errors = {state.key: state.last_error for state in await helpdesks.sources(session) if state.last_error}
    assert errors == {}
    await app.services.outbox.drain()


async def state(app: Supportbot) -> tuple[datetime | None, datetime, datetime, list[tuple[str, str, str | None]]]:
    """ESC-1's pause, update and resolution due times, and its timeline (kind, actor, note)."""
    async with app.services.db() as session:
        escalation = await escalations.get(session, 1)
        assert escalation is not None
        timeline = await escalations.timeline(session, 1)
        assert escalation.update_due is not None and escalation.resolve_due is not None
        return (escalation.paused_at, escalation.update_due, escalation.resolve_due,
                [(event.kind, event.actor, event.note) for event in timeline])


def card_updates(slack: FakeSlack, channel: str) -> list[str]:
    posted = card_post(slack, channel)
    return [str(call.args.get("blocks")) for call in slack.calls("chat.update", channel=channel)
            if call.ok and call.args.get("ts") == posted.ts]


async def waiting(bot: SlackDriver, slack: FakeSlack, app: Supportbot, team: TeamPeople, clock: Clock,
                  link: str) -> tuple[datetime, datetime, datetime]:
    """ESC-1 logged with `link`, acknowledged, then Waiting on customer: when it paused and its due times."""
    await escalate(bot, slack, team.agent, tickets=link)
    clock.now += timedelta(minutes=5)
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    clock.now += timedelta(minutes=5)
    await press(bot, slack, ids.WAIT_ON_CUSTOMER, user=team.teammate, channel="C0ENG")
    paused_at, update_due, resolve_due, timeline = await state(app)
    assert paused_at == clock.now and timeline[-1][0] == "paused"
    return paused_at, update_due, resolve_due


async def resumes_on_reply(bot: SlackDriver, slack: FakeSlack, app: Supportbot, team: TeamPeople, clock: Clock,
                           link: str, reply: object, label: str) -> None:
    paused_at, update_due, resolve_due = await waiting(bot, slack, app, team, clock, link)

    reply_before = paused_at - timedelta(minutes=3)  # a reply the customer sent before the pause: still waiting
    reply(reply_before)  # type: ignore[operator]
    shown = {channel: len(card_updates(slack, channel)) for channel in CHANNELS}
    await sync_job(app, clock)
    still, _update, _resolve, timeline = await state(app)
    assert still == paused_at and "resumed" not in [kind for kind, _actor, _note in timeline]
    assert {channel: len(card_updates(slack, channel)) for channel in CHANNELS} == shown

    clock.now += timedelta(minutes=40)
    replied_at = clock.now - timedelta(minutes=7)  # the customer replied; the next sync sees it
    reply(replied_at)  # type: ignore[operator]
    await sync_job(app, clock)
    resumed, update_after, resolve_after, timeline = await state(app)
    span = replied_at - paused_at
    assert resumed is None
    assert timeline[-1] == ("resumed", "customer", f"the customer replied in {label}")
    assert resolve_after == resolve_due + span and update_after == update_due + span
    for channel in CHANNELS:  # the cards were brought up to date once, showing the clocks running again
        updates = card_updates(slack, channel)
        assert len(updates) == shown[channel] + 1, channel
        assert "Resume" not in updates[-1] and "Waiting on customer" in updates[-1]
    replies = [c for c in slack.calls("chat.postMessage", channel="C0ENG") if c.thread_ts and label in str(c.text)]
    assert len(replies) == 1  # the thread is told, once

    await sync_job(app, clock)  # the same reply, synced again: nothing more
    _paused, _update, _resolve, again = await state(app)
    assert again == timeline
    assert all(len(card_updates(slack, channel)) == shown[channel] + 1 for channel in CHANNELS)


async def test_a_zendesk_requesters_reply_after_the_pause_resumes_the_escalation_once(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, zendesk: FakeZendesk, clock: Clock,
        bot: SlackDriver) -> None:
    await resumes_on_reply(bot, slack, app, team, clock, "https://acme.zendesk.com/agent/tickets/4411",
                           lambda at: zendesk.reply(4411, at), "Zendesk #4411")


async def test_a_freshdesk_requesters_reply_after_the_pause_resumes_the_escalation_once(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, freshdesk: FakeFreshdesk, clock: Clock,
        bot: SlackDriver) -> None:
    await resumes_on_reply(bot, slack, app, team, clock, "https://acme.freshdesk.com/a/tickets/77",
                           lambda at: freshdesk.reply(77, at), "Freshdesk #77")


async def test_an_intercom_contacts_reply_after_the_pause_resumes_the_escalation_once(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, intercom: FakeIntercom, clock: Clock,
        bot: SlackDriver) -> None:
    await resumes_on_reply(bot, slack, app, team, clock, "https://app.intercom.com/a/inbox/abc123/inbox/"
                           "conversation/123", lambda at: intercom.reply(123, at), "Intercom conversation 123")


async def test_a_salesforce_customers_email_after_the_pause_resumes_the_escalation_once(
        app: Supportbot, slack: FakeSlack, team: TeamPeople, salesforce: FakeSalesforce, clock: Clock,
        bot: SlackDriver) -> None:
    """The customer's email is an incoming EmailMessage on the case; the case changes with it (here its status, as
    an Email-to-Case rule would set it), so the next sync reads the case's latest incoming email. The link names
    the case by its Id; the synced ticket is its CaseNumber."""
    def email(at: datetime) -> None:
        salesforce.email(42, at, incoming=False)  # an agent's email: never a customer's reply
        salesforce.email(42, at)
        owner = str(salesforce.cases[case_id(42)]["OwnerId"])
        salesforce.put(42, created=clock.now - timedelta(days=1), status="Working", owner=owner)

    await resumes_on_reply(bot, slack, app, team, clock,
                           f"https://acme.my.salesforce.com/lightning/r/Case/{case_id(42)}/view", email,
                           f"Salesforce case {case_id(42)}")
    assert all("Incoming = true" in soql and "GROUP BY ParentId" in soql for soql in salesforce.queries("EmailMessage"))
