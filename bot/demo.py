"""`supportbot demo`: a demo database and a transcript of what the bot would say in Slack.

The features run for real (storage, rules, views, jobs); only the Slack Web API is replaced by a
transcript that prints each message instead of sending it.

Everything it writes is in one folder of the temp folder, `supportbot-demo-<uid>` (`folder()`): the database
(kept after the run, so `config show` can show its teams) and the digest's chart, both replaced by the next
run, and matplotlib's font cache (`MPLCONFIGDIR`, unless set already), kept so the next run draws at once.
Nothing goes to the home folder, and runs do not pile up.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import demo_kpi, demo_pulse
from bot.clock import utcnow
from bot.demo_transcript import Transcript
from bot.rules import escalation_changes as rules
from bot.rules.directory import TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.rules.kpi_days import local_date
from bot.rules.messages import Message
from bot.rules.scorecard import weights_of
from bot.rules.team_config import CRITERIA
from bot.seed import act, seed_escalation, seed_teams, state
from bot.settings import Settings
from handlers import home
from handlers.escalations import announce, views
from handlers.escalations.drafts import draft_for
from handlers.escalations.jobs import run_review, run_timers
from handlers.escalations.views import drafts as views_drafts
from handlers.prioritize import views as views_prioritize
from handlers.prioritize.commands import ranked_of
from handlers.services import Services
from handlers.standups.jobs import summarise_day
from handlers.standups.report import publish
from storage import escalations, scorecard, standups
from storage.db import make_engine, session_factory
from storage.directory import TeamDirectory
from storage.migrate import upgrade
from storage.models import Escalation, EscalationEvent
from storage.unit import UnitOfWork

DEMO_TEAMS = """
helpdesks:
  - {key: zendesk, kind: zendesk, url: "https://acme.zendesk.com", client_id: supportbot,
     client_secret_env: ZENDESK_CLIENT_SECRET}
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [U0ALEX, U0SAM, U0JORDAN, U0PRIYA, U0CHEN, U0DANA]
    managers: [U0MORGAN]
    channels: {escalations: C0ESCALATIONS, standup: C0STANDUP, digest: C0SUPPORTKPIS}
    helpdesk: {source: zendesk, match: {group: Tier 1}}
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENGINEERING}
      - {key: billing, name: Billing, channel: C0BILLING}
  - key: vip
    name: VIP Desk
    timezone: America/New_York
    members: [U0RIO, U0KAI, U0LEE]
    managers: [U0MORGAN]
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENGINEERING}
"""
PEOPLE = {"U0ALEX": "Alex Rivera", "U0SAM": "Sam Okafor", "U0MORGAN": "Morgan Lee", "U0JORDAN": "Jordan Blake",
          "U0PRIYA": "Priya Shah", "U0CHEN": "Chen Wu", "U0DANA": "Dana Kim", "U0RIO": "Rio Park",
          "U0KAI": "Kai Moreno", "U0LEE": "Lee Grant"}
"""What users.info says of the demo's people."""
NAMES = {"U0ALEX": "@alex", "U0SAM": "@sam", "U0MORGAN": "@morgan", "U0JORDAN": "@jordan", "U0PRIYA": "@priya",
         "U0CHEN": "@chen", "U0DANA": "@dana", "C0ESCALATIONS": "#escalations",
         "C0STANDUP": "#standup", "C0SUPPORTKPIS": "#support-kpis",
         "C0ENGINEERING": "#eng-escalations", "C0BILLING": "#billing-escalations"}


