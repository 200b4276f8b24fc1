"""Finding and learning: lists, one escalation in full, stats, and the weekly review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.app import Supportbot
from bot.rules import escalation_changes as rules
from bot.seed import act, seed_escalation, state
from handlers.escalations.jobs import run_review
from storage import escalations, teams
from tests.conftest import Clock, TeamPeople
from tests.kit.block_limits import problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

MONDAY = datetime.fromisoformat("2026-11-09T14:00:00+00:00")  # 09:00 in New York


@dataclass(frozen=True)
class Seed:
    opened: datetime
    priority: str = "P2"  # 24/7: ack 30 min, resolve 8 h
    customer: str = "ACME"
    path: str = "engineering"
    ack_after: float | None = None  # minutes
    resolve_after: float | None = None  # minutes
    root_cause: str = "product_bug"
    reporter: str = "U0AGENT1"


async def seed(app: Supportbot, seeds: list[Seed]) -> None:
    team = (await app.services.directory.current()).find("tier1")
    assert team is not None
    async with app.services.db() as session:
        for number, s in enumerate(seeds):
            escalation = await seed_escalation(
                session, team, now=s.opened, path=s.path, key=f"seed:{number}", reporter=s.reporter,
                customer=s.customer, summary=f"Problem {number}", priority=s.priority)
            if s.ack_after is not None:
                at = s.opened + timedelta(minutes=s.ack_after)
                await act(session, escalation, team, rules.acknowledge(state(escalation), "U0AGENT2", at))
            if s.resolve_after is not None:
                at = s.opened + timedelta(minutes=s.resolve_after)
                await act(session, escalation, team, rules.resolve(
                    state(escalation), "U0AGENT2", outcome="Fixed", root_cause=s.root_cause, customer_told=True,
                    now=at))


def days_ago(days: float, *, now: datetime = MONDAY) -> datetime:
    return now - timedelta(days=days)


LAST_WEEK = [
    Seed(days_ago(6), ack_after=10, resolve_after=120, customer="ACME"),
    Seed(days_ago(5), ack_after=20, resolve_after=600, customer="ACME", root_cause="outage"),  # late resolve
    Seed(days_ago(4), ack_after=40, resolve_after=300, customer="Globex", path="billing",
         root_cause="billing"),  # late ack
    Seed(days_ago(3), priority="P1", ack_after=5, customer="Initech"),  # open, resolve target passed
    Seed(days_ago(0.01), customer="ACME"),  # open, not yet due
]
WEEK_BEFORE = [Seed(days_ago(10), ack_after=10, resolve_after=60), Seed(days_ago(9), ack_after=10)]


async def test_stats_figures_match_the_escalations(bot: SlackDriver, team: TeamPeople, app: Supportbot,
                                                   clock: Clock) -> None:
    await seed(app, LAST_WEEK + WEEK_BEFORE)
    async with app.services.db() as session:
        team_row = await teams.get(session, "tier1")
        assert team_row is not None
        figures = await escalations.stats(session, [team_row.id], days_ago(7), MONDAY)
    assert figures.opened == 5 and figures.resolved == 3 and figures.still_open == 2
    assert dict(figures.by_priority) == {"P2": 4, "P1": 1}
    assert dict(figures.by_path) == {"Engineering": 4, "Billing": 1}
    assert dict(figures.by_customer) == {"ACME": 3, "Globex": 1, "Initech": 1}
    assert dict(figures.repeat_customers) == {"ACME": 3}
    assert dict(figures.by_root_cause) == {"billing": 1, "outage": 1, "product_bug": 1}
    # acknowledged after 10, 20, 40, 5 minutes: median 15, p90 (linear) 34
    assert figures.time_to_ack.median == timedelta(minutes=15)
    assert figures.time_to_ack.p90 == timedelta(minutes=34)
    # resolved after 120, 600, 300 minutes: median 300, p90 = 300 + 0.8 * 300 = 540
    assert figures.time_to_resolve.median == timedelta(minutes=300)
    assert figures.time_to_resolve.p90 == timedelta(minutes=540)
    # ack due for the four acknowledged ones (the newest is not due yet): 3 on time (10, 20, 5 ≤ 30/15)
    assert (figures.ack_attainment.met, figures.ack_attainment.total) == (3, 4)
    # resolution due for the three resolved (8 h target: 120 and 300 minutes on time, 600 late) and the
    # P1 still open past its 4 hours
    assert (figures.resolve_attainment.met, figures.resolve_attainment.total) == (2, 4)
    assert figures.attainment.percent == pytest.approx(100 * 5 / 8, abs=0.1)

    clock.now = MONDAY
    shown = await bot.command("/escalate", "stats 7d", user=team.manager)
    assert shown.status == 200 and problems(shown.json["blocks"]) == []
    for expected in ("median 15 min, p90 34 min", "median 5 h, p90 9 h", "ACME 3", "Repeat customers",
                     "Engineering 4", "Billing 1", "Outage 1", "75%"):
        assert expected in shown.text, expected


async def test_lists_show_what_is_open_most_urgent_first(bot: SlackDriver, team: TeamPeople, app: Supportbot,
                                                         clock: Clock) -> None:
    await seed(app, LAST_WEEK)
    clock.now = MONDAY
    listed = await bot.command("/escalate", "list", user=team.manager)
    assert "2 open" in listed.text
    assert listed.text.index("ESC-4") < listed.text.index("ESC-5")  # P1 before P2
    assert "past resolution target" in listed.text
    mine = await bot.command("/escalate", "mine", user=team.agent)
    assert "ESC-4" in mine.text and "ESC-1" not in mine.text  # resolved ones are not open
    owned = await bot.command("/escalate", "mine", user=team.teammate)  # acknowledging ESC-4 made them its owner
    assert "ESC-4" in owned.text and "ESC-5" not in owned.text
    nothing = await bot.command("/escalate", "mine", user=team.manager)
    assert "Nothing open" in nothing.text


async def test_the_largest_list_and_stats_stay_within_block_kit_limits(
        bot: SlackDriver, team: TeamPeople, app: Supportbot, clock: Clock) -> None:
    many = [Seed(days_ago(i / 10), customer=f"Customer {i:03d} " + "x" * 150, ack_after=5 if i % 2 else None)
            for i in range(300)]
    await seed(app, many)
    clock.now = MONDAY
    for argument in ("list", "stats 90d", "mine"):
        reply = await bot.command("/escalate", argument, user=team.agent)
        blocks = reply.json["blocks"]
        assert 0 < len(blocks) <= 50 and problems(blocks) == [], argument
    listed = await bot.command("/escalate", "list", user=team.agent)
    assert "300 open" in listed.text and "and 280 more" in listed.text


async def test_the_weekly_review_posts_once_on_monday_morning(slack: FakeSlack, team: TeamPeople,
                                                              app: Supportbot) -> None:
    await seed(app, LAST_WEEK + WEEK_BEFORE)
    assert await run_review(app.services, MONDAY - timedelta(minutes=1)) == 0  # 08:59 in New York
    assert await run_review(app.services, MONDAY) == 1
    assert await run_review(app.services, MONDAY + timedelta(minutes=5)) == 0
    assert await run_review(app.services, MONDAY + timedelta(days=1)) == 0
    review = slack.last("chat.postMessage", channel=team.escalations_channel)
    assert problems(review.blocks) == []
    rendered = str(review.blocks)
    assert "Weekly escalation review · Tier 1 Support" in rendered
    assert "4 (+100% vs last week)" in rendered  # opened Monday to Sunday, New York time: 4 against 2
    assert "2 open past their resolution target" in rendered  # ESC-4 and ESC-7 (from the week before)
    assert "ESC-4" in rendered and "ESC-7" in rendered and "ESC-5" not in rendered
    assert "4 opened, 3 resolved" in review.text


async def test_the_weekly_review_waits_for_slack_and_is_not_lost(slack: FakeSlack, team: TeamPeople,
                                                                 app: Supportbot) -> None:
    slack.fail_next("chat.postMessage", status=503, times=3)  # the client retries twice, then gives up
    assert await run_review(app.services, MONDAY) == 0
    assert await run_review(app.services, MONDAY + timedelta(minutes=5)) == 1
    assert slack.count("chat.postMessage", channel=team.escalations_channel) == 4  # 3 refused, 1 posted
