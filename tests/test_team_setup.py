"""Setting a team up from Slack: `/supportbot setup` creates (admins) or edits (managers) a team with the
YAML's validation, checks every channel, and the result round-trips through `config show` / `config apply`."""

from __future__ import annotations

from datetime import datetime

from bot.app import Supportbot
from bot.rules.team_config import parse_teams, render_teams
from handlers import people as known
from handlers.supportbot import HELP, ids
from storage import teams
from tests.conftest import Clock, TeamPeople
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

ADMIN, NEWBIE = "U0ADMIN", "U0NEWBIE"
FORM = {ids.KEY: "tier2", ids.NAME: "Tier 2 Support", ids.TIMEZONE: "Europe/Berlin",
        ids.MEMBERS: ["U0AGENT3", "U0AGENT4"], ids.MANAGERS: [ADMIN],
        ids.CHANNELS["escalations"]: "C0ESC2", ids.CHANNELS["standup"]: "C0STAND2", ids.DIGEST_TIME: "08:30",
        ids.PATH_NAME.format(0): "Engineering", ids.PATH_CHANNEL.format(0): "C0ENG2",
        ids.PATH_NAME.format(1): "Billing & Refunds", ids.PATH_CHANNEL.format(1): "G0BILLING"}


def people(slack: FakeSlack) -> None:
    slack.add_user(ADMIN, real_name="Ada Admin", is_admin=True)
    slack.add_user(NEWBIE, real_name="Nico New")
    slack.add_channel("G0BILLING", is_private=True, is_member=True)