def folder() -> Path:
    """The demo's one folder in the temp folder (one per user, so a shared /tmp does not get in the way)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    return Path(tempfile.gettempdir()) / (f"supportbot-demo-{uid}" if uid is not None else "supportbot-demo")


def fresh_database() -> Path:
    """The demo database's path in `folder()`, the last run's database and chart removed; matplotlib's cache
    goes there too (unless MPLCONFIGDIR is set), not to the home folder."""
    where = folder()
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("demo.db", "demo.db-wal", "demo.db-shm", "digest-chart.png"):
        (where / name).unlink(missing_ok=True)
    os.environ.setdefault("MPLCONFIGDIR", str(where / "matplotlib"))
    return where / "demo.db"


async def run_demo(settings: Settings, database: Path | None = None, *, as_json: bool = False) -> Path:
    path = database or fresh_database()
    engine = make_engine(f"sqlite:///{path}")
    client = Transcript(PEOPLE, NAMES, as_json=as_json)
    _say = client.say
    now = utcnow().replace(second=0, microsecond=0)
    db = session_factory(engine)
    services = Services(client=client, engine=engine, db=db, directory=TeamDirectory(db), clock=lambda: now)
    try:
        await upgrade(engine)
        async with services.db() as session:
            await seed_teams(session, DEMO_TEAMS, now=now)
            team = (await services.directory.current()).find("tier1")
            assert team is not None
            client.quiet = True
            await _history(services, client, session, team, now)
            client.quiet = False

            _say("Alex types `/escalate Checkout fails for ACME` and fills in the form")
            escalation = await seed_escalation(
                session, team, now=now, path="engineering", reporter="U0ALEX", key="demo",
                customer="ACME Corp (account 4411)", summary="Checkout fails for ACME",
                details="Every card payment has returned 502 for the last ten minutes. Retried from two browsers.",
                tickets=[{"system": "Zendesk", "ref": "4411", "url": "https://acme.zendesk.com/agent/tickets/4411"}],
                severity="critical", impact="widespread", urgency="blocking")
            await show_new(services, session, escalation, team, await escalations.timeline(session, escalation.id),
                           now=now)

        _say("Twelve minutes later nobody has acknowledged it (80 % of the 15-minute SLA)")
        await run_timers(services, now + timedelta(minutes=12))
        _say("Fifteen minutes: the acknowledgement SLA is breached")
        await run_timers(services, now + timedelta(minutes=15))

        async with services.db() as session:
            reloaded = await escalations.get(session, escalation.id)
            assert reloaded is not None
            escalation = reloaded
            _say("Sam presses Acknowledge and posts an update, marked as one the customer may read")
            for minutes, change in (
                (16, lambda at: rules.acknowledge(state(escalation), "U0SAM", at)),
                (40, lambda at: rules.post_update(state(escalation), "U0SAM",
                                                  "Payment gateway rolled back; ACME can check out again.", at,
                                                  customer_visible=True)),
            ):
                at = now + timedelta(minutes=minutes)
                await show_change(services, session, escalation, team, await act(session, escalation, team, change(at)),
                                  now=at)
            await _customer_update(services, client, session, escalation, team, now + timedelta(minutes=45))
            _say("Sam resolves it")
            at = now + timedelta(minutes=60)
            resolved = rules.resolve(state(escalation), "U0SAM", root_cause="outage", customer_told=True, now=at,
                                     outcome="Bad gateway deploy rolled back; fix scheduled.")
            await show_change(services, session, escalation, team, await act(session, escalation, team, resolved),
                              now=at)

            _say("Morgan (manager) types `/escalate stats 30d`")
            figures = await escalations.stats(session, [team.id], now - timedelta(days=30), now + timedelta(hours=2))
            client.show("@morgan", views.stats_blocks(figures, "Escalations · last 30 days"))
            _say("Morgan types `/escalate list`")
            client.show("@morgan", views.escalation_list("Open escalations · Tier 1 Support",
                                                         await escalations.open_for_teams(session, [team.id]), now))

        await _standup(services, client, team, now)

        # The pulse rounds closed by the end of the digest's day: the digest and Home show the same round.
        digest_day = local_date(now, team.timezone) - timedelta(days=1)
        day_ends = datetime.combine(digest_day + timedelta(days=1), time(), tzinfo=ZoneInfo(team.timezone))
        await demo_pulse.show_pulse(services, team, day_ends, client.say)
        vip = (await services.directory.current()).find("vip")
        assert vip is not None
        client.say("The VIP Desk has three people, below the threshold of 5: its manager sees participation only")
        await demo_pulse.show_pulse(services, vip, day_ends, client.say)

        where = NAMES[team.channels["digest"]]
        _say(f"Every morning Morgan reads the KPI digest in {where} (two weeks of tickets synced from Zendesk)")
        async with services.db() as session:
            chart = path.with_name("digest-chart.png")
            client.show(where, await demo_kpi.digest(session, team, now, chart))
        client.note(f"with its 14-day trend chart, written to {chart}")

        await _scorecard(services, client, team, now)

        _say("Morgan opens supportbot's Home tab: what needs a manager today")
        await home.publish(services, "U0MORGAN", now)

        monday = _next_monday_morning(now, team.policy)
        async with services.db() as session:
            client.quiet = True
            await _week_before_review(services, client, session, team, monday)
            client.quiet = False
        _say(f"On Monday morning the weekly review arrives ({monday:%Y-%m-%d %H:%M} UTC), with the change "
             "against the week before")
        await run_review(services, monday)
    finally:
        await engine.dispose()
    return path


async def _customer_update(services: Services, client: Transcript, session: AsyncSession, escalation: Escalation,
                           team: TeamProfile, at: datetime) -> None:
    """Draft customer update: ACME is in Berlin; Sam copies the draft into Zendesk and marks it sent."""
    client.say("Sam presses Draft customer update, picks the customer's timezone (Europe/Berlin) and gets")
    stage, text, due = await draft_for(services, session, escalation, team, agent="U0SAM", name_owner=False,
                                       tz=ZoneInfo("Europe/Berlin"), now=at)
    client.show("@sam (modal)", views_drafts.draft_form(escalation, stage, text, next_update=due,
                                                        tz=ZoneInfo("Europe/Berlin"))["blocks"])
    client.say("Sam sends it from Zendesk and presses Mark as sent: the update clock restarts")
    change = rules.customer_updated(state(escalation), "U0SAM", text, at)
    await show_change(services, session, escalation, team, await act(session, escalation, team, change), now=at)


async def _scorecard(services: Services, client: Transcript, team: TeamProfile, now: datetime) -> None:
    """Three initiatives proposed and scored by the team, then `/prioritize list`."""
    client.say("The team scores its improvement ideas; Morgan types `/prioritize list`")
    proposals = [("Self-serve refunds in the help centre", {"U0ALEX": (5, 4, 5, 3, 4), "U0SAM": (4, 4, 4, 3, 4)}),
                 ("Macro clean-up", {"U0ALEX": (2, 1, 3, 5, 2), "U0PRIYA": (3, 2, 4, 5, 2)}),
                 ("Weekend chat coverage", {"U0SAM": (4, 3, 1, 2, 3)})]
    async with services.db() as session:
        for title, scores in proposals:
            initiative = await scorecard.propose(session, team.id, title=title, description="", link=None,
                                                 proposer="U0MORGAN", now=now)
            for person, values in scores.items():
                await scorecard.score(session, initiative.id, person, dict(zip(CRITERIA, values, strict=True)),
                                      now=now)
        await session.commit()
    listed = await ranked_of(services.db, team)
    client.show("@morgan", views_prioritize.ranked_list(team.name, listed, weights_of(team.config.scorecard))[1])


async def _standup(services: Services, client: Transcript, team: TeamProfile, now: datetime) -> None:
    """The day's stand-up of the six: two answers in the thread, a skip, a day off, two who stayed silent,
    then the summary at the window's close."""
    day = now.astimezone(ZoneInfo(team.timezone)).date()
    client.say("Stand-up: all six are asked; Priya said she is away today (`/standup away`), Jordan skips, "
               "Alex and Sam answer (each answer a reply in the day's thread), Chen and Dana stay silent")
    async with services.db() as session:
        await standups.go_away(session, "U0PRIYA", day, day, now=now)
        for user in ("U0JORDAN", "U0CHEN", "U0DANA"):
            await standups.record_prompt(session, team.id, user, day, now=now)
        await standups.record_prompt(session, team.id, "U0PRIYA", day, now=now, away=True)
        await session.commit()
        await session.commit()
        await standups.skip(session, team.id, "U0JORDAN", day, now=now)
        await standups.answer(session, team.id, "U0ALEX", day, [
            "Closed 14 tickets, wrote the refund macro", "ACME follow-ups, then the billing queue",
            "Waiting on engineering for the ACME export bug"], 4, now=now)
        await standups.answer(session, team.id, "U0SAM", day, [
            "Ran the checkout incident", "Post-incident notes for ACME", "none"], 3, now=now)
        await session.commit()
    await publish(services, team, day, now)
    client.say("At the window's close the day's message becomes the summary: blockers first, each with Escalate")
    await summarise_day(services, team, day, now + timedelta(hours=4))


