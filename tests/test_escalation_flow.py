"""An agent logs, routes, updates and resolves an escalation entirely in Slack."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import Supportbot
from handlers.escalations import ids
from storage.models import Escalation, EscalationEvent
from tests.conftest import TeamPeople
from tests.escalation_steps import GOOD, card, escalate, open_form, press
from tests.kit.block_limits import problems, view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack


async def count(app: Supportbot, model: type) -> int:
    async with app.services.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_escalate_opens_a_prefilled_form_slack_accepts(bot: SlackDriver, slack: FakeSlack,
                                                            team: TeamPeople) -> None:
    view = await open_form(bot, slack, team.agent, "Checkout fails for ACME")
    assert view["callback_id"] == ids.ESCALATION_FORM
    assert view_problems(view) == []
    summary = next(b for b in view["blocks"] if b["block_id"] == ids.SUMMARY)
    assert summary["element"]["initial_value"] == "Checkout fails for ACME"
    severity = next(b for b in view["blocks"] if b["block_id"] == ids.SEVERITY)
    assert [o["value"] for o in severity["element"]["options"]] == ["critical", "high", "medium", "low"]
    assert all(o["description"]["text"] for o in severity["element"]["options"])
    path = next(b for b in view["blocks"] if b["block_id"] == ids.PATH)
    assert [o["text"]["text"] for o in path["element"]["options"]] == ["Engineering", "Billing"]


async def test_the_whole_flow_from_log_to_documented_outcome(bot: SlackDriver, slack: FakeSlack,
                                                             team: TeamPeople, app: Supportbot) -> None:
    reply, _ = await escalate(bot, slack, team.agent)
    assert reply.status == 200 and reply.body == ""

    # Announced in the path's channel and the team's escalation channel.
    for channel in (team.path_channel("engineering"), team.escalations_channel):
        post = slack.last("chat.postMessage", channel=channel)
        assert "ESC-1" in post.text and "P1" in post.text and "ACME Corp" in post.text
        assert problems(post.blocks) == []
        rendered = str(post.blocks)
        assert "<!date^" in rendered and "Zendesk #4411" in rendered
        assert "https://acme.zendesk.com/agent/tickets/4411" in rendered
    confirmation = slack.last("chat.postMessage", channel=team.agent)
    assert "ESC-1" in confirmation.text and "https://fake.slack.com/archives/" in confirmation.text

    # A teammate acknowledges: the cards change in place, the threads hear about it.
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.teammate, channel=team.path_channel("engineering"))
    for channel in (team.path_channel("engineering"), team.escalations_channel):
        shown = card(slack, channel)
        assert shown.method == "chat.update" and "Acknowledged" in str(shown.blocks)
        assert f"<@{team.teammate}>" in str(shown.blocks)  # whoever acknowledges owns it
        assert ids.ACKNOWLEDGE not in str(shown.blocks)
    thread = slack.last("chat.postMessage", channel=team.path_channel("engineering"))
    assert thread.thread_ts and thread.text == f"<@{team.teammate}> acknowledged it and owns it now."

    # An update goes in the thread.
    await press(bot, slack, ids.POST_UPDATE, user=team.teammate, channel=team.escalations_channel)
    update_form = slack.last("views.open").response["view"]
    assert view_problems(update_form) == []
    await bot.submit(update_form, user=team.teammate, update_text="Rolled back the payment gateway.")
    assert "Rolled back the payment gateway." in slack.last(
        "chat.postMessage", channel=team.path_channel("engineering")).text

    # Resolve: the outcome is documented on the card; the reporter is told.
    await press(bot, slack, ids.RESOLVE, user=team.teammate, channel=team.path_channel("engineering"))
    resolve_form = slack.last("views.open").response["view"]
    assert view_problems(resolve_form) == []
    empty = await bot.submit(resolve_form, user=team.teammate, outcome="", root_cause="outage",
                             customer_told="yes")
    assert ids.OUTCOME in empty.errors
    done = await bot.submit(resolve_form, user=team.teammate, outcome="Gateway fixed; ACME confirmed.",
                            root_cause="outage", customer_told="yes")
    assert done.status == 200
    shown = card(slack, team.path_channel("engineering"))
    assert "Gateway fixed; ACME confirmed." in str(shown.blocks) and "Resolved" in str(shown.blocks)
    assert ids.REOPEN in str(shown.blocks)
    told = slack.last("chat.postMessage", channel=team.agent)
    assert "resolved" in told.text and "Gateway fixed" in told.text

    # The timeline holds every change, with who and what.
    async with app.services.db() as session:
        events = (await session.scalars(select(EscalationEvent).order_by(EscalationEvent.id))).all()
        stored = await session.get(Escalation, 1)
    assert [(e.kind, e.actor) for e in events] == [
        ("opened", team.agent), ("acknowledged", team.teammate), ("update", team.teammate),
        ("resolved", team.teammate)]
    assert stored is not None and stored.status == "resolved" and stored.root_cause == "outage"
    assert stored.customer_told is True and stored.acknowledged_at is not None

    detail = await bot.command("/escalate", "ESC-1", user=team.manager)
    assert "Timeline" in detail.text and "Rolled back the payment gateway." in detail.text
    assert problems(detail.json["blocks"]) == []


async def test_assign_change_priority_and_reopen(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                 app: Supportbot) -> None:
    await escalate(bot, slack, team.agent, severity="high", impact="one", urgency="today")
    channel = team.path_channel("engineering")
    assert "P3" in slack.last("chat.postMessage", channel=channel).text

    await press(bot, slack, ids.ASSIGN, user=team.manager, channel=channel, selected_user=team.teammate)
    assert f"<@{team.teammate}>" in str(card(slack, channel).blocks)
    assert f"<@{team.manager}> made you the owner of ESC-1" in slack.last(
        "chat.postMessage", channel=team.teammate).text

    await press(bot, slack, ids.CHANGE_PRIORITY, user=team.manager, channel=channel)
    form = slack.last("views.open").response["view"]
    no_reason = await bot.submit(form, user=team.manager, new_priority="P1", reason="")
    assert ids.REASON in no_reason.errors
    await bot.submit(form, user=team.manager, new_priority="P1", reason="Three more customers affected")
    assert "P1" in card(slack, channel).text
    assert "from *P3* to *P1*" in slack.last("chat.postMessage", channel=channel).text
    async with app.services.db() as session:
        stored = await session.get(Escalation, 1)
        assert stored is not None
        assert (stored.ack_due - stored.priority_changed_at).total_seconds() == 15 * 60  # P1: 15 min, 24/7

    await press(bot, slack, ids.RESOLVE, user=team.teammate, channel=channel)
    await bot.submit(slack.last("views.open").response["view"], user=team.teammate, outcome="Fixed",
                     root_cause="product_bug", customer_told="no")
    await press(bot, slack, ids.REOPEN, user=team.agent, channel=channel)
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, reason="It came back")
    shown = card(slack, channel)
    assert "Resolved" not in str(shown.blocks) and ids.RESOLVE in str(shown.blocks)
    assert "reopened it: It came back" in slack.last("chat.postMessage", channel=channel).text


async def test_bad_input_comes_back_inline_and_stores_nothing(bot: SlackDriver, slack: FakeSlack,
                                                              team: TeamPeople, app: Supportbot) -> None:
    cases = [
        ({"summary": ""}, ids.SUMMARY, "Please enter"),
        ({"summary": "x" * 151}, ids.SUMMARY, "150 characters"),
        ({"customer": ""}, ids.CUSTOMER, "Please enter"),
        ({"tickets": "htp:/broken"}, ids.TICKETS, "htp:/broken"),
        ({"severity": None}, ids.SEVERITY, "Please choose"),
    ]
    for change, block, message in cases:
        reply, _ = await escalate(bot, slack, team.agent, **change)
        assert block in reply.errors, (change, reply.body)
        assert message in reply.errors[block]
    assert await count(app, Escalation) == 0
    assert slack.count("chat.postMessage") == 0


async def test_a_double_submission_creates_one_escalation(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                          app: Supportbot) -> None:
    view = await open_form(bot, slack, team.agent)
    from tests.escalation_steps import path_option

    values = {**GOOD, "path": path_option(view, "Billing")}
    first = await bot.submit(view, user=team.agent, **values)
    again = await bot.submit(view, user=team.agent, **values)
    assert first.status == again.status == 200
    assert await count(app, Escalation) == 1
    assert slack.count("chat.postMessage", channel=team.path_channel("billing")) == 1
    assert slack.count("chat.postMessage", channel=team.agent) == 1


async def test_people_outside_the_team_are_refused(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                   app: Supportbot) -> None:
    outsider = await bot.command("/escalate", "Printer on fire", user=team.outsider)
    assert "not in a support team" in outsider.text
    assert slack.count("views.open") == 0

    await escalate(bot, slack, team.agent)
    updates_before = slack.count("chat.update")
    await press(bot, slack, ids.ACKNOWLEDGE, user=team.outsider, channel=team.escalations_channel)
    refusal = slack.last("response_url")
    assert "Only Tier 1 Support's members and managers can act on and see its escalations" in refusal.args["text"]
    assert refusal.args["response_type"] == "ephemeral"
    assert slack.count("chat.update") == updates_before
    async with app.services.db() as session:
        stored = await session.get(Escalation, 1)
        assert stored is not None and stored.status == "open"
    hidden = await bot.command("/escalate", "ESC-1", user=team.outsider)
    assert "can't find ESC-1" in hidden.text


async def test_escalation_numbers_are_per_workspace_and_increase(bot: SlackDriver, slack: FakeSlack,
                                                                 team: TeamPeople) -> None:
    await escalate(bot, slack, team.agent)
    await escalate(bot, slack, team.teammate, path="Billing", summary="Refund stuck")
    assert "ESC-2" in slack.last("chat.postMessage", channel=team.path_channel("billing")).text


async def test_help_and_unknown_arguments(bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    helped = await bot.command("/escalate", "help", user=team.agent)
    for usage in ("/escalate list", "/escalate mine", "/escalate ESC-42", "/escalate stats"):
        assert usage in helped.text
    period = await bot.command("/escalate", "stats 2y", user=team.agent)
    assert "I don't know the period `2y`" in period.text
    assert slack.count("views.open") == 0


async def test_a_team_policy_override_sets_the_sla(bot: SlackDriver, slack: FakeSlack, app: Supportbot,
                                                   clock: object) -> None:
    from datetime import datetime

    from bot.rules.team_config import parse_teams
    from storage import teams
    from tests.conftest import TEAM_YAML

    override = TEAM_YAML + "    escalation_policy:\n      priorities: {P1: {ack_minutes: 5, resolve_minutes: 120}}\n"
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(override), now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    await escalate(bot, slack, "U0AGENT1")
    async with app.services.db() as session:
        stored = await session.get(Escalation, 1)
        assert stored is not None
        assert (stored.ack_due - stored.opened_at).total_seconds() == 5 * 60
        assert (stored.resolve_due - stored.opened_at).total_seconds() == 2 * 3600
    assert "within 5 min" in str(card(slack, "C0ENG").blocks)


async def test_someone_in_two_teams_chooses_among_both_teams_paths(bot: SlackDriver, slack: FakeSlack,
                                                                    app: Supportbot) -> None:
    from datetime import datetime

    from bot.rules.team_config import parse_teams
    from storage import teams
    from tests.conftest import TEAM_YAML

    second = ("  - key: tier2\n    name: Tier 2 Support\n    members: [U0AGENT1]\n    managers: []\n"
              "    escalation_paths: [{key: sre, name: SRE on call, channel: C0SRE}]\n")
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(TEAM_YAML + second),
                          now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    view = await open_form(bot, slack, "U0AGENT1")
    path = next(b for b in view["blocks"] if b["block_id"] == ids.PATH)
    groups = {g["label"]["text"]: [o["text"]["text"] for o in g["options"]] for g in path["element"]["option_groups"]}
    assert groups == {"Tier 1 Support": ["Engineering", "Billing"], "Tier 2 Support": ["SRE on call"]}
    await escalate(bot, slack, "U0AGENT1", path="SRE on call")
    assert "ESC-1" in card(slack, "C0SRE").text
    refused = await escalate(bot, slack, "U0AGENT2", path="Engineering")
    assert refused[0].status == 200


async def test_a_form_slack_will_not_open_is_explained(bot: SlackDriver, slack: FakeSlack, team: TeamPeople) -> None:
    slack.fail_method("views.open", error="expired_trigger_id")
    reply = await bot.command("/escalate", "Checkout fails", user=team.agent)
    assert (reply.status, reply.body) == (200, "")  # answered at once; the form opens just after
    assert "Slack would not open the escalation form (expired_trigger_id)" in slack.last("response_url").args["text"]
    slack.clear_failures()
    await escalate(bot, slack, team.agent)
    slack.fail_method("views.open", error="expired_trigger_id")
    await press(bot, slack, ids.RESOLVE, user=team.agent, channel=team.escalations_channel)
    assert "Please press the button again" in slack.last("response_url").args["text"]
