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

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.clock import utcnow
from bot.escalations import TeamPolicy
from bot.services import Services
from bot.settings import Settings
from bot.sla import priority
from bot.teams_config import parse_teams
from handlers.blocks import as_text
from handlers.escalations import views
from handlers.escalations.announce import introduce, publish
from handlers.escalations.jobs import run_review, run_timers
from storage import escalations, teams
from storage.db import make_engine, session_factory
from storage.escalations import NewEscalation
from storage.migrate import upgrade

DEMO_TEAMS = """
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [U0ALEX, U0SAM]
    managers: [U0MORGAN]
    channels: {escalations: C0ESCALATIONS}
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENGINEERING}
      - {key: billing, name: Billing, channel: C0BILLING}
"""
NAMES = {"U0ALEX": "@alex", "U0SAM": "@sam", "U0MORGAN": "@morgan", "C0ESCALATIONS": "#escalations",
         "C0ENGINEERING": "#eng-escalations", "C0BILLING": "#billing-escalations"}


class Transcript(AsyncWebClient):
    """A Web API client that prints what it would send and answers like Slack."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-demo")
        self._ts = itertools.count(1)
        self.quiet = False  # while the demo's history is made

    async def api_call(self, api_method: str, *, json: dict[str, Any] | None = None,
                       **kwargs: Any) -> AsyncSlackResponse:
        args = {**(kwargs.get("data") or {}), **(kwargs.get("params") or {}), **(json or {})}
        channel = str(args.get("channel", ""))
        where = NAMES.get(channel, channel) + (" (thread)" if args.get("thread_ts") else "")
        if api_method in ("chat.postMessage", "chat.update") and not self.quiet:
            verb = "posts in" if api_method == "chat.postMessage" else "updates its message in"
            body = _named(as_text(args["blocks"]) if args.get("blocks") else
                          as_text([{"type": "section", "text": {"text": args["text"]}}]))
            print(f"\n┌─ supportbot {verb} {where}\n" + "\n".join(f"│ {line}" for line in body.splitlines()))
        ts = f"1700000000.{next(self._ts):06d}"
        data = {"ok": True, "channel": channel, "ts": ts,
                "permalink": f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
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
    services = Services(settings=settings, client=client, engine=engine, db=session_factory(engine))
    now = utcnow().replace(second=0, microsecond=0)
    try:
        await upgrade(engine)
        async with services.db() as session:
            await teams.apply(session, parse_teams(DEMO_TEAMS), now=now)
            team = await teams.get(session, "tier1")
            assert team is not None
            policy = TeamPolicy.from_settings(team.settings, team.timezone)
            client.quiet = True
            await _history(client, session, team.id, {p.key: p.id for p in team.paths}, policy, now)
            client.quiet = False

            _say("Alex types `/escalate Checkout fails for ACME` and fills in the form")
            escalation, _ = await escalations.create(session, NewEscalation(
                team_id=team.id, path_id=team.paths[0].id, submission_key="demo", reporter="U0ALEX", owner=None,
                customer="ACME Corp (account 4411)", summary="Checkout fails for ACME",
                details="Every card payment returns 502 since 09:10. Retried from two browsers.",
                tickets=[{"system": "Zendesk", "ref": "4411", "url": "https://acme.zendesk.com/agent/tickets/4411"}],
                severity="critical", impact="widespread", urgency="blocking", priority="P1"), policy, now=now)
            await session.refresh(escalation, ["posts", "team", "path"])
            await introduce(client, session, escalation, now=now)

        _say("Twelve minutes later nobody has acknowledged it (80 % of the 15-minute SLA)")
        await run_timers(services, now + timedelta(minutes=12))
        _say("Fifteen minutes: the acknowledgement SLA is breached")
        await run_timers(services, now + timedelta(minutes=15))

        async with services.db() as session:
            reloaded = await escalations.get(session, escalation.id)
            assert reloaded is not None
            escalation = reloaded
            _say("Sam presses Acknowledge, posts an update, then resolves it")
            at = now + timedelta(minutes=16)
            await publish(client, session, escalation,
                          await escalations.acknowledge(session, escalation, "U0SAM", now=at), now=at)
            at = now + timedelta(minutes=40)
            await publish(client, session, escalation, await escalations.post_update(
                session, escalation, "U0SAM", "Payment gateway rolled back; ACME can check out again.", policy,
                now=at), now=at)
            at = now + timedelta(hours=1)
            await publish(client, session, escalation, await escalations.resolve(
                session, escalation, "U0SAM", outcome="Bad gateway deploy rolled back; fix scheduled.",
                root_cause="outage", customer_told=True, now=at), now=at)

            _say("Morgan (manager) types `/escalate stats 30d`")
            figures = await escalations.stats(session, [team.id], now - timedelta(days=30), now + timedelta(hours=2))
            print(_named(as_text(views.stats_blocks(figures, "Escalations · last 30 days"))))
            _say("Morgan types `/escalate list`")
            print(_named(as_text(views.escalation_list("Open escalations · Tier 1 Support",
                                                       await escalations.open_for_teams(session, [team.id]), now))))

        monday = _next_monday_morning(now, policy)
        _say(f"On Monday morning the weekly review arrives ({monday:%Y-%m-%d %H:%M} UTC)")
        await run_review(services, monday)
    finally:
        await engine.dispose()
    return path


async def _history(client: Transcript, session: Any, team_id: int, paths: dict[str, int], policy: TeamPolicy,
                   now: datetime) -> None:
    """A month of earlier escalations, so lists and stats have something to show."""
    customers = ["ACME Corp", "Globex", "Initech", "ACME Corp", "Umbrella", "Globex", "Hooli", "ACME Corp"]
    for number, customer in enumerate(customers):
        last = number == len(customers) - 1
        opened = now - (timedelta(hours=3) if last else timedelta(days=30 - number * 3.5, hours=number))
        severity, impact, urgency = [("high", "several", "today"), ("medium", "one", "today"),
                                     ("critical", "several", "blocking")][number % 3]
        escalation, _ = await escalations.create(session, NewEscalation(
            team_id=team_id, path_id=paths["billing" if number % 4 == 1 else "engineering"],
            submission_key=f"history:{number}", reporter="U0ALEX" if number % 2 else "U0SAM", owner=None,
            customer=customer, summary=["Invoices show the wrong VAT", "Login loops on SSO", "API returns 500s",
                                        "Export times out"][number % 4],
            details="", tickets=[], severity=severity, impact=impact, urgency=urgency,
            priority=priority(severity, impact, urgency)), policy, now=opened)
        await session.refresh(escalation, ["posts", "team", "path"])
        await introduce(client, session, escalation, now=opened)
        at = opened + timedelta(minutes=8 + 7 * number)
        await publish(client, session, escalation, await escalations.acknowledge(session, escalation, "U0SAM",
                                                                                 now=at), now=at)
        if not last:
            at = opened + timedelta(hours=2 + 3 * number)
            await publish(client, session, escalation, await escalations.resolve(
                session, escalation, "U0SAM", outcome="Fixed", customer_told=True, now=at,
                root_cause=["product_bug", "billing", "how_to"][number % 3]), now=at)


def _next_monday_morning(now: datetime, policy: TeamPolicy) -> datetime:
    local = now.astimezone(policy.tz)
    days = (7 - local.weekday()) % 7 or 7
    monday = datetime.combine(local.date() + timedelta(days=days), policy.hours.start, tzinfo=policy.tz)
    return monday.astimezone(now.tzinfo)
