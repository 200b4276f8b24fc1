"""`supportbot demo`: a demo database and a transcript of what the bot would say in Slack.

The features run for real (storage, rules, views, jobs); only the Slack Web API is replaced by a
transcript that prints each message instead of sending it.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.ext.asyncio import AsyncSession

from bot import demo_kpi
from bot.clock import utcnow
from bot.rules import escalation_changes as rules
from bot.rules.directory import TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.seed import act, seed_escalation, seed_teams, state
from bot.settings import Settings
from handlers.blocks import as_text
from handlers.escalations import views
from handlers.escalations.announce import show_change, show_new
from handlers.escalations.jobs import run_review, run_timers
from handlers.services import Services
from handlers.standups.jobs import summarise_day
from handlers.standups.report import publish
from storage import escalations, standups
from storage.db import make_engine, session_factory
from storage.directory import TeamDirectory
from storage.migrate import upgrade

DEMO_TEAMS = """
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [U0ALEX, U0SAM]
    managers: [U0MORGAN]
    channels: {escalations: C0ESCALATIONS, standup: C0STANDUP}
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENGINEERING}
      - {key: billing, name: Billing, channel: C0BILLING}
"""
PEOPLE = {"U0ALEX": "Alex Rivera", "U0SAM": "Sam Okafor", "U0MORGAN": "Morgan Lee"}
"""What users.info says of the demo's people."""
NAMES = {"U0ALEX": "@alex", "U0SAM": "@sam", "U0MORGAN": "@morgan", "C0ESCALATIONS": "#escalations",
         "C0STANDUP": "#standup",
         "C0ENGINEERING": "#eng-escalations", "C0BILLING": "#billing-escalations"}


