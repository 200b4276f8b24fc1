"""An initiative's owner, target date and the KPI it should move (issue 23, point 8): the change of that KPI
since it started as a table, the forms' hints, `/prioritize edit` for the proposer or a manager, and the
list through the real app with tickets in the database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.app import Supportbot
from bot.rules.scorecard import HINTS, Tracking, days_overdue, kpi_move, kpi_windows, ranked, summarise
from bot.rules.team_config import CRITERIA, DEFAULT_WEIGHTS
from handlers.kpi.jobs import run_digest
from handlers.prioritize import ids, views
from storage import scorecard
from tests.conftest import Clock, TeamPeople
from tests.kit.block_limits import problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.kpi_steps import add_tickets, day_of_tickets, tier1, utc

W = {str(k): v for k, v in DEFAULT_WEIGHTS.items()}
SCORES = {"csat": "4", "churn": "3", "cost": "4", "feasibility": "5", "alignment": "3"}


@pytest.mark.parametrize("key, before, before_n, after, after_n, shown", [
    ("csat", 50.0, 6, 75.0, 8, "CSAT: 50.0% of 6 rated → 75.0% of 8 rated (↑ 50%, better)"),
    ("csat", 80.0, 10, 60.0, 10, "CSAT: 80.0% of 10 rated → 60.0% of 10 rated (↓ 25%, worse)"),
    ("first_response_median", 92.0, 41, 61.0, 50,
     "First response (median): 1 h 32 min of 41 tickets → 1 h 1 min of 50 tickets (↓ 34%, better)"),
    ("resolution_median", 10.0, 20, 12.0, 3,
     "Resolution time (median): 10.0 h of 20 solved → 12.0 h · too few to judge (3 solved) (↑ 20%, worse)"),
    ("created", 120.0, 120, 140.0, 140, "Tickets created: 120 → 140 (↑ 17%)"),  # a volume: neither better nor worse
    ("sla_breaches", 0.0, 30, 3.0, 25, "SLA breaches: 0 → 3 (up from zero, worse)"),
    ("sla_breaches", 0.0, 30, 0.0, 25, "SLA breaches: 0 → 0 (no change)"),
    ("enps", 10.0, 6, 10.0, 7, "eNPS (latest round): +10 of 6 answers → +10 of 7 answers (→ 0%)"),
    # either window empty: nothing to compare yet
    ("csat", None, 0, 75.0, 8, "CSAT: not enough data yet"),
    ("csat", 75.0, 8, None, 0, "CSAT: not enough data yet"),
    ("created", 0.0, 0, 14.0, 14, "Tickets created: not enough data yet"),
    ("escalation_sla", None, 0, None, 0, "Escalation SLA attainment: not enough data yet"),
])
def test_the_kpis_change_since_the_initiative_started(key: str, before: float | None, before_n: int,
                                                     after: float | None, after_n: int, shown: str) -> None:
    move = kpi_move(key, before, before_n, after, after_n)
    assert str(move) == shown
    assert move.enough is (before_n > 0 and after_n > 0 and before is not None and after is not None)


@pytest.mark.parametrize("started, today, before, after", [
    # the 7 days before the day it was proposed; the last 7 days, none of them before it was proposed
    (date(2026, 11, 2), date(2026, 11, 12), (date(2026, 10, 26), date(2026, 11, 1)),
     (date(2026, 11, 6), date(2026, 11, 12))),
    (date(2026, 11, 2), date(2026, 11, 4), (date(2026, 10, 26), date(2026, 11, 1)),
     (date(2026, 11, 2), date(2026, 11, 4))),
    (date(2026, 11, 2), date(2026, 11, 2), (date(2026, 10, 26), date(2026, 11, 1)),
     (date(2026, 11, 2), date(2026, 11, 2))),
])
def test_the_two_windows(started: date, today: date, before: tuple[date, date], after: tuple[date, date]) -> None:
    assert kpi_windows(started, today) == (before, after)


@pytest.mark.parametrize("target, today, overdue", [
    (None, date(2026, 11, 2), 0), (date(2026, 11, 2), date(2026, 11, 2), 0),
    (date(2026, 11, 3), date(2026, 11, 2), 0), (date(2026, 11, 1), date(2026, 11, 2), 1),
    (date(2026, 10, 3), date(2026, 11, 2), 30),
])
def test_days_overdue(target: date | None, today: date, overdue: int) -> None:
    assert days_overdue(target, today) == overdue


def test_every_criterion_says_what_5_means() -> None:
    assert HINTS["feasibility"].startswith("5 = easiest to do")
    assert all(HINTS[c].startswith("5 = most benefit") for c in ("csat", "churn", "cost", "alignment"))
    form = views.propose_form("tier1", W)
    hints = {b["block_id"]: b.get("hint", {}).get("text") for b in form["blocks"] if b["type"] == "input"}
    assert hints["feasibility"] == HINTS["feasibility"] and hints["csat"] == HINTS["csat"]
    assert not problems(form["blocks"])


async def propose(bot: SlackDriver, slack: FakeSlack, user: str, title: str, **tracking: Any) -> Any:
    await bot.command("/prioritize", "", user=user)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.PROPOSE_FORM
    return (await bot.submit(form, user=user, **{ids.TITLE: title, **SCORES, **tracking})).body


def rated(prefix: str, solved: str, good: int, bad: int) -> list[dict[str, Any]]:
    """Tickets solved at `solved` (UTC), `good` rated good and `bad` rated bad."""
    return [{"id": f"{prefix}-{n}", "created": solved.replace("T15", "T09"), "first_response": solved,
             "solved": solved, "csat_good": n < good} for n in range(good + bad)]


async def stored(app: Supportbot, title: str) -> Any:
    async with app.services.db() as session:
        found = [i for i, _ in await scorecard.open_for_team(session, (await tier1(app)).id) if i.title == title]
    assert found, title
    return found[0]


async def test_the_list_shows_owner_target_date_and_the_kpis_change(app: Supportbot, bot: SlackDriver,
                                                                     slack: FakeSlack, team: TeamPeople,
                                                                     clock: Clock) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *rated("before", "2026-10-28T15:00", 3, 3))  # 50.0% of 6 rated
    assert not await propose(bot, slack, team.agent, "Refund macros", owner=team.teammate, target_date="2026-11-05",
                         kpi="csat")
    assert not await propose(bot, slack, team.teammate, "Escalation playbook", kpi="escalation_sla")
    assert not await propose(bot, slack, team.agent, "Nothing tracked")
    refunds = await stored(app, "Refund macros")
    assert (refunds.owner, refunds.target_date, refunds.kpi) == (team.teammate, date(2026, 11, 5), "csat")

    clock.advance(days=10)  # Thursday 12 November: the last 7 days are 6–12 November
    await add_tickets(app, profile.id, *rated("after", "2026-11-09T15:00", 6, 2))  # 75.0% of 8 rated
    await add_tickets(app, profile.id, *rated("between", "2026-11-04T15:00", 0, 9))  # in neither window
    shown = (await bot.command("/prioritize", "list", user=team.manager)).text
    line = shown[shown.index("Refund macros"):shown.index("Escalation playbook")]
    assert f"👤 <@{team.teammate}>" in line and "🎯 Thu 5 Nov 2026" in line and "overdue* by 7 days" in line
    assert "CSAT: 50.0% of 6 rated → 75.0% of 8 rated (↑ 50%, better)" in line
    assert "Escalation SLA attainment: not enough data yet" in shown
    untracked = shown[shown.index("Nothing tracked"):]
    assert "👤" not in untracked and "📈" not in untracked and "🎯" not in untracked

    assert "Sharing" in (await bot.command("/prioritize", "share", user=team.agent, channel="C0TEAM")).text
    assert "75.0% of 8 rated" in str(slack.last("chat.postMessage", channel="C0TEAM").blocks)


async def test_the_proposer_or_a_manager_edits_it(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                  team: TeamPeople, clock: Clock) -> None:
    assert not await propose(bot, slack, team.agent, "Refund macros", target_date="2026-11-20")
    number = (await stored(app, "Refund macros")).id

    refused = (await bot.command("/prioritize", f"edit {number}", user=team.teammate)).text
    assert "Only Tier 1 Support's managers can change an initiative's owner" in refused
    assert "whoever proposed it can too" in refused
    assert "has no open initiative #999" in (await bot.command("/prioritize", "edit 999", user=team.agent)).text

    await bot.command("/prioritize", f"edit {number}", user=team.agent)  # the proposer
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.TRACK_FORM
    target = next(b for b in form["blocks"] if b.get("block_id") == ids.TARGET)
    assert target["element"]["type"] == "datepicker" and target["element"]["initial_date"] == "2026-11-20"
    reply = await bot.submit(form, user=team.agent, owner=team.agent, target_date="2026-10-30",
                             kpi="first_response_median")
    assert reply.errors == {ids.TARGET: "2026-10-30 has passed: choose today or a later day."}
    edited = await stored(app, "Refund macros")
    assert (edited.owner, edited.target_date, edited.kpi) == (None, date(2026, 11, 20), None)  # unchanged
    assert not (await bot.submit(form, user=team.agent, owner=team.agent, kpi="first_response_median")).body
    edited = await stored(app, "Refund macros")
    assert (edited.owner, edited.target_date, edited.kpi) == (team.agent, date(2026, 11, 20),
                                                               "first_response_median")

    clock.advance(days=30)  # past the target date: a manager changes the KPI and keeps the date
    await bot.command("/prioritize", f"edit {number}", user=team.manager)
    form = slack.last("views.open").view
    assert form is not None
    assert not (await bot.submit(form, user=team.manager, kpi="csat", owner=None)).body
    edited = await stored(app, "Refund macros")
    assert (edited.owner, edited.target_date, edited.kpi) == (None, date(2026, 11, 20), "csat")
    forged = await bot.submit(form, user=team.teammate, kpi="fcr")
    assert "Only Tier 1 Support's managers" in forged.errors[ids.OWNER]
    assert (await stored(app, "Refund macros")).kpi == "csat"


async def test_a_proposal_with_a_past_target_date_is_refused(app: Supportbot, bot: SlackDriver, slack: FakeSlack,
                                                             team: TeamPeople) -> None:
    body = await propose(bot, slack, team.agent, "Too late", target_date="2026-11-01")
    assert json.loads(body)["errors"] == {ids.TARGET: "2026-11-01 has passed: choose today or a later day."}
    async with app.services.db() as session:
        assert await scorecard.open_for_team(session, (await tier1(app)).id) == []


def test_a_hundred_tracked_initiatives_stay_within_slacks_limits() -> None:
    many = [summarise(n, "<&>" * 50, datetime(2026, 11, 1, tzinfo=UTC), {"U1": {c: 3 for c in W}}, W, ["U1"])
            for n in range(100)]
    move = kpi_move("first_response_median", 1e7, 10**9, 2e7, 10**9)
    tracking = {n: Tracking("U0AGENT1" + "X" * 20, date(2026, 1, 1), 10**6, move) for n in range(100)}
    text, blocks = views.ranked_list("Tier <&> " * 40, ranked(many), W, tracking)
    assert not problems(blocks) and len(text) < 4000
    assert sum("📈" in str(b) for b in blocks if b["type"] == "section") == views.LIST_SHOWN
    assert views.track_form(1, "T" * 150, "U1", date(2026, 1, 1), "csat")["blocks"]
    assert not problems(views.track_form(1, "T" * 150, "U1", date(2026, 1, 1), "csat")["blocks"])


async def test_mondays_top_three_show_owner_target_date_and_kpi(app: Supportbot, slack: FakeSlack,
                                                                team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-15", first_response_minutes=30, good=3),
                      *day_of_tickets("2026-11-01", first_response_minutes=30, good=6, prefix="b"))
    async with app.services.db() as session:
        made = await scorecard.propose(session, profile.id, title="Refund macros", description="", link=None,
                                       proposer=team.agent, now=utc("2026-10-20T16:00"), owner=team.teammate,
                                       target_date=date(2026, 10, 30), kpi="csat")
        await scorecard.score(session, made.id, team.agent, dict.fromkeys(CRITERIA, 4), now=utc("2026-10-20T16:00"))
        await session.commit()
    await run_digest(app.services, utc("2026-11-02T14:00"))  # Monday: its digest's "today" is 2 November
    monday = [c for c in slack.calls("chat.postMessage", channel="C0DIGEST") if c.ok and c.blocks][-1]
    top = next(b["text"]["text"] for b in monday.blocks or [] if "Top initiatives" in str(b))
    assert ("1. *Refund macros* · 4.00 of 5 · 1 score\n"
            f"      👤 <@{team.teammate}> · 🎯 Fri 30 Oct 2026 · ⚠️ *overdue* by 3 days · 📈 CSAT: 50.0% of 6 rated"
            " → 100.0% of 6 rated (↑ 100%, better)") in top
