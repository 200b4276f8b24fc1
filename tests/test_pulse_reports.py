"""What managers get: the roll-up across teams, the setup form, past rounds keeping their questions,
the KPI digest's figure, and every pulse message and view within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Supportbot
from bot.rules.pulse import COMMENT_MAX, ENPS_QUESTION, questions_of
from bot.rules.pulse_results import Tally, TeamRound, results, rollup
from bot.rules.team_config import PulseConfig
from handlers.pulse import ids, views
from storage import pulse
from tests.conftest import Clock
from tests.kit.block_limits import problems, view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.pulse_steps import (
    BILLING,
    CLOSES,
    HEAD,
    NEW_YORK_ASK,
    NEXT_CLOSES,
    NEXT_OPENS,
    OPENS,
    answer,
    asks,
    open_form,
    pulse_team,
    reports,
    tick,
)

SIX = [((5, 4, 4, 3), 10), ((4, 4, 3, 3), 9), ((3, 2, 4, 4), 8), ((4, 3, 5, 2), 6), ((2, 3, 3, 4), 3),
       ((5, 5, 4, 5), 9)]


def question_lines(blocks: list[dict]) -> list[str]:
    """The sections with a question's average, or the eNPS."""
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]
    return [t for t in texts if "/ 5" in t or "eNPS:" in t]


async def _week_with_billing_hidden(app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock,
                                    billing_value: int) -> tuple[list[dict], list[dict]]:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score) in zip(team.members, SIX, strict=True):
        await answer(bot, slack, member, scores, score)
    for member in BILLING[:4]:  # 4 of 7: Billing Support is below its threshold of 5
        await answer(bot, slack, member, (billing_value,) * 4, 2 * billing_value)
    await tick(app, CLOSES)  # Care closes at 13:00 UTC; Billing (London, 14:00) an hour later
    assert not [c for c in reports(slack, HEAD) if "All your teams" in c.text]
    await tick(app, CLOSES + timedelta(hours=1))
    await tick(app, CLOSES + timedelta(hours=2))
    rollups = [c for c in reports(slack, HEAD) if "All your teams" in c.text]
    assert len(rollups) == 1
    care = next(c for c in reports(slack, HEAD) if "Customer Care" in c.text)
    return rollups[0].args["blocks"], care.args["blocks"]


@pytest.mark.parametrize("billing_value", [1, 5])
async def test_the_rollup_cannot_be_used_to_recover_a_hidden_team(app: Supportbot, slack: FakeSlack,
                                                                  bot: SlackDriver, clock: Clock,
                                                                  billing_value: int) -> None:
    """Whatever the hidden team answered (all 1s and 0s, or all 5s and 10s), the roll-up's figures are
    Customer Care's alone: the roll-up minus Care isolates nobody."""
    rollup_blocks, care = await _week_with_billing_hidden(app, slack, bot, clock, billing_value=billing_value)
    text = str(rollup_blocks)
    assert "Billing Support" in text and "Left out of the combined figures" in text
    assert "10 of 13" in text  # participation counts everyone
    assert len(question_lines(rollup_blocks)) == 5
    assert [line.split("\n")[1] for line in question_lines(rollup_blocks)] == [
        line.split("\n")[1] for line in question_lines(care)]
    assert "*eNPS: +17*" in text  # Care's eNPS


def test_a_rollup_where_no_team_met_its_threshold_says_so() -> None:
    questions = questions_of(PulseConfig())
    four = Tally(questions, {i: {3: 4} for i in range(5)}, 4)
    hidden = rollup("All your teams · 2026-W45", [TeamRound("A", four, 6, 5), TeamRound("B", four, 6, 5)])
    blocks = views.results_blocks(hidden.results)
    assert not hidden.results.visible and "8 of 12" in str(blocks)
    assert views.ALL_HIDDEN in str(blocks) and "fewer than" not in str(blocks)
    assert not question_lines(blocks)


