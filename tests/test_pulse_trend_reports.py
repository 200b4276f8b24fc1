"""Pulse trends in the manager's report: the 4-round rolling figure beside the week's, and a change flagged only
when it is larger than the noise for its numbers of respondents (the report says how it is judged)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Supportbot
from bot.rules.pulse import questions_of
from bot.rules.pulse_results import Tally, results
from bot.rules.pulse_trends import ShownRound, rolling
from bot.rules.team_config import PulseConfig
from handlers.pulse import views
from storage import pulse
from tests.conftest import Clock
from tests.kit.block_limits import problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.pulse_steps import (
    CLOSES,
    MANAGER,
    NEW_YORK_ASK,
    NEXT_CLOSES,
    NEXT_OPENS,
    OPENS,
    answer,
    pulse_team,
    reports,
    tick,
)

SIX = [((5, 4, 4, 3), 10), ((4, 4, 3, 3), 9), ((3, 2, 4, 4), 8), ((4, 3, 5, 2), 6), ((2, 3, 3, 4), 3),
       ((5, 5, 4, 5), 9)]
"""eNPS +17 (3 promoters, 1 passive, 2 detractors)."""
ONE_MOVED = [*SIX[:3], ((4, 3, 5, 2), 10), *SIX[4:]]
"""The same six answers, but one person's 6 is now a 10: eNPS +50."""


def enps_line(blocks: list[dict]) -> str:
    return next(b["text"]["text"] for b in blocks if b.get("type") == "section" and "eNPS:" in b["text"]["text"])


async def test_one_person_s_move_on_six_answers_is_shown_as_noise_beside_the_rolling_figure(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score) in zip(team.members, SIX, strict=True):
        await answer(bot, slack, member, scores, score)
    await tick(app, CLOSES)
    first = reports(slack, MANAGER)[-1].args["blocks"]
    assert "no trend yet" in str(first) and "-round" not in str(first)  # one round: no change, no rolling figure
    await tick(app, NEXT_OPENS)
    await tick(app, NEXT_OPENS + timedelta(hours=6))
    clock.now = NEXT_OPENS + timedelta(hours=7)
    for member, (scores, score) in zip(team.members, ONE_MOVED, strict=True):
        await answer(bot, slack, member, scores, score)
    await tick(app, NEXT_CLOSES)
    blocks = reports(slack, MANAGER)[-1].args["blocks"]
    assert problems(blocks, "message") == []
    # +17 -> +50 on six answers: shown, beside the two rounds' pooled figure (7 promoters, 3 detractors of 12),
    # and not flagged.
    assert enps_line(blocks).startswith("*eNPS: +50* (+33 vs 2026-W45, within the noise) · 2-round *+33*")
    text = str(blocks)
    assert "⚑" not in text.replace("⚑ only when", "")
    assert "Changes within the noise for 6 answers are not flagged" in text
    assert "pools the answers of 2026-W45 and 2026-W46 (12 answers)" in text
    assert "*3.8* / 5 (±0 vs 2026-W45, within the noise) · 2-round *3.8*" in text


async def _round(app: Supportbot, week: str, closes_days_ago: int, clock: Clock,
                 answers: list[tuple[tuple[int, int, int, int], int]]) -> None:
    """A closed round of Customer Care with these answers, stored as the pulse form stores them."""
    care = (await app.services.directory.current()).find("care")
    assert care is not None
    closes = clock.now - timedelta(days=closes_days_ago)
    async with app.services.db() as session:
        of = await pulse.open_round(session, care.id, week=week, day=closes.date(),
                                    questions=questions_of(PulseConfig()), min_responses=5,
                                    opens_at=closes - timedelta(hours=72), closes_at=closes)
        for scores, score in answers:
            await pulse.cast(session, of.id, [*enumerate(scores), (len(scores), score)], None)
            await session.commit()


def people(promoters: int, passives: int, detractors: int) -> list[tuple[tuple[int, int, int, int], int]]:
    return [((4, 4, 4, 4), 9)] * promoters + [((4, 4, 4, 4), 7)] * passives + [((4, 4, 4, 4), 2)] * detractors


async def test_a_thirty_point_move_on_forty_answers_is_flagged(app: Supportbot, slack: FakeSlack,
                                                               bot: SlackDriver, clock: Clock) -> None:
    await pulse_team(app, slack)
    clock.now = NEXT_CLOSES + timedelta(days=30)
    await _round(app, "2026-W40", 28, clock, people(2, 2, 2))  # older rounds: pooled, not compared with
    await _round(app, "2026-W41", 21, clock, people(1, 1, 1)[:2])  # below the threshold of 5: never pooled
    await _round(app, "2026-W42", 14, clock, people(8, 28, 4))  # +10
    await _round(app, "2026-W43", 7, clock, people(18, 20, 2))  # +40
    reply = await bot.command("/pulse", "results 2026-W43", user=MANAGER)
    blocks = reply.json["blocks"]
    assert problems(blocks, "message") == []
    # The rolling figure pools W40, W42 and W43 (W41 was hidden): 28 promoters, 8 detractors of 86 -> +23.
    assert enps_line(blocks).startswith("*eNPS: +40* (+30 vs 2026-W42 ⚑ beyond the noise) · 3-round *+23*")
    assert "pools the answers of 2026-W40, 2026-W42 and 2026-W43 (86 answers)" in str(blocks)
    assert "Changes within the noise for 40 answers are not flagged" in str(blocks)


def test_the_largest_report_with_a_trend_and_a_rolling_figure_fits_a_message() -> None:
    questions = questions_of(PulseConfig(questions=["Q&<" * 50] * 5))
    counts = {i: {v: 40 for v in q.values} for i, q in enumerate(questions)}
    big = Tally(questions, counts, 200)
    rounds = [ShownRound(f"2026-W{40 + n}", big, 5) for n in range(4)]
    previous = results("2026-W42", big, invited=200, min_responses=5)
    found = results("T" * 200 + " · 2026-W43", big, invited=250, min_responses=5, comments=["<&>" * 600] * 200,
                    previous=previous, rolling=rolling(rounds))
    blocks = views.results_blocks(found)
    assert problems(blocks, "message") == [] and "4-round" in str(blocks) and "within the noise" in str(blocks)
