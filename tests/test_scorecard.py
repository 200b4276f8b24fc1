"""The prioritisation scorecard: weighted scores and ranking as tables, the weights' validation, several
scorers, and `/prioritize` end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.scorecard import ranked, summarise, weighted
from bot.rules.team_config import DEFAULT_WEIGHTS, ConfigError, parse_teams
from handlers.prioritize import ids, views
from tests.conftest import TeamPeople
from tests.kit.block_limits import problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

W = {str(k): v for k, v in DEFAULT_WEIGHTS.items()}
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def s(csat: int, churn: int, cost: int, feasibility: int, alignment: int) -> dict[str, int]:
    return {"csat": csat, "churn": churn, "cost": cost, "feasibility": feasibility, "alignment": alignment}


@pytest.mark.parametrize("scores, weights, expected", [
    (s(5, 5, 5, 5, 5), W, 5.00), (s(1, 1, 1, 1, 1), W, 1.00),
    (s(5, 1, 1, 1, 1), W, 2.20),                 # 0.30 × 5 + 0.70 × 1
    (s(4, 3, 5, 2, 1), W, 3.35),                 # 1.2 + 0.75 + 1.0 + 0.3 + 0.1
    (s(4, 3, 5, 2, 1), {"csat": 100}, 4.00),
])
def test_the_weighted_score(scores: dict[str, int], weights: dict[str, int], expected: float) -> None:
    assert weighted(scores, weights) == expected


def test_ranking_breaks_ties_by_fewer_scores_missing_then_age() -> None:
    people = ["U1", "U2", "U3"]
    a = summarise(1, "A", T0 + timedelta(days=2), {"U1": s(3, 3, 3, 3, 3)}, W, people)
    b = summarise(2, "B", T0 + timedelta(days=1), {"U1": s(3, 3, 3, 3, 3), "U2": s(3, 3, 3, 3, 3)}, W, people)
    c = summarise(3, "C", T0, {"U1": s(3, 3, 3, 3, 3)}, W, people)
    d = summarise(4, "D", T0, {"U1": s(5, 5, 5, 5, 5), "U2": s(1, 1, 1, 1, 1)}, W, people)
    e = summarise(5, "E", T0, {}, W, people)
    # All four score 3.00: D and B miss one scorer (D is older), C and A miss two (C is older); E is unscored.
    assert [i.id for i in ranked([a, e, c, b, d])] == [4, 2, 3, 1, 5]
    assert d.score == 3.0 and d.spread == 4.0 and d.per_criterion["csat"] == 3.0 and d.missing == 1
    assert e.score is None


@pytest.mark.parametrize("weights, says", [
    ("{csat: 50, churn: 40}", "add up to 90%, not 100%"),
    ("{csat: 60, churn: 60, cost: -20}", "greater than or equal to 0"),
    ("{csat: 100, joy: 0}", "Input should be 'csat'"),
])
def test_weights_must_add_up_to_100(weights: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_teams(f"teams:\n  - {{key: a, name: A, scorecard: {{weights: {weights}}}}}\n")
    assert says in str(raised.value) and "teams[0].scorecard.weights" in str(raised.value)


async def propose(bot: SlackDriver, slack: FakeSlack, user: str, title: str, *scores: int) -> None:
    await bot.command("/prioritize", "", user=user)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.PROPOSE_FORM
    values = dict(zip(("csat", "churn", "cost", "feasibility", "alignment"), map(str, scores), strict=True))
    reply = await bot.submit(form, user=user, **{ids.TITLE: title, **values})
    assert "response_action" not in reply.body, reply.body


async def test_a_team_proposes_scores_ranks_shares_and_closes(bot: SlackDriver, slack: FakeSlack,
                                                             team: TeamPeople) -> None:
    await propose(bot, slack, team.agent, "Self-serve refunds", 5, 4, 5, 3, 4)
    await propose(bot, slack, team.teammate, "Macro <cleanup>", 2, 2, 3, 5, 2)
    shown = (await bot.command("/prioritize", "list", user=team.manager)).text
    assert shown.index("Self-serve refunds") < shown.index("Macro &lt;cleanup&gt;")
    assert "*4.35*" in shown  # 1.5 + 1.0 + 1.0 + 0.45 + 0.4
    await bot.command("/prioritize", "score 1", user=team.teammate)
    form = slack.last("views.open").view
    assert form is not None
    await bot.submit(form, user=team.teammate, csat="3", churn="2", cost="3", feasibility="3", alignment="2")
    await bot.command("/prioritize", "score 1", user=team.teammate)  # changing one's own score: shown prefilled
    again = slack.last("views.open").view
    assert again is not None and '"value": "3"' in str(again).replace("'", '"')
    shown = (await bot.command("/prioritize", "list", user=team.manager)).text
    assert "*3.50*" in shown and "spread 1.70" in shown and "2 scored" in shown  # 4.35 and 2.65
    assert "Only Tier 1 Support's managers can close its initiatives" in (
        await bot.command("/prioritize", "done 1 Shipped", user=team.agent)).text
    assert "is done" in (await bot.command("/prioritize", "done 1 Shipped in the help centre", user=team.manager)).text
    assert "Self-serve" not in (await bot.command("/prioritize", "list", user=team.agent)).text
    assert "Sharing" in (await bot.command("/prioritize", "share", user=team.agent, channel="C0TEAM")).text
    assert "Macro" in str(slack.last("chat.postMessage", channel="C0TEAM").blocks)


async def test_help_and_usage(bot: SlackDriver, team: TeamPeople) -> None:
    assert "/prioritize score" in (await bot.command("/prioritize", "help", user=team.agent)).text
    assert "I didn't understand" in (await bot.command("/prioritize", "rank everything", user=team.agent)).text


def test_a_hundred_initiatives_stay_within_slacks_limits() -> None:
    many = [summarise(n, "T" * 150, T0, {"U1": s(3, 3, 3, 3, n % 5 + 1)}, W, ["U1", "U2"]) for n in range(100)]
    text, blocks = views.ranked_list("Tier " * 40, ranked(many), W)
    assert not problems(blocks) and len(text) < 4000