async def _history(services: Services, client: Transcript, session: AsyncSession, team: TeamProfile,
                   now: datetime) -> None:
    """A month of earlier escalations, so lists and stats have something to show."""
    customers = ["ACME Corp", "Globex", "Initech", "ACME Corp", "Umbrella", "Globex", "Hooli", "ACME Corp"]
    for number, customer in enumerate(customers):
        last = number == len(customers) - 1
        opened = now - (timedelta(hours=3) if last else timedelta(days=30 - number * 3.5, hours=number))
        severity, impact, urgency = [("high", "several", "today"), ("medium", "one", "today"),
                                     ("critical", "several", "blocking")][number % 3]
        escalation = await seed_escalation(
            session, team, now=opened, path="billing" if number % 4 == 1 else "engineering", key=f"history:{number}",
            reporter="U0ALEX" if number % 2 else "U0SAM", customer=customer,
            summary=["Invoices show the wrong VAT", "Login loops on SSO", "API returns 500s",
                     "Export times out"][number % 4],
            severity=severity, impact=impact, urgency=urgency)
        await show_new(services, session, escalation, team, await escalations.timeline(session, escalation.id),
                       now=opened)
        at = opened + timedelta(minutes=8 + 7 * number)
        acknowledged = rules.acknowledge(state(escalation), "U0SAM", at)
        await show_change(services, session, escalation, team, await act(session, escalation, team, acknowledged),
                          now=at)
        if not last:
            at = opened + timedelta(hours=2 + 3 * number)
            change = rules.resolve(state(escalation), "U0SAM", outcome="Fixed", customer_told=True, now=at,
                                   root_cause=["product_bug", "billing", "how_to"][number % 3])
            await show_change(services, session, escalation, team, await act(session, escalation, team, change),
                          now=at)


