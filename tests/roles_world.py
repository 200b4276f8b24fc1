"""The world the roles walk runs in: two teams, people of every standing, and a way to submit any form the
bot opened with what it prefilled (plus a change), so every listener can be driven as anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import Supportbot
from bot.rules.pulse import questions_of, week_of
from bot.rules.team_config import parse_teams
from handlers import people
from storage import pulse, scorecard, standups, teams
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

PEOPLE = {"stranger": "U0STRANGER", "other": "U0OTHER", "member": "U0MEMBER", "manager": "U0LEAD",
          "admin": "U0ADMIN"}
"""Someone in no team; a member of another team; a member and a manager of Tier 1; a workspace admin."""
WORLD = f"""
teams:
  - key: tier1
    name: Tier 1 Support
    members: [{PEOPLE['member']}, U0MATE]
    managers: [{PEOPLE['manager']}]
    channels: {{escalations: C0ESC, standup: C0STAND, digest: C0DIGEST}}
    escalation_paths: [{{key: engineering, name: Engineering, channel: C0ENG}}]
  - key: tier2
    name: Tier 2 Support
    members: [{PEOPLE['other']}]
    managers: [U0LEAD2]
    channels: {{escalations: C0ESC2, standup: C0STAND2, digest: C0DIGEST2}}
    escalation_paths: [{{key: billing, name: Billing, channel: C0BILL2}}]
"""
WRITES = ("views.open", "views.push", "views.update", "chat.postMessage", "chat.update", "chat.delete",
          "files.completeUploadExternal")
"""What acting looks like from Slack's side (a refusal is an ephemeral answer, never one of these)."""


@dataclass
class World:
    app: Supportbot
    bot: SlackDriver
    slack: FakeSlack
    clock: Clock
    escalation: int = 0
    resolved: int = 0
    round_id: int = 0
    initiative: int = 0

    @property
    def day(self) -> str:
        return self.clock.now.astimezone().date().isoformat()

    async def build(self) -> World:
        for kind, user in PEOPLE.items():
            self.slack.add_user(user, real_name=kind.title(), tz="UTC", is_admin=kind == "admin")
        self.slack.add_user("U0MATE", tz="UTC")
        await people.people(self.app.services, [*PEOPLE.values(), "U0MATE"], self.clock.now)  # the cache knows them
        async with self.app.services.db() as session:
            await teams.apply(session, parse_teams(WORLD), now=self.clock.now)
            await session.commit()
        self.app.services.directory.invalidate()
        tier1 = await self.team("tier1")
        self.escalation = await self.escalate("medium")
        self.resolved = await self.escalate("low")
        await self.bot.click("escalation.resolve", user=PEOPLE["member"], value=str(self.resolved))
        await self.submit(PEOPLE["member"], outcome="Fixed", root_cause=None, customer_told=None)
        async with self.app.services.db() as session:
            await standups.answer(session, tier1.id, "U0MATE", self.clock.now.date(),
                                  ["done", "plan", "Blocked by SSO"], None, now=self.clock.now)
            opened = await pulse.open_round(
                session, tier1.id, week=week_of(self.clock.now.date()), day=self.clock.now.date(),
                questions=questions_of(tier1.config.pulse), min_responses=5,
                opens_at=self.clock.now - timedelta(hours=1), closes_at=self.clock.now + timedelta(days=2))
            for member in tier1.config.members:
                await pulse.invite(session, opened.id, member)
            self.round_id = opened.id
            initiative = await scorecard.propose(session, tier1.id, title="Self-serve refunds", description="",
                                                 link=None, proposer="U0MATE", now=self.clock.now)
            await session.commit()
            self.initiative = initiative.id
        return self

    async def team(self, key: str) -> Any:
        found = (await self.app.services.directory.current()).find(key)
        assert found is not None
        return found

    async def escalate(self, severity: str) -> int:
        await self.bot.command("/escalate", "", user=PEOPLE["member"])
        await self.submit(PEOPLE["member"], customer="ACME", summary=f"A {severity} one", severity=severity,
                          impact="one", urgency="today")
        posted = [c for c in self.slack.calls("chat.postMessage", channel="C0ENG") if c.ok and not c.thread_ts]
        value = next(e["value"] for b in posted[-1].blocks or [] for e in b.get("elements", [])
                     if e.get("action_id") == "escalation.post_update")
        return int(value)

    def last_form(self) -> dict[str, Any]:
        opened = [c for c in self.slack.calls("views.open") if c.ok]
        assert opened, "no form was opened"
        return dict(opened[-1].response["view"])

    async def submit(self, user: str, view: dict[str, Any] | None = None, **changes: Any) -> Any:
        """Submit the last opened form as `user`, with what it prefilled, `changes`, and a first choice for
        anything required and empty."""
        form = view or self.last_form()
        return await self.bot.submit(form, user=user, **filled(form, changes))

    def writes(self) -> int:
        return sum(len([c for c in self.slack.calls(method) if c.ok]) for method in WRITES)


def filled(view: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        if block_id in changes:
            if changes[block_id] is not None:
                values[block_id] = changes[block_id]
            elif element.get("options"):
                values[block_id] = element["options"][0]["value"]
            continue
        initial = (element.get("initial_value") or element.get("initial_users") or
                   element.get("initial_conversation") or (element.get("initial_option") or {}).get("value") or
                   [o["value"] for o in element.get("initial_options", [])])
        if initial:
            values[block_id] = initial
        elif not block.get("optional"):
            options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
            values[block_id] = options[0]["value"] if options else "x"
    return values


def now() -> datetime:
    return datetime.fromisoformat("2026-11-24T15:00:00+00:00")
