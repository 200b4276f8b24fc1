"""Merge into…: a duplicate closed as merged, its reporter, tickets and timeline moved to the target, every card
of both (in four channels each) updated once, refusals with a clear message, and stats counting it once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.escalations import ids
from handlers.escalations.jobs import run_timers
from storage import escalations, kpi_series, teams
from tests.conftest import TEAM_YAML, Clock, TeamPeople
from tests.escalation_steps import escalate, press
from tests.kit.driver import TEAM_ID, Reply, SlackDriver
from tests.kit.fake_slack import Call, FakeSlack

MOVED_YAML = TEAM_YAML.replace("C0ESC", "C0ESC2").replace("channel: C0ENG}", "channel: C0ENG2}")
"""Tier 1 after its channels moved: new cards go to C0ENG2 and C0ESC2; the old ones stay in C0ENG and C0ESC."""
FOUR = ("C0ENG", "C0ESC", "C0ENG2", "C0ESC2")
OTHER_TEAM = """
  - key: tier2
    name: Tier 2
    members: [U0OTHER]
    managers: []
    escalation_paths:
      - {key: infra, name: Infrastructure, channel: C0INFRA}
"""


def cards_of(slack: FakeSlack, number: int) -> dict[str, Call]:
    """Each channel's card of ESC-`number`, as first posted."""
    return {str(c.channel): c for c in slack.calls("chat.postMessage")
            if c.ok and not c.thread_ts and str(c.channel).startswith("C") and f"ESC-{number} ·" in (c.text or "")}


def updates(slack: FakeSlack) -> Counter[tuple[str, str]]:
    return Counter((str(c.channel), str(c.args["ts"])) for c in slack.calls("chat.update") if c.ok)


def latest(slack: FakeSlack, card: Call) -> dict[str, Any]:
    shown = slack.message(str(card.channel), str(card.response["ts"]))
    assert shown is not None
    return shown


async def open_merge(bot: SlackDriver, slack: FakeSlack, number: int, *, user: str, channel: str) -> dict[str, Any]:
    card = cards_of(slack, number)[channel]
    before = slack.count("views.open")
    await bot.click(ids.MERGE, user=user, value=str(number), channel=channel,
                    message={"ts": card.response["ts"], "blocks": card.blocks, "text": card.text})
    await slack.await_for("views.open", before + 1)
    return dict(slack.last("views.open").response["view"])