async def _week_before_review(services: Services, client: Transcript, session: AsyncSession, team: TeamProfile,
                              monday: datetime) -> None:
    """Three escalations, resolved, in the week before the one Monday's review is about: the review's change
    against the week before has something to compare with."""
    for number, (customer, summary) in enumerate([("Globex", "Login loops on SSO"), ("Initech", "API returns 500s"),
                                                  ("Hooli", "Export times out")]):
        opened = monday - timedelta(days=10) + timedelta(hours=5 * number)
        escalation = await seed_escalation(session, team, now=opened, path="engineering", key=f"before:{number}",
                                           reporter="U0ALEX", customer=customer, summary=summary)
        await show_new(services, session, escalation, team, await escalations.timeline(session, escalation.id),
                       now=opened)
        at = opened + timedelta(minutes=20 + 10 * number)
        await show_change(services, session, escalation, team,
                          await act(session, escalation, team, rules.acknowledge(state(escalation), "U0SAM", at)),
                          now=at)
        at = opened + timedelta(hours=3 + 4 * number)
        change = rules.resolve(state(escalation), "U0SAM", outcome="Fixed", customer_told=True, now=at,
                               root_cause="product_bug")
        await show_change(services, session, escalation, team, await act(session, escalation, team, change),
                          now=at)


def _next_monday_morning(now: datetime, policy: TeamPolicy) -> datetime:
    local = now.astimezone(policy.tz)
    days = (7 - local.weekday()) % 7 or 7
    monday = datetime.combine(local.date() + timedelta(days=days), policy.hours.start, tzinfo=policy.tz)
    return monday.astimezone(now.tzinfo)


async def show_new(services: Services, session: AsyncSession, escalation: Escalation, team: TeamProfile,
                   events: Sequence[EscalationEvent], *, now: datetime) -> None:
    """A new escalation's messages, written to the outbox and sent, as the listener and the dispatcher do."""
    await session.refresh(escalation, ["path"])
    await _send(services, session, announce.opened(escalation, team, events, now=now), now)


async def show_change(services: Services, session: AsyncSession, escalation: Escalation, team: TeamProfile,
                      event: EscalationEvent | None, *, now: datetime) -> None:
    await _send(services, session, announce.changed(escalation, team, event, now=now), now)


async def _send(services: Services, session: AsyncSession, messages: list[Message], now: datetime) -> None:
    unit = UnitOfWork(session, now=now)
    unit.send(*messages)
    await unit.commit()
    await services.outbox.send_due(now)
