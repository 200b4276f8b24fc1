"""Someone in several teams chooses the team a command acts on: by naming it (`/kpi tier2`), with a form's team
picker, or by their remembered default (the last team they chose); the App Home shows every team."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.standups import ids as standup_ids
from storage import standups, team_choices, teams
from tests.kit.block_limits import view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.test_app_home import open_home
from tests.test_kpi_commands import kpi_on_demand

BOTH, HEAD, OUTSIDER = "U0BOTH", "U0HEAD", "U0OUTSIDER"
"""An agent covering two queues; the head of support, managing every team; someone in no team."""


def world(extra_teams: int = 0) -> str:
    more = "".join(f"""
  - key: queue{n}
    name: Queue {n}
    members: [U0QUEUE{n}]
    managers: [{HEAD}]
    channels: {{standup: C0QSTAND{n}}}
""" for n in range(extra_teams))
    return f"""
teams:
  - key: tier1
    name: Tier 1 Support
    members: [{BOTH}, U0ONE]
    managers: [{HEAD}]
    channels: {{escalations: C0ESC1, standup: C0STAND1, digest: C0DIGEST1}}
  - key: tier2
    name: Tier 2 Support
    members: [{BOTH}, U0TWO]
    managers: [{HEAD}]
    channels: {{escalations: C0ESC2, standup: C0STAND2, digest: C0DIGEST2}}
    standup: {{questions: ["What did you close?", "What is next?", "Anything stuck?"]}}
{more}"""


async def build(app: Supportbot, slack: FakeSlack, extra_teams: int = 0) -> None:
    for user in (BOTH, HEAD, OUTSIDER, "U0ONE", "U0TWO"):
        slack.add_user(user, tz="America/New_York")
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(world(extra_teams)),
                          now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    app.services.directory.invalidate()


async def remembered(app: Supportbot, user: str) -> str | None:
    async with app.services.db() as session:
        return await team_choices.remembered(session, user)


def picker_of(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    first = view["blocks"][0]
    assert first["type"] == "input" and first["block_id"] == block_id and first.get("dispatch_action") is True
    return dict(first["element"])


async def test_a_named_team_then_the_form_s_picker_become_the_default_of_kpi(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    await build(app, slack)
    first = await kpi_on_demand(bot, slack, "", user=BOTH)  # no choice yet: the first team by key
    assert (first.text or "").startswith("📊 Tier 1 Support")
    named = await kpi_on_demand(bot, slack, "tier2", user=BOTH)
    assert (named.text or "").startswith("📊 Tier 2 Support")
    assert await remembered(app, BOTH) == "tier2"
    week = await kpi_on_demand(bot, slack, "week Tier 2 Support", user=BOTH)  # a name, after the sub-command
    assert (week.text or "").startswith("📊 Tier 2 Support · last 7 days")

    assert (await bot.command("/standup", "", user=BOTH)).status == 200  # the form, for the default team
    opened = slack.last("views.open")
    form = opened.response["view"]
    picker = picker_of(form, standup_ids.TEAM)
    assert [o["value"] for o in picker["options"]] == ["tier1", "tier2"]
    assert picker["initial_option"]["value"] == "tier2" and "What did you close?" in str(form["blocks"])
    assert not view_problems(form)

    await bot.click(standup_ids.TEAM, user=BOTH, view=form, selected_option={"value": "tier1"})
    updated = slack.wait_for("views.update", count=1)[-1]
    assert updated.args["view_id"] == form["id"]
    tier1_form = slack.view(form["id"])
    assert tier1_form is not None and "*Tier 1 Support*" in str(tier1_form["blocks"])
    assert "What did you close?" not in str(tier1_form["blocks"])
    assert picker_of(tier1_form, standup_ids.TEAM)["initial_option"]["value"] == "tier1"
    assert await remembered(app, BOTH) == "tier1"

    reply = await bot.submit(tier1_form, user=BOTH, **{standup_ids.QUESTION.format(0): "Closed 12",
                                                        standup_ids.QUESTION.format(1): "Refunds"})
    assert reply.status == 200 and "errors" not in reply.body
    tier1 = (await app.services.directory.current()).find("tier1")
    assert tier1 is not None
    async with app.services.db() as session:
        entry = await standups.entry(session, tier1.id, BOTH, datetime(2026, 11, 2).date())
    assert entry is not None and entry.status == "answered"

    again = await kpi_on_demand(bot, slack, "", user=BOTH)  # no team named: the one chosen last
    assert (again.text or "").startswith("📊 Tier 1 Support")


@pytest.mark.parametrize(("command", "text", "answer"), [
    ("/kpi", "tier9", "I don't know that one. `tier9` is not one of your teams here. Your teams: "
                      "`tier1` (Tier 1 Support), `tier2` (Tier 2 Support)."),
    ("/kpi", "today tier", "`tier` could be `tier1` (Tier 1 Support), `tier2` (Tier 2 Support)"),
    ("/standup", "report tier9", "`tier9` is not one of your teams here. Your teams: `tier1`"),
    ("/prioritize", "list queue", "`queue` is not one of your teams here. Your teams: `tier1`"),
])
async def test_an_unknown_or_ambiguous_team_is_answered_with_the_person_s_teams_and_changes_nothing(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, command: str, text: str, answer: str) -> None:
    await build(app, slack)
    await kpi_on_demand(bot, slack, "tier2", user=BOTH)
    reply = await bot.command(command, text, user=BOTH)
    assert reply.text.startswith(answer), reply.text
    assert await remembered(app, BOTH) == "tier2"
    assert slack.calls("views.open") == []


async def test_every_team_command_takes_a_team(app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    await build(app, slack)
    assert "No stand-up for Tier 2 Support" in (await bot.command("/standup", "report tier2", user=BOTH)).text
    assert "No stand-up for Tier 1 Support" in (await bot.command("/standup", "report 2026-11-02 tier1",
                                                                  user=BOTH)).text
    assert "Initiatives · Tier 2 Support" in (await bot.command("/prioritize", "list tier2", user=BOTH)).text
    assert "Initiatives · Tier 2 Support" in (await bot.command("/prioritize", "list", user=BOTH)).text  # remembered
    assert "No stand-up for Tier 2 Support" in (await bot.command("/standup", "report", user=BOTH)).text
    results = (await bot.command("/pulse", "results tier2", user=HEAD)).text
    assert "Tier 2 Support" in results and "Tier 1 Support" not in results
    both = (await bot.command("/pulse", "results", user=HEAD)).text  # no team named: every team they manage
    assert "Tier 1 Support" in both and "Tier 2 Support" in both
    assert "not one of your teams" in (await bot.command("/pulse", "results 2026-W44 tier9", user=HEAD)).text

    await bot.command("/kpi", "targets tier2", user=HEAD)
    targets = slack.last("views.open").response["view"]
    assert picker_of(targets, "kpi_team")["initial_option"]["value"] == "tier2"
    assert "Targets for *Tier 2 Support*" in str(targets["blocks"])
    await bot.command("/prioritize", "", user=HEAD)  # the default is now tier2
    proposal = slack.last("views.open").response["view"]
    assert picker_of(proposal, "prioritize_team")["initial_option"]["value"] == "tier2"
    await bot.command("/pulse", "setup tier1", user=HEAD)
    setup = slack.last("views.open").response["view"]
    assert picker_of(setup, "team")["initial_option"]["value"] == "tier1"
    await bot.command("/standup", "setup", user=HEAD)
    standup_setup = slack.last("views.open").response["view"]
    assert picker_of(standup_setup, standup_ids.SETUP_TEAM)["initial_option"]["value"] == "tier1"

    assert "not in a support team" in (await bot.command("/kpi", "tier1", user=OUTSIDER)).text
    assert "not in a team with a stand-up" in (await bot.command("/standup", "tier1", user=OUTSIDER)).text
    assert await remembered(app, OUTSIDER) is None


async def test_a_single_team_s_forms_have_no_picker(app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    await build(app, slack)
    await bot.command("/standup", "", user="U0ONE")
    form = slack.last("views.open").response["view"]
    assert form["blocks"][0]["type"] == "context" and "Tier 1 Support" in str(form["blocks"][0])


async def test_the_app_home_shows_every_team_within_slack_s_limits(app: Supportbot, bot: SlackDriver,
                                                                  slack: FakeSlack) -> None:
    await build(app, slack, extra_teams=6)  # the head manages eight teams: more than the three shown before
    await kpi_on_demand(bot, slack, "tier2", user=HEAD)
    view = (await open_home(bot, slack, HEAD)).view
    assert view is not None and not view_problems(view)
    sections = [block["text"]["text"] for block in view["blocks"] if block["type"] == "section"]
    for name in ("Tier 1 Support", "Tier 2 Support", *(f"Queue {n}" for n in range(6))):
        assert f"*{name}*" in sections
    assert "*Tier 2 Support* (`tier2`, your default)" in str(view["blocks"])

    member = (await open_home(bot, slack, BOTH)).view
    assert member is not None and not view_problems(member)
    text = str(member["blocks"])
    assert "Your teams: Tier 1 Support (`tier1`) · Tier 2 Support (`tier2`)" not in text  # one is the default
    assert "*Tier 1 Support* (`tier1`, your default)" in text  # nothing chosen yet: the first
    assert "*Tier 1 Support* ·" in text and "*Tier 2 Support* ·" in text  # today's stand-up in both
