"""Steps shared by the pulse tests: a team of six, the job's ticks, and a member answering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.pulse import ids
from handlers.pulse.jobs import run
from storage import teams
from tests.kit.driver import Reply, SlackDriver
from tests.kit.fake_slack import Call, FakeSlack

MEMBERS = ("U0P1", "U0P2", "U0P3", "U0P4", "U0P5", "U0P6")
MANAGER = "U0PMANAGER"
HEAD = "U0PHEAD"
"""The head of support: manages both teams."""
OUTSIDER = "U0POUT"
PARIS = "U0P6"
"""The one member in Paris: first asked (13:00 UTC), so the round opens then."""

YAML = """
teams:
  - key: care
    name: Customer Care
    timezone: America/New_York
    members: [U0P1, U0P2, U0P3, U0P4, U0P5, U0P6]
    managers: [U0PMANAGER, U0PHEAD]
    pulse: {day: fri, time: "14:00", close_after_hours: 72, min_responses: 5}
  - key: billing
    name: Billing Support
    timezone: Europe/London
    members: [U0B1, U0B2, U0B3, U0B4, U0B5, U0B6, U0B7]
    managers: [U0PHEAD]
    pulse: {day: fri, time: "14:00", close_after_hours: 72, min_responses: 5}
"""
BILLING = ("U0B1", "U0B2", "U0B3", "U0B4", "U0B5", "U0B6", "U0B7")

# Round 1: Friday 6 November 2026 (2026-W45). Paris asks at 13:00 UTC, New York at 19:00 UTC.
OPENS = datetime(2026, 11, 6, 13, 0, tzinfo=UTC)
NEW_YORK_ASK = datetime(2026, 11, 6, 19, 0, tzinfo=UTC)
REMINDER = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
CLOSES = datetime(2026, 11, 9, 13, 0, tzinfo=UTC)
WEEK = "2026-W45"
NEXT_OPENS = datetime(2026, 11, 13, 13, 0, tzinfo=UTC)
NEXT_CLOSES = datetime(2026, 11, 16, 13, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PulseTeam:
    members: tuple[str, ...] = MEMBERS
    manager: str = MANAGER
    head: str = HEAD
    outsider: str = OUTSIDER
    billing: tuple[str, ...] = BILLING


async def pulse_team(app: Supportbot, slack: FakeSlack, yaml: str = YAML) -> PulseTeam:
    for person in (*MEMBERS[:-1], MANAGER, HEAD, OUTSIDER):
        slack.add_user(person, tz="America/New_York")
    slack.add_user(PARIS, tz="Europe/Paris")
    for person in BILLING:
        slack.add_user(person, tz="Europe/London")
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(yaml), now=datetime(2026, 1, 1, tzinfo=UTC))
        await session.commit()
    return PulseTeam()


async def tick(app: Supportbot, now: datetime) -> int:
    return await run(app.services, now)


def asks(slack: FakeSlack, user: str) -> list[Call]:
    """The pulse DMs (asks and reminders) `user` got: the ones with an Answer button."""
    return [c for c in slack.calls("chat.postMessage", channel=user)
            if c.ok and ids.ANSWER in str(c.args.get("blocks"))]


def reminders(slack: FakeSlack, user: str) -> list[Call]:
    return [c for c in asks(slack, user) if c.text.startswith("Reminder")]


def reports(slack: FakeSlack, user: str) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=user) if c.ok and "Pulse results" in c.text]


def answer_button(call: Call) -> str:
    for block in call.args["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.ANSWER:
            return str(accessory["value"])
    raise AssertionError("no Answer button in the DM")


async def open_form(bot: SlackDriver, slack: FakeSlack, user: str) -> dict[str, Any]:
    """Press Answer on the member's latest pulse DM; the modal Slack opened."""
    dm = asks(slack, user)[-1]
    before = slack.count("views.open")
    await bot.click(ids.ANSWER, user=user, value=answer_button(dm), message={"ts": dm.response["ts"],
                                                                             "blocks": dm.args["blocks"]})
    assert slack.count("views.open") == before + 1, slack.calls("chat.postMessage", channel=user)[-1:]
    return dict(slack.last("views.open").response["view"])


def values_of(scores: tuple[int, ...], enps: int, comment: str | None = None) -> dict[str, Any]:
    """Form values: the 1–5 answers in order, then the eNPS, then the comment."""
    values: dict[str, Any] = {ids.question(i): str(v) for i, v in enumerate(scores)}
    values[ids.question(len(scores))] = str(enps)
    if comment is not None:
        values[ids.COMMENT] = comment
    return values


async def answer(bot: SlackDriver, slack: FakeSlack, user: str, scores: tuple[int, ...], enps: int,
                 comment: str | None = None, *, view: dict[str, Any] | None = None) -> Reply:
    form = view or await open_form(bot, slack, user)
    return await bot.submit(form, user=user, **values_of(scores, enps, comment))


def everything_sent_to(slack: FakeSlack, user: str) -> str:
    """Every text and block a person could see from the bot: messages, DMs, ephemeral answers, views."""
    sent = [str(c.args) for c in slack.calls() if c.args.get("channel") == user or c.args.get("user") == user]
    return "\n".join(sent)