async def test_a_manager_changes_the_questions_and_past_rounds_keep_theirs(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    old_form = await open_form(bot, slack, team.members[0])
    await bot.command("/pulse", "setup", user=team.manager)
    setup = slack.last("views.open").response["view"]
    assert not view_problems(setup)
    bad = await bot.submit(setup, user=team.manager, day="mon", time="9am", close_after_hours="48",
                           min_responses="2", questions="One\nTwo\nThree")
    assert "HH:MM" in bad.errors[ids.SETUP_TIME] and "at least 3" in bad.errors[ids.SETUP_MIN]
    refused = await bot.submit(setup, user=team.members[0], day="mon", time="09:00",
                               close_after_hours="48", min_responses="5", questions="One\nTwo\nThree")
    assert "managers can change its pulse" in refused.errors[ids.SETUP_TIME]
    saved = await bot.submit(setup, user=team.manager, day="fri", time="14:00",
                             close_after_hours="72", min_responses="5",
                             questions="I can focus\nMy team helps me\nI know what is expected of me")
    assert saved.status == 200 and not saved.body
    directory = await app.services.directory.current()
    care = directory.find("care")
    assert care is not None and care.config.pulse.questions == ["I can focus", "My team helps me",
                                                                "I know what is expected of me"]
    # The open round keeps the questions it was asked with: the old modal still counts.
    labels = [b["label"]["text"] for b in old_form["blocks"] if b.get("type") == "input"]
    assert labels[0] == "How do you feel about work this week?"
    for member, (scores, score) in zip(team.members, SIX, strict=True):
        await answer(bot, slack, member, scores, score, view=old_form if member == team.members[0] else None)
    await tick(app, CLOSES)
    assert "My workload is manageable" in str(reports(slack, team.manager)[-1].args["blocks"])
    # The next round asks the new questions.
    await tick(app, NEXT_OPENS)
    clock.now = NEXT_OPENS + timedelta(hours=7)
    await tick(app, clock.now)
    new_form = await open_form(bot, slack, team.members[0])
    labels = [b["label"]["text"] for b in new_form["blocks"] if b.get("type") == "input"]
    assert labels[:4] == ["I can focus", "My team helps me", "I know what is expected of me", ENPS_QUESTION]
    async with app.services.db() as session:
        first = await pulse.round_of_week(session, care.id, "2026-W45")
        assert first is not None and first.questions[1]["text"] == "My workload is manageable"
        assert asks(slack, team.members[0])
        assert (await pulse.latest_result(session, care.id, NEXT_CLOSES)) is not None


async def test_the_kpi_digest_gets_only_rounds_that_met_the_threshold(app: Supportbot, slack: FakeSlack,
                                                                      bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score) in zip(team.members, SIX, strict=True):
        await answer(bot, slack, member, scores, score)
    care = (await app.services.directory.current()).find("care")
    assert care is not None
    async with app.services.db() as session:
        assert await pulse.latest_result(session, care.id, clock.now) is None  # still open
    await tick(app, CLOSES)
    await tick(app, NEXT_OPENS)
    await tick(app, NEXT_OPENS + timedelta(hours=6))
    clock.now = NEXT_OPENS + timedelta(hours=7)
    for member in team.members[:3]:  # the next round is below the threshold
        await answer(bot, slack, member, (1, 1, 1, 1), 0)
    await tick(app, NEXT_CLOSES)
    async with app.services.db() as session:
        found = await pulse.latest_result(session, care.id, NEXT_CLOSES)
    assert found is not None and found.week == "2026-W45" and found.enps == 17 and found.respondents == 6
    assert found.score == 3.7


def test_the_largest_report_fits_a_message() -> None:
    questions = questions_of(PulseConfig(questions=["Q" * 150] * 5))
    counts = {i: {v: 40 for v in q.values} for i, q in enumerate(questions)}
    comments = ["<&>" * (COMMENT_MAX // 3)] * 200
    big = results("T" * 200 + " · 2026-W45", Tally(questions, counts, 200), invited=250, min_responses=5,
                  comments=comments, previous=None)
    blocks = views.results_blocks(big)
    assert problems(blocks, "message") == []
    assert "&lt;&amp;&gt;" in str(blocks) and "<&>" not in str(blocks)
    assert problems(views.results_blocks(results("T", Tally(questions, {}, 2), invited=9, min_responses=5)),
                    "message") == []


def test_comments_that_do_not_fit_are_counted() -> None:
    questions = questions_of(PulseConfig())
    counts = {i: {v: 1 for v in q.values} for i, q in enumerate(questions)}
    comments = [f"comment {n} " + "x" * 1990 for n in range(60)]  # one section each: more than fit
    blocks = views.results_blocks(results("Care · 2026-W45", Tally(questions, counts, 60), invited=60,
                                          min_responses=5, comments=comments))
    assert problems(blocks, "message") == []
    shown = sum(str(blocks).count(f"comment {n} ") for n in range(60))
    assert 0 < shown < 60 and f"{60 - shown} more comments did not fit in one Slack message" in str(blocks)


def test_the_notification_text_escapes_the_team_name() -> None:
    hidden = results("R&D <Support> · 2026-W45", Tally(questions_of(PulseConfig()), {}, 2), invited=6,
                     min_responses=5)
    assert views.fallback_text(hidden) == "Pulse results · R&amp;D &lt;Support&gt; · 2026-W45: 2 of 6 answered"


def test_the_forms_and_dms_fit() -> None:
    questions = questions_of(PulseConfig(questions=["Q" * 150] * 5))
    assert view_problems(views.answer_form(1, "T" * 200, "2026-W45", questions, 5)) == []
    team_names = [(f"team{i}", "N" * 200) for i in range(150)]
    assert view_problems(views.setup_form(team_names, PulseConfig(), "team0")) == []
    text, blocks = views.ask_message(1, "<T>" * 100, "2026-W45", datetime(2026, 11, 9, tzinfo=UTC), 5,
                                     questions=len(questions))
    assert problems(blocks, "message") == [] and "<T>" not in text and "6 quick questions" in text


async def test_the_head_of_support_asks_for_results_across_teams(app: Supportbot, slack: FakeSlack,
                                                                 bot: SlackDriver, clock: Clock) -> None:
    await _week_with_billing_hidden(app, slack, bot, clock, billing_value=1)
    clock.now = CLOSES + timedelta(hours=3)
    reply = await bot.command("/pulse", "results 2026-W45", user=HEAD)
    assert "Pulse · Customer Care · 2026-W45" in reply.text and "Pulse · Billing Support · 2026-W45" in reply.text
    assert "All your teams" in reply.text and "4 of 7" in reply.text
    assert problems(reply.json["blocks"], "message") == []
    unknown = await bot.command("/pulse", "results last-week", user=HEAD)
    assert "name it by its week" in unknown.text
    await bot.command("/pulse", "setup", user=HEAD)
    setup = slack.last("views.open").response["view"]
    saved = await bot.submit(setup, user=HEAD, team="billing", day="thu", time="10:00", close_after_hours="48",
                             min_responses="4", questions="A\nB\nC")
    assert saved.status == 200 and not saved.body
    billing = (await app.services.directory.current()).find("billing")
    assert billing is not None and billing.config.pulse == PulseConfig(day="thu", time="10:00", close_after_hours=48,
                                                                       min_responses=4, questions=["A", "B", "C"])


def test_the_pulse_job_is_declared() -> None:
    from handlers import all_jobs
    assert "pulse" in [job.name for job in all_jobs()]
