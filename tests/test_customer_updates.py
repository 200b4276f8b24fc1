"""Customer-update drafts: the rules as tables, templates checked at `config apply`, and an agent drafting an
update for each stage from a card, with the next-update time across a business-hours boundary for P3, and
marking it sent (a timeline entry, the update clock restarted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Supportbot
from bot.cli import main
from bot.rules.customer_updates import (
    DEFAULT_TEMPLATES,
    NOTHING_DONE,
    Facts,
    addressed,
    check_template,
    clause,
    done_lines,
    placeholders_in,
    stage_of,
    template_for,
    when,
)
from bot.rules.customer_updates import (
    draft as fill_draft,
)
from bot.rules.team_config import ConfigError, parse_teams
from handlers.escalations import ids
from storage import teams
from storage.models import Escalation, EscalationEvent
from tests.conftest import TEAM_YAML, Clock, TeamPeople
from tests.escalation_steps import card, escalate, press
from tests.kit.block_limits import view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

NY = ZoneInfo("America/New_York")

# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize("stage, template, problem", [
    ("new", "Hi {customer}, by {next_update}", None),
    ("resolved", "Hi {customer}: {outcome}", None),
    ("in_progress", "Literal {{braces}} are fine: {ref}", None),
    ("new", "Hi {customr}", "unknown placeholder {customr}; new updates can use {customer}"),
    ("resolved", "Next update {next_update}", "unknown placeholder {next_update} (a resolved escalation has no"),
    ("new", "{outcome}", "unknown placeholder {outcome}"),
    ("new", "Hi {0}", "{0} is not a placeholder"),
    ("new", "Hi {customer.name}", "{customer.name} is not a placeholder"),
    ("new", "Hi {customer:>9}", "{customer:>9} is not a placeholder"),
    ("new", "Hi {customer", "write a literal brace as {{ or }}"),
])
def test_templates_are_checked(stage: Any, template: str, problem: str | None) -> None:
    if problem is None:
        assert check_template(stage, template) == template
    else:
        with pytest.raises(ValueError) as raised:
            check_template(stage, template)
        assert problem in str(raised.value)


def test_the_defaults_use_only_their_placeholders() -> None:
    for stage, template in DEFAULT_TEMPLATES.items():
        assert check_template(stage, template) == template


INTERNAL = ("ref", "customer_as_logged", "all_updates")


def test_the_defaults_carry_nothing_internal_and_a_teams_template_may() -> None:
    for stage, template in DEFAULT_TEMPLATES.items():
        assert not set(placeholders_in(template)) & set(INTERNAL), stage
        own = "{customer_as_logged} {ref}: {all_updates}"
        assert check_template(stage, own) == own


@pytest.mark.parametrize("logged, name", [
    ("ACME Corp (account 4411)", "ACME Corp"), ("ACME Corp, account 4411", "ACME Corp"),
    ("ACME Corp - acct #4411", "ACME Corp"), ("Hooli [EU]  ", "Hooli"), ("Globex", "Globex"),
    ("Acme 2000 Inc", "Acme 2000 Inc"), ("(4411)", "(4411)"),
])
def test_the_customer_as_a_message_to_them_names_them(logged: str, name: str) -> None:
    assert addressed(logged) == name


FACTS = Facts(customer="ACME Corp", summary="Checkout fails", ref="ESC-9", team="Tier 1 Support",
              owner="our Tier 1 Support team", done="- Rolled back", agent="sam okafor",
              next_update="Monday 7 December at 16:00 EST", customer_as_logged="ACME Corp (account 4411)",
              all_updates="- Rolled back\n- Internal: blame the deploy")


@pytest.mark.parametrize("template, text", [
    ("{owner} owns this.", "Our Tier 1 Support team owns this."),
    ("Hi. {owner} owns this! {owner} again? {owner}", "Hi. Our Tier 1 Support team owns this! Our Tier 1 Support "
                                                      "team again? Our Tier 1 Support team"),
    ("Update:\n{owner} is on it", "Update:\nOur Tier 1 Support team is on it"),
    ("Hi, {owner} is on it", "Hi, our Tier 1 Support team is on it"),
    ("{{literal}}. {owner}", "{literal}. Our Tier 1 Support team"),
    ("{customer_as_logged} · {ref}\n{all_updates}", "ACME Corp (account 4411) · ESC-9\n- Rolled back\n"
                                                     "- Internal: blame the deploy"),
])
def test_a_value_that_starts_a_sentence_is_capitalised(template: str, text: str) -> None:
    assert fill_draft(template, FACTS) == text


def test_the_default_in_progress_draft_is_safe_to_send() -> None:
    text = fill_draft(DEFAULT_TEMPLATES["in_progress"], FACTS)
    assert text.startswith("Hi ACME Corp team,\n") and "Our Tier 1 Support team owns this" in text
    assert "ESC-9" not in text and "4411" not in text and "Internal" not in text and "- Rolled back" in text


@pytest.mark.parametrize("status, updates, stage", [
    ("open", 0, "new"), ("open", 1, "in_progress"), ("acknowledged", 0, "in_progress"),
    ("acknowledged", 3, "in_progress"), ("resolved", 0, "resolved"), ("resolved", 2, "resolved"),
])
def test_the_stage(status: str, updates: int, stage: str) -> None:
    assert stage_of(status, updates) == stage


@pytest.mark.parametrize("templates, priority, stage, chosen", [
    ({}, "P1", "new", DEFAULT_TEMPLATES["new"]),
    ({"": {"new": "every"}}, "P1", "new", "every"),
    ({"": {"new": "every"}, "P1": {"new": "p1"}}, "P1", "new", "p1"),
    ({"": {"new": "every"}, "P1": {"new": "p1"}}, "P2", "new", "every"),
    ({"P1": {"resolved": "p1 done"}}, "P1", "new", DEFAULT_TEMPLATES["new"]),
])
def test_which_template(templates: dict[str, dict[str, str]], priority: str, stage: Any, chosen: str) -> None:
    assert template_for(templates, priority, stage) == chosen


@pytest.mark.parametrize("notes, lines", [
    ([], NOTHING_DONE),
    (["Rolled back", "  ", "Found\nthe  cause"], "- Rolled back\n- Found the cause"),
    ([str(n) for n in range(8)], "- 3\n- 4\n- 5\n- 6\n- 7"),
])
def test_what_was_done(notes: list[str], lines: str) -> None:
    assert done_lines(notes) == lines


@pytest.mark.parametrize("at, zone, text", [
    (datetime(2026, 12, 7, 21, 0, tzinfo=UTC), "America/New_York", "Monday 7 December at 16:00 EST"),
    (datetime(2026, 12, 7, 21, 0, tzinfo=UTC), "Europe/Berlin", "Monday 7 December at 22:00 CET"),
    (datetime(2026, 7, 1, 8, 5, tzinfo=UTC), "Asia/Tokyo", "Wednesday 1 July at 17:05 JST"),
])
def test_when_in_the_customers_words(at: datetime, zone: str, text: str) -> None:
    assert when(at, ZoneInfo(zone)) == text


@pytest.mark.parametrize("summary, shown", [("Checkout fails.", "Checkout fails"), (" Slow search ", "Slow search")])
def test_the_summary_inside_a_sentence(summary: str, shown: str) -> None:
    assert clause(summary) == shown


def test_a_team_template_with_an_unknown_placeholder_is_refused_by_name() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_teams(TEAM_YAML + "    customer_updates:\n      P3:\n        in_progress: 'Hi {client}'\n")
    assert raised.value.problems[0].startswith("teams[0].customer_updates.P3.in_progress: unknown placeholder "
                                               "{client};")


def test_config_apply_names_the_placeholder_and_changes_nothing(tmp_path: Path, database_url: str,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SUPPORTBOT_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(TEAM_YAML + "    customer_updates:\n      new: 'Hello {customer}'\n")
    bad.write_text(TEAM_YAML + "    customer_updates:\n      resolved: 'Fixed, next update {next_update}'\n")
    assert main(["config", "apply", str(good)]) == 0
    capsys.readouterr()
    assert main(["config", "apply", str(bad)]) != 0
    assert "teams[0].customer_updates.resolved: unknown placeholder {next_update}" in capsys.readouterr().err
    assert main(["config", "show"]) == 0
    shown = capsys.readouterr().out
    assert "Hello {customer}" in shown and "Fixed, next update" not in shown


# --------------------------------------------------------------------------- drafting from a card


async def draft(bot: SlackDriver, slack: FakeSlack, user: str, *, channel: str = "C0ENG", zone: str | None = None,
                name_owner: bool = False) -> dict[str, Any]:
    """Press Draft customer update on the card, answer the choices; the draft view Slack is told to show."""
    await press(bot, slack, ids.DRAFT_UPDATE, user=user, channel=channel)
    choices = slack.last("views.open")
    assert choices.ok and view_problems(choices.args["view"]) == []
    form = slack.view(choices.response["view"]["id"])  # as shown now: with the owner's name once Slack said it
    assert form is not None and all(view_problems(c.args["view"]) == [] for c in slack.calls("views.update"))
    values: dict[str, Any] = {ids.CUSTOMER_TZ: zone or "America/New_York"}
    if any(b.get("block_id") == ids.NAME_OWNER for b in form["blocks"]):
        values[ids.NAME_OWNER] = "owner" if name_owner else "team"
    reply = await bot.submit(form, user=user, **values)
    assert reply.status == 200 and reply.json["response_action"] == "update", reply.body
    assert view_problems(reply.json["view"]) == []
    return dict(reply.json["view"])


def text_of(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.DRAFT_TEXT)
    return str(block["element"]["initial_value"])


async def stored(app: Supportbot) -> tuple[Escalation, list[EscalationEvent]]:
    async with app.services.db() as session:
        escalation = (await session.scalars(select(Escalation))).one()
        events = list((await session.scalars(select(EscalationEvent).order_by(EscalationEvent.id))).all())
        return escalation, events


async def test_a_draft_for_each_stage(bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot,
                                      clock: Clock) -> None:
    slack.add_user(team.agent, real_name="Ana Agent")
    slack.add_user(team.teammate, real_name="Tom Mate")
    await escalate(bot, slack, team.agent, summary="Checkout fails for ACME.")  # P1: updates every hour, 24/7

    new = text_of(await draft(bot, slack, team.agent))
    assert "Hi ACME Corp team," in new and "We understand the problem: Checkout fails for ACME." in new
    assert "our Tier 1 Support team" in new and NOTHING_DONE in new and "Ana Agent" in new
    assert "by Monday 2 November at 10:00 EST" in new  # 09:00 in New York + 1 hour

    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel="C0ENG")
    await press(bot, slack, ids.POST_UPDATE, user=team.teammate, channel="C0ENG")
    await bot.submit(slack.last("views.open").response["view"], user=team.teammate,
                     update_text="Rolled back the payment gateway", update_audience="customer")
    clock.advance(minutes=20)
    named = text_of(await draft(bot, slack, team.agent, zone="Europe/Berlin", name_owner=True))
    assert "Here is an update on Checkout fails for ACME.\n" in named and "ESC-1" not in named
    assert "Tom Mate of our Tier 1 Support team owns this" in named
    assert "- Rolled back the payment gateway" in named
    assert "by Monday 2 November at 16:20 CET" in named  # 09:20 New York is 15:20 in Berlin, + 1 hour
    anonymous = text_of(await draft(bot, slack, team.agent))
    assert "Tom Mate" not in anonymous and "\nOur Tier 1 Support team owns this" in anonymous

    await press(bot, slack, ids.RESOLVE, user=team.teammate, channel="C0ENG")
    await bot.submit(slack.last("views.open").response["view"], user=team.teammate,
                     outcome="Gateway patched; payments flow again.", root_cause="product_bug", customer_told="no")
    resolved_view = await draft(bot, slack, team.agent)
    resolved = text_of(resolved_view)
    assert "is resolved" in resolved and "Gateway patched; payments flow again." in resolved
    assert "hear from us again" not in resolved and "no further update is due" in str(resolved_view)


async def test_p3_next_update_crosses_the_weekend_in_business_hours(bot: SlackDriver, slack: FakeSlack,
                                                                   team: TeamPeople, clock: Clock) -> None:
    clock.now = datetime(2026, 12, 4, 16, 0, tzinfo=NY).astimezone(UTC)  # a Friday, an hour before closing
    await escalate(bot, slack, team.agent, severity="high", impact="one", urgency="today")
    assert "P3" in card(slack, "C0ENG").text
    # 8 business hours (09:00–17:00, Mon–Fri): 1 on Friday, 7 on Monday.
    view = await draft(bot, slack, team.agent)
    assert "by Monday 7 December at 16:00 EST" in text_of(view)
    assert "by Monday 7 December at 22:00 CET" in text_of(await draft(bot, slack, team.agent, zone="Europe/Berlin"))


async def test_marking_it_sent_is_on_the_timeline_and_restarts_the_update_clock(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    await escalate(bot, slack, team.agent, summary="Exports <!channel> fail")
    before, _ = await stored(app)
    clock.advance(minutes=45)
    view = await draft(bot, slack, team.agent)
    reply = await bot.submit(view, user=team.agent, **{ids.DRAFT_TEXT: "Hi ACME, we are on it <!channel>."})
    assert reply.status == 200 and reply.body == ""
    after, events = await stored(app)
    assert events[-1].kind == "customer_update" and events[-1].actor == team.agent
    assert events[-1].note == "Hi ACME, we are on it <!channel>."
    assert after.last_update_at is not None and after.last_update_at.replace(tzinfo=UTC) == clock.now
    assert after.update_due.replace(tzinfo=UTC) == clock.now + timedelta(hours=1)
    assert after.update_due > before.update_due
    reply_in_thread = slack.last("chat.postMessage", channel="C0ENG")
    assert reply_in_thread.thread_ts and "sent the customer an update" in reply_in_thread.text
    assert "&lt;!channel&gt;" in reply_in_thread.text and "<!channel>" not in reply_in_thread.text
    # The card's SLA line counts the next update from now.
    assert card(slack, "C0ENG").method == "chat.update"

    # The same submission again (a retry or a double click) records nothing more.
    again = await bot.submit(view, user=team.agent, **{ids.DRAFT_TEXT: "Hi ACME, we are on it <!channel>."})
    assert again.status == 200
    assert len((await stored(app))[1]) == len(events) + 1  # a second customer update: a new, deliberate send


async def test_sending_the_resolution_marks_the_customer_told(bot: SlackDriver, slack: FakeSlack,
                                                              team: TeamPeople, app: Supportbot) -> None:
    await escalate(bot, slack, team.agent)
    await press(bot, slack, ids.RESOLVE, user=team.agent, channel="C0ENG")
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, outcome="Fixed",
                     root_cause="product_bug", customer_told="no")
    assert (await stored(app))[0].customer_told is False
    view = await draft(bot, slack, team.agent)
    await bot.submit(view, user=team.agent, **{ids.DRAFT_TEXT: text_of(view)})
    assert (await stored(app))[0].customer_told is True
    assert "customer told" in str(card(slack, "C0ENG").blocks)


async def test_a_teams_own_template_and_bad_choices(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                    app: Supportbot) -> None:
    own = TEAM_YAML + "    customer_updates:\n      new: 'Team says {summary} by {next_update}'\n" \
                      "      P1:\n        new: 'P1 says {summary}, next {next_update}'\n"
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(own), now=datetime(2026, 1, 2, tzinfo=UTC))
        await session.commit()
    app.services.directory.invalidate()
    await escalate(bot, slack, team.agent)
    assert text_of(await draft(bot, slack, team.agent)).startswith("P1 says Checkout fails for ACME, next Monday")

    await press(bot, slack, ids.DRAFT_UPDATE, user=team.agent, channel="C0ENG")
    form = dict(slack.last("views.open").response["view"])
    forged = {**form, "blocks": [
        {**b, "element": {**b["element"], "options": [{"text": {"type": "plain_text", "text": "Mars"},
                                                        "value": "Mars/Olympus"}]}}
        if b.get("block_id") == ids.CUSTOMER_TZ else b for b in form["blocks"]]}
    refused = await bot.submit(forged, user=team.agent, **{ids.CUSTOMER_TZ: "Mars/Olympus"})
    assert refused.json["response_action"] == "errors" and ids.CUSTOMER_TZ in refused.json["errors"]
    outsider = await bot.submit(form, user=team.outsider, **{ids.CUSTOMER_TZ: "UTC"})
    assert outsider.json["response_action"] == "errors"


async def test_post_update_asks_who_may_read_it_and_drafts_quote_only_what_the_customer_may(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot) -> None:
    await escalate(bot, slack, team.agent, customer="ACME Corp (account 4411)")
    updates = {"Blame the bad deploy from Jo's branch": None, "Payment gateway rolled back": "customer",
               "Still watching the error rate": "internal"}
    for text, audience in updates.items():
        await press(bot, slack, ids.POST_UPDATE, user=team.agent, channel="C0ENG")
        form = slack.last("views.open").response["view"]
        [choice] = [b for b in form["blocks"] if b.get("block_id") == ids.UPDATE_AUDIENCE]
        assert choice["element"]["initial_option"]["value"] == "internal"  # internal unless the agent says so
        values = {"update_text": text, **({ids.UPDATE_AUDIENCE: audience} if audience else {})}
        reply = await bot.submit(form, user=team.agent, **values)
        assert reply.status == 200 and reply.body == "", reply.body
    _, events = await stored(app)
    assert [(e.note, e.customer_visible) for e in events if e.kind == "update"] == [
        ("Blame the bad deploy from Jo's branch", False), ("Payment gateway rolled back", True),
        ("Still watching the error rate", False)]
    replies = [c.text or "" for c in slack.calls("chat.postMessage", channel="C0ENG") if c.thread_ts]
    assert any("(may be shared with the customer):\nPayment gateway rolled back" in r for r in replies)
    assert any("(internal):\nStill watching the error rate" in r for r in replies)

    text = text_of(await draft(bot, slack, team.agent))
    assert text.startswith("Hi ACME Corp team,\n") and "4411" not in text and "ESC-" not in text
    assert "- Payment gateway rolled back" in text
    assert "Jo's branch" not in text and "error rate" not in text
    assert "\nOur Tier 1 Support team owns this" in text

    forged = {**form, "blocks": [  # a value Slack would never send for these options
        {**b, "element": {**b["element"], "initial_option": None, "options": [
            {"text": {"type": "plain_text", "text": "Everyone"}, "value": "everyone"}]}}
        if b.get("block_id") == ids.UPDATE_AUDIENCE else b for b in form["blocks"]]}
    refused = await bot.submit(forged, user=team.agent, update_text="x", **{ids.UPDATE_AUDIENCE: "everyone"})
    assert refused.json["response_action"] == "errors" and ids.UPDATE_AUDIENCE in refused.json["errors"]
    assert len([e for e in (await stored(app))[1] if e.kind == "update"]) == 3


async def test_a_teams_own_template_can_still_use_the_internal_placeholders(
        bot: SlackDriver, slack: FakeSlack, team: TeamPeople, app: Supportbot) -> None:
    own = TEAM_YAML + "    customer_updates:\n      in_progress: \"{customer_as_logged} {ref}\\n{all_updates}\"\n"
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(own), now=datetime(2026, 1, 2, tzinfo=UTC))
        await session.commit()
    app.services.directory.invalidate()
    await escalate(bot, slack, team.agent, customer="ACME Corp (account 4411)")
    await press(bot, slack, ids.POST_UPDATE, user=team.agent, channel="C0ENG")
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, update_text="Internal note")
    assert text_of(await draft(bot, slack, team.agent)) == "ACME Corp (account 4411) ESC-1\n- Internal note"
