"""Steps for driving stand-ups through the fake Slack: a team across three timezones, and its DMs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.standups import ids
from handlers.standups.jobs import run
from storage import teams
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack

NY, BERLIN, TOKYO, MANAGER = "U0NEWYORK", "U0BERLIN", "U0TOKYO", "U0LEAD"
ZONES = {NY: "America/New_York", BERLIN: "Europe/Berlin", TOKYO: "Asia/Tokyo", MANAGER: "America/New_York"}
NAMES = {NY: "Nora York", BERLIN: "Ben Lin", TOKYO: "Tomo Kyo", MANAGER: "Lea Manager"}
CHANNEL = "C0STANDUP"


def standup_yaml(extra: str = "", members: list[str] | None = None, at: str = "09:30") -> str:
    listed = ", ".join(members or [NY, BERLIN, TOKYO])
    return f"""
teams:
  - key: global
    name: Global Support
    timezone: America/New_York
    members: [{listed}]
    managers: [{MANAGER}]
    channels: {{standup: {CHANNEL}, escalations: C0ESC}}
    escalation_paths:
      - {{key: engineering, name: Engineering, channel: C0ENG}}
    standup: {{time: "{at}", reminder_minutes: 60, window_hours: 4{extra}}}
"""


async def setup_team(app: Supportbot, slack: FakeSlack, extra: str = "", members: list[str] | None = None,
                     at: str = "09:30") -> None:
    for user in (*(members or [NY, BERLIN, TOKYO]), MANAGER):
        slack.add_user(user, real_name=NAMES.get(user, f"Member {user}"), tz=ZONES.get(user, "America/New_York"))
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(standup_yaml(extra, members, at)),
                          now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    app.services.directory.invalidate()


async def tick(app: Supportbot, at: datetime) -> int:
    return await run(app.services, at)


def prompts(slack: FakeSlack, user: str) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=user) if c.ok and "Time for your" in (c.text or "")]


def reminders(slack: FakeSlack, user: str) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=user) if c.ok and (c.text or "").startswith("Reminder")]


def button(call: Call, action_id: str) -> dict[str, Any]:
    for block in call.blocks or []:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {call.summary()}")


async def answer(bot: SlackDriver, slack: FakeSlack, user: str, done: str, plan: str, blocker: str = "",
                 mood: str | None = None, *, via: Call | None = None) -> None:
    """Press Start (or Edit) on the prompt and submit the form."""
    prompt = via or prompts(slack, user)[-1]
    value = button(prompt, ids.START if via is None else ids.EDIT)["value"]
    await bot.click(ids.START if via is None else ids.EDIT, user=user, value=value, channel=prompt.channel)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.FORM
    values = {ids.QUESTION.format(0): done, ids.QUESTION.format(1): plan, ids.QUESTION.format(2): blocker}
    if mood:
        values[ids.MOOD] = mood
    reply = await bot.submit(form, user=user, **values)
    assert reply.status == 200 and "response_action" not in reply.body, reply.body


def thread(slack: FakeSlack, parent_ts: str) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=CHANNEL) if c.ok and c.thread_ts == parent_ts]


def parents(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=CHANNEL) if c.ok and not c.thread_ts]