class Transcript(AsyncWebClient):
    """A Web API client that prints what it would send and answers like Slack."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-demo")
        self._ts = itertools.count(1)
        self.quiet = False  # while the demo's history is made
        self._last: tuple[str, str] | None = None  # (method, body) of the message printed last

    async def api_call(self, api_method: str, *, json: dict[str, Any] | None = None,
                       **kwargs: Any) -> AsyncSlackResponse:
        args = {**(kwargs.get("data") or {}), **(kwargs.get("params") or {}), **(json or {})}
        channel = str(args.get("channel", ""))
        where = NAMES.get(channel, channel) + (" (thread)" if args.get("thread_ts") else "")
        if api_method in ("chat.postMessage", "chat.update") and not self.quiet:
            verb = "posts in" if api_method == "chat.postMessage" else "updates its message in"
            body = _named(as_text(args["blocks"]) if args.get("blocks") else
                          as_text([{"type": "section", "text": {"text": args["text"]}}]))
            if self._last == (api_method, body):  # the same card in the team's channel too: say where, once
                print(f"└─ and the same in {where}")
            else:
                print(f"\n┌─ supportbot {verb} {where}\n" + "\n".join(f"│ {line}" for line in body.splitlines()))
            self._last = (api_method, body)
        ts = f"1700000000.{next(self._ts):06d}"
        data: dict[str, Any] = {"ok": True, "channel": channel, "ts": ts,
                                "permalink": f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if api_method == "users.info":
            user = str(args.get("user", ""))
            data["user"] = {"id": user, "real_name": PEOPLE.get(user, user), "tz": "America/New_York"}
        return AsyncSlackResponse(client=self, http_verb="POST", api_url=api_method, req_args={}, data=data,
                                  headers={}, status_code=200)


def _named(text: str) -> str:
    """Slack IDs as the people and channels of the demo."""
    for slack_id, name in NAMES.items():
        text = text.replace(f"@{slack_id}", name).replace(f"#{slack_id}", name).replace(slack_id, name)
    return text


def _say(text: str) -> None:
    print(f"\n### {text}")


async def run_demo(settings: Settings, database: Path | None = None) -> Path:
    path = database or Path(tempfile.mkdtemp(prefix="supportbot-demo-")) / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    client = Transcript()
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
            await _history(client, session, team, now)
            client.quiet = False

            _say("Alex types `/escalate Checkout fails for ACME` and fills in the form")
            escalation = await seed_escalation(
                session, team, now=now, path="engineering", reporter="U0ALEX", key="demo",
                customer="ACME Corp (account 4411)", summary="Checkout fails for ACME",
                details="Every card payment has returned 502 for the last ten minutes. Retried from two browsers.",
                tickets=[{"system": "Zendesk", "ref": "4411", "url": "https://acme.zendesk.com/agent/tickets/4411"}],
                severity="critical", impact="widespread", urgency="blocking")
            await show_new(client, session, escalation, team, now=now)

        _say("Twelve minutes later nobody has acknowledged it (80 % of the 15-minute SLA)")
        await run_timers(services, now + timedelta(minutes=12))
        _say("Fifteen minutes: the acknowledgement SLA is breached")
        await run_timers(services, now + timedelta(minutes=15))

        async with services.db() as session:
            reloaded = await escalations.get(session, escalation.id)
            assert reloaded is not None
            escalation = reloaded
            _say("Sam presses Acknowledge, posts an update, then resolves it")
            for minutes, change in (
                (16, lambda at: rules.acknowledge(state(escalation), "U0SAM", at)),
                (40, lambda at: rules.post_update(state(escalation), "U0SAM",
                                                  "Payment gateway rolled back; ACME can check out again.", at)),
                (60, lambda at: rules.resolve(state(escalation), "U0SAM", outcome="Bad gateway deploy rolled back; "
                                              "fix scheduled.", root_cause="outage", customer_told=True, now=at)),
            ):
                at = now + timedelta(minutes=minutes)
                await show_change(client, session, escalation, team, await act(session, escalation, team, change(at)),
                                  now=at)

            _say("Morgan (manager) types `/escalate stats 30d`")
            figures = await escalations.stats(session, [team.id], now - timedelta(days=30), now + timedelta(hours=2))
            print(_named(as_text(views.stats_blocks(figures, "Escalations · last 30 days"))))
            _say("Morgan types `/escalate list`")
            print(_named(as_text(views.escalation_list("Open escalations · Tier 1 Support",
                                                       await escalations.open_for_teams(session, [team.id]), now))))

        await _standup(services, team, now)

        _say("Every morning Morgan reads the KPI digest in #support-kpis (two weeks of imported tickets)")
        async with services.db() as session:
            chart = path.with_name("digest-chart.png")
            print(_named(await demo_kpi.digest(session, team, now, chart)))
        print(f"└─ with its 14-day trend chart, written to {chart}")

        monday = _next_monday_morning(now, team.policy)
        _say(f"On Monday morning the weekly review arrives ({monday:%Y-%m-%d %H:%M} UTC)")
        await run_review(services, monday)
    finally:
        await engine.dispose()
    return path


async def _standup(services: Services, team: TeamProfile, now: datetime) -> None:
    """The day's stand-up: two answers in the thread, then the summary at the window's close."""
    day = now.astimezone(ZoneInfo(team.timezone)).date()
    _say("Stand-up: Alex and Sam answer their DM prompts; each answer is a reply in the day's thread")
    async with services.db() as session:
        await standups.answer(session, team.id, "U0ALEX", day, [
            "Closed 14 tickets, wrote the refund macro", "ACME follow-ups, then the billing queue",
            "Waiting on engineering for the ACME export bug"], 4, now=now)
        await standups.answer(session, team.id, "U0SAM", day, [
            "Ran the checkout incident", "Post-incident notes for ACME", "none"], 3, now=now)
    await publish(services, team, day, now)
    _say("At the window's close the day's message becomes the summary: blockers first, each with Escalate")
    await summarise_day(services, team, day, now + timedelta(hours=4))


async def _history(client: Transcript, session: AsyncSession, team: TeamProfile, now: datetime) -> None:
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
        await show_new(client, session, escalation, team, now=opened)
        at = opened + timedelta(minutes=8 + 7 * number)
        acknowledged = rules.acknowledge(state(escalation), "U0SAM", at)
        await show_change(client, session, escalation, team, await act(session, escalation, team, acknowledged),
                          now=at)
        if not last:
            at = opened + timedelta(hours=2 + 3 * number)
            change = rules.resolve(state(escalation), "U0SAM", outcome="Fixed", customer_told=True, now=at,
                                   root_cause=["product_bug", "billing", "how_to"][number % 3])
            await show_change(client, session, escalation, team, await act(session, escalation, team, change), now=at)


def _next_monday_morning(now: datetime, policy: TeamPolicy) -> datetime:
    local = now.astimezone(policy.tz)
    days = (7 - local.weekday()) % 7 or 7
    monday = datetime.combine(local.date() + timedelta(days=days), policy.hours.start, tzinfo=policy.tz)
    return monday.astimezone(now.tzinfo)