async def choose(bot: SlackDriver, view: dict[str, Any], *, user: str, value: str) -> Reply:
    """Submit the merge form with `value` chosen, as Slack sends it (also a value the list does not offer: a
    forged or stale one)."""
    chosen = {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value},
                                                            "value": value}}
    submitted = {**view, "id": "V0MERGE", "hash": "1700000000.abc", "team_id": TEAM_ID, "app_id": "A0APP",
                 "bot_id": "B0BOT", "state": {"values": {ids.MERGE_TARGET: {ids.MERGE_TARGET: chosen}}}}
    return await bot.interact({"type": "view_submission", "trigger_id": "9.1111.abc",
                               "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                               "view": submitted, "response_urls": []})


async def test_a_merge_updates_all_eight_cards_once_and_moves_the_duplicate(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    await escalate(bot, slack, team.teammate, summary="Checkout 502s", tickets="#7777")  # ESC-1, the duplicate
    await escalate(bot, slack, team.agent)  # ESC-2: ACME again, tickets 4411 and 9001
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(MOVED_YAML), now=clock.now)
        await session.commit()
    await run_timers(app.services, clock.now)  # the cards in the channels the team moved to
    duplicate, target = cards_of(slack, 1), cards_of(slack, 2)
    assert sorted(duplicate) == sorted(target) == sorted(FOUR)

    view = await open_merge(bot, slack, 1, user=team.agent, channel="C0ENG2")
    select = next(b["element"] for b in view["blocks"] if b.get("block_id") == ids.MERGE_TARGET)
    assert [o["value"] for o in select["options"]] == ["2"]  # the team's other open escalations only
    before = updates(slack)
    reply = await bot.submit(view, user=team.agent, merge_target="2")
    assert reply.status == 200 and reply.body == ""
    await run_timers(app.services, clock.now + timedelta(minutes=1))  # a tick writes nothing again
    changed = updates(slack) - before
    every = {(str(c.channel), str(c.response["ts"])) for c in [*duplicate.values(), *target.values()]}
    assert changed == Counter(dict.fromkeys(every, 1))  # all 8 cards, once each

    for card in duplicate.values():
        shown = latest(slack, card)
        assert "(merged into ESC-2)" in shown["text"] and "Merged into ESC-2" in str(shown["blocks"])
        assert not any(b["type"] == "actions" for b in shown["blocks"])  # nothing left to press
    for card in target.values():
        shown = latest(slack, card)
        assert "Merged in:* ESC-1 (reported by <@U0AGENT2>)" in str(shown["blocks"])
        assert "#7777" in str(shown["blocks"]) and "Zendesk #4411" in str(shown["blocks"])
    replies = [c.text for c in slack.calls("chat.postMessage", channel="C0ENG2") if c.ok and c.thread_ts]
    assert sum("merged it into *ESC-2*" in t for t in replies) == 1
    assert sum("merged *ESC-1* into it" in t for t in replies) == 1
    told = [c for c in slack.calls("chat.postMessage", channel=team.teammate) if "merged into ESC-2" in c.text]
    assert len(told) == 1  # the duplicate's reporter

    async with app.services.db() as session:
        merged = await escalations.get(session, 1)
        assert merged is not None and merged.status == "resolved" and merged.merged_into == 2
        entries = await escalations.timeline(session, 2)
        assert {e.came_from for e in entries if e.kind == "opened"} == {None, 1}  # both references kept
        assert [e.kind for e in await escalations.timeline(session, 1)][-1] == "merged"

    # The target resolved: the duplicate's reporter hears of it too.
    clock.advance(minutes=30)
    await press(bot, slack, ids.RESOLVE, user=team.agent, channel="C0ESC2")
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, outcome="Fixed",
                     root_cause="outage", customer_told="yes")
    assert any("ESC-2" in c.text and "was resolved" in c.text
               for c in slack.calls("chat.postMessage", channel=team.teammate))


async def test_stats_count_the_merged_customer_once(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                    team: TeamPeople, clock: Clock) -> None:
    await escalate(bot, slack, team.teammate)
    await escalate(bot, slack, team.agent)
    await escalate(bot, slack, team.agent, customer="Globex")
    view = await open_merge(bot, slack, 1, user=team.agent, channel="C0ENG")
    await bot.submit(view, user=team.agent, merge_target="2")
    async with app.services.db() as session:
        team_id = (await escalations.get(session, 2)).team_id  # type: ignore[union-attr]
        figures = await escalations.stats(session, [team_id], clock.now - timedelta(days=1),
                                          clock.now + timedelta(days=1))
        week = await kpi_series.series(session, team_id, [(date(2026, 11, 2), date(2026, 11, 2))],
                                       "America/New_York")
    assert figures.opened == 2 and figures.still_open == 2 and figures.resolved == 0
    assert dict(figures.by_customer) == {"ACME Corp": 1, "Globex": 1}
    assert week[0].values["escalations_opened"] == 2 and week[0].values["escalations_resolved"] == 0
    assert week[0].values["escalations_open"] == 2
    clock.advance(minutes=1)
    reply = await bot.command("/escalate", "stats 7d", user=team.agent)
    assert "2 opened" in reply.text


async def test_refusals_come_back_on_the_form_and_change_nothing(bot: SlackDriver, app: Supportbot,
                                                                 slack: FakeSlack, team: TeamPeople,
                                                                 clock: Clock) -> None:
    slack.add_user("U0OTHER")
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(TEAM_YAML + OTHER_TEAM), now=datetime(2026, 1, 2, tzinfo=UTC))
        await session.commit()
    await escalate(bot, slack, team.agent)  # ESC-1
    await escalate(bot, slack, team.agent, customer="Globex")  # ESC-2
    await escalate(bot, slack, "U0OTHER", path="Infrastructure")  # ESC-3, another team's
    view = await open_merge(bot, slack, 1, user=team.agent, channel="C0ENG")
    before = (len(slack.calls()), updates(slack))

    itself = await choose(bot, view, user=team.agent, value="1")
    assert itself.errors == {ids.MERGE_TARGET: "ESC-1 can't be merged into itself: pick the escalation it "
                                               "duplicates."}
    other = await choose(bot, view, user=team.agent, value="3")
    assert "ESC-3 belongs to another team" in other.errors[ids.MERGE_TARGET]
    outsider = await choose(bot, view, user="U0OTHER", value="2")
    assert "Tier 1 Support" in outsider.errors[ids.MERGE_TARGET]
    assert len(slack.calls()) == before[0] and updates(slack) == before[1]

    # ESC-2 is resolved while the form is open: the merge is refused, not made.
    await press(bot, slack, ids.RESOLVE, user=team.agent, channel="C0ESC")  # ESC-2's card is the latest there
    await bot.submit(slack.last("views.open").response["view"], user=team.agent, outcome="Fixed",
                     root_cause="outage", customer_told="yes")
    resolved = await choose(bot, view, user=team.agent, value="2")
    assert resolved.errors == {ids.MERGE_TARGET: "ESC-2 is resolved: merge into an open escalation (or reopen "
                                                 "ESC-2 first)."}
    async with app.services.db() as session:
        first = await escalations.get(session, 1)
        assert first is not None and first.status == "open" and first.merged_into is None
        assert not any(e.came_from for e in await escalations.timeline(session, 2))

    # Now nothing is left to merge ESC-1 into (ESC-2 is resolved, ESC-3 is Tier 2's): the form says so.
    fresh = await open_merge(bot, slack, 1, user=team.agent, channel="C0ENG")
    assert "no other open escalation" in str(fresh["blocks"]) and not fresh.get("submit")