async def test_an_admin_creates_a_team_equal_to_its_yaml(app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    people(slack)
    await bot.command("/supportbot", "setup new", user=ADMIN)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.SETUP_FORM
    reply = await bot.submit(form, user=ADMIN, **FORM)
    assert reply.status == 200 and "response_action" not in reply.body, reply.body
    created = (await app.services.directory.current()).find("tier2")
    assert created is not None
    assert [(p.key, p.name) for p in created.config.escalation_paths] == [
        ("engineering", "Engineering"), ("billing-refunds", "Billing & Refunds")]
    assert created.config.digest.time == "08:30"
    shown = render_teams([created.config])  # `supportbot config show`
    assert parse_teams(shown).teams[0] == created.config
    async with app.services.db() as session:  # `supportbot config apply` of what it showed changes nothing
        report = await teams.apply(session, parse_teams(shown), now=datetime.fromisoformat("2026-12-02T12:00+00:00"))
        await session.commit()
    assert report.unchanged == ["tier2"] and not report.updated
    welcome = slack.last("chat.postMessage", channel=ADMIN)
    assert "Getting started" in str(welcome.blocks) and "<#C0ESC2>" in str(welcome.blocks)


async def test_only_admins_create_and_only_managers_edit(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                         team: TeamPeople, clock: Clock) -> None:
    people(slack)
    await known.people(app.services, [NEWBIE, ADMIN, team.agent], clock.now)  # the people cache knows them
    assert "Only a Slack workspace admin or owner can create a support team" in (
        await bot.command("/supportbot", "setup new", user=NEWBIE)).text
    refused = (await bot.command("/supportbot", f"setup {team.key}", user=team.agent)).text
    assert "Only Tier 1 Support's managers and workspace admins can change the team's setup" in refused
    assert "There is no team `nope`" in (await bot.command("/supportbot", "setup nope", user=ADMIN)).text


async def test_someone_the_cache_does_not_know_gets_the_form_and_saving_it_checks_again(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    """Nobody waits on Slack for the form: it opens, Slack is asked who they are after the answer, and saving
    the form is refused inline when they are no admin."""
    people(slack)
    opened = slack.count("views.open")
    await bot.command("/supportbot", "setup new", user=NEWBIE)
    assert slack.count("views.open") == opened + 1
    assert [c.args.get("user") for c in slack.calls("users.info")] == [NEWBIE]  # after the answer
    form = slack.last("views.open").view
    assert form is not None
    errors = (await bot.submit(form, user=NEWBIE, **FORM)).errors
    assert "Only a Slack workspace admin or owner can create a support team" in errors[ids.NAME]
    assert (await app.services.directory.current()).find("tier2") is None


async def test_a_manager_edits_their_team_and_keeps_what_the_form_does_not_show(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    before = (await app.services.directory.current()).find(team.key)
    assert before is not None
    await bot.command("/supportbot", "setup", user=team.manager)
    form = slack.last("views.open").view
    assert form is not None and "Tier 1 Support" in str(form["blocks"])
    values = {ids.NAME: "Tier 1 Care", ids.TIMEZONE: before.config.timezone, ids.MEMBERS: before.config.members,
              ids.MANAGERS: before.config.managers, ids.CHANNELS["escalations"]: "C0ESC",
              ids.DIGEST_TIME: before.config.digest.time,
              ids.CHANNELS["standup"]: "C0STANDUP", ids.CHANNELS["digest"]: "C0DIGEST",
              ids.PATH_NAME.format(0): "Engineering", ids.PATH_CHANNEL.format(0): "C0ENG",
              ids.PATH_NAME.format(1): "Billing", ids.PATH_CHANNEL.format(1): "C0BILL"}
    reply = await bot.submit(form, user=team.manager, **values)
    assert "response_action" not in reply.body, reply.body
    after = (await app.services.directory.current()).find(team.key)
    assert after is not None and after.config.name == "Tier 1 Care"
    assert after.config.model_copy(update={"name": "Tier 1 Support"}) == before.config
    assert not slack.calls("chat.postMessage", channel=team.manager)  # no welcome for an edit


async def test_bad_values_come_back_inline(app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    people(slack)
    await bot.command("/supportbot", "setup new", user=ADMIN)
    form = slack.last("views.open").view
    assert form is not None
    errors = (await bot.submit(form, user=ADMIN, **{**FORM, ids.KEY: "Tier 2!", ids.TIMEZONE: "Mars/Olympus",
                                                    ids.PATH_CHANNEL.format(1): None, ids.DIGEST_TIME: "9am"})).errors
    assert "lowercase" in errors[ids.KEY] and "IANA" in errors[ids.TIMEZONE] and "HH:MM" in errors[ids.DIGEST_TIME]
    assert "channel" in errors[ids.PATH_CHANNEL.format(1)]
    assert (await app.services.directory.current()).find("tier2") is None  # nothing saved
    assert slack.count("conversations.info") == 0


async def test_channels_the_bot_cannot_post_in_are_named_in_a_dm_after_the_team_is_saved(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack) -> None:
    people(slack)
    slack.add_channel("G0SECRET", is_private=True, is_member=False)
    await bot.command("/supportbot", "setup new", user=ADMIN)
    form = slack.last("views.open").response["view"]  # as Slack shows it: with its own id
    reply = await bot.submit(form, user=ADMIN, **{**FORM, ids.CHANNELS["digest"]: "G0SECRET"})
    assert (reply.status, reply.body) == (200, "")
    assert (await app.services.directory.current()).find("tier2") is not None
    warnings = [c for c in slack.calls("chat.postMessage", channel=ADMIN) if "can't post in" in (c.text or "")]
    assert len(warnings) == 1 and "<#G0SECRET>" in (warnings[0].text or "")
    assert "/invite @supportbot" in (warnings[0].text or "") and "<#C0ESC2>" not in (warnings[0].text or "")
    slack.fail_method("conversations.info", "not_in_channel")  # an edit while Slack says the bot is not in any
    await bot.command("/supportbot", "setup tier2", user=ADMIN)
    edit = slack.last("views.open").response["view"]
    reply = await bot.submit(edit, user=ADMIN, **{ids.NAME: "Tier 2 Care"})
    assert (reply.status, reply.body) == (200, "")
    slack.clear_failures()
    warned = [c for c in slack.calls("chat.postMessage", channel=ADMIN) if "can't post in" in (c.text or "")]
    assert len(warned) == 2 and "<#C0ESC2>" in (warned[1].text or "") and "Tier 2 Care" in (warned[1].text or "")


async def test_a_newcomers_home_and_help_show_how_to_start(bot: SlackDriver, slack: FakeSlack) -> None:
    people(slack)
    await bot.event({"type": "app_home_opened", "user": NEWBIE, "channel": "D0HOME", "tab": "home",
                     "event_ts": "1700000000.000100"})
    home = slack.last("views.publish", user_id=NEWBIE).view
    assert home is not None and "Getting started" in str(home["blocks"]) and ids.OPEN_SETUP in str(home["blocks"])
    await bot.click(ids.OPEN_SETUP, user=ADMIN, value="new")
    assert slack.last("views.open").view["callback_id"] == ids.SETUP_FORM  # type: ignore[index]
    shown = (await bot.command("/supportbot", "help", user=NEWBIE)).text
    for command in ("/escalate", "/standup", "/pulse", "/kpi", "/supportbot setup"):
        assert command in shown and command in HELP
