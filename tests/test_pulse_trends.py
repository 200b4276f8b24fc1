"""Pulse trends that mean something, as tables: when a change is larger than the round-to-round noise for its
numbers of respondents, and the rolling figure that pools the answers of the last rounds that met the
threshold."""

from __future__ import annotations

import math

import pytest

from bot.rules.pulse import questions_of
from bot.rules.pulse_results import Enps, Tally, Trend, enps_noise, enps_variance, mean_noise, results
from bot.rules.pulse_trends import ShownRound, pulse_trend, rolling
from bot.rules.team_config import PulseConfig

QUESTIONS = questions_of(PulseConfig())  # four 1–5 questions, then the eNPS (index 4)


def tally(*people: tuple[int, int, int, int, int]) -> Tally:
    counts: dict[int, dict[int, int]] = {}
    for person in people:
        for index, value in enumerate(person):
            counts.setdefault(index, {})[value] = counts.setdefault(index, {}).get(value, 0) + 1
    return Tally(QUESTIONS, counts, len(people))


def net(promoters: int, passives: int, detractors: int) -> Enps:
    total = promoters + passives + detractors
    return Enps(round(100 * (promoters - detractors) / total), promoters, passives, detractors)


@pytest.mark.parametrize("before, after, meaningful", [
    # 6 answers: one person moving from a detractor (6) to a promoter (10) moves the eNPS by 33 points: noise.
    (net(3, 1, 2), net(4, 1, 1), False),
    # 6 answers: one passive becoming a promoter (+17): noise.
    (net(2, 2, 2), net(3, 1, 2), False),
    # 6 answers: everyone who was a detractor is now a promoter (−100 -> +100): beyond any noise.
    (net(0, 0, 6), net(6, 0, 0), True),
    # 40 answers: a 30-point move (+10 -> +40) is beyond the noise (two standard errors ≈ 25 points).
    (net(8, 28, 4), net(18, 20, 2), True),
    # 40 answers: a 5-point move (one person) is not.
    (net(8, 28, 4), net(9, 27, 4), False),
    # 40 answers, polarised (many promoters and detractors): even 30 points stays within the noise (≈ 35).
    (net(12, 16, 12), net(20, 12, 8), False),
])
def test_an_enps_change_is_meaningful_only_beyond_the_noise(before: Enps, after: Enps, meaningful: bool) -> None:
    change = Trend(after.score - before.score, enps_noise(before, after))
    assert change.meaningful is meaningful


@pytest.mark.parametrize("score, expected", [
    (net(3, 1, 2), (0.5 + 1 / 3 - (0.5 - 1 / 3) ** 2) / 6 * 100 ** 2),
    (net(6, 0, 0), 0.0),  # everyone a promoter: no spread at all
    (net(0, 6, 0), 0.0),
    (net(20, 0, 20), 1 / 40 * 100 ** 2),  # the widest spread: p + d = 1, p − d = 0
])
def test_the_variance_of_one_round_s_enps(score: Enps, expected: float) -> None:
    assert math.isclose(enps_variance(score), expected)


@pytest.mark.parametrize("before, after, change, meaningful", [
    # 6 answers, one person moves 4 -> 5: +0.2 (shown rounded) against a noise of 0.33.
    ({4: 6}, {4: 5, 5: 1}, 0.2, False),
    # 6 answers, one person moves 1 -> 5: +0.7 against ≈ 1.05.
    ({4: 5, 1: 1}, {4: 5, 5: 1}, 0.7, False),
    # 6 answers, everyone moves 2 -> 4: +2.0 with no spread in either round.
    ({2: 6}, {4: 6}, 2.0, True),
    # 40 answers, several move up: +0.3 against ≈ 0.27.
    ({3: 20, 4: 20}, {3: 14, 4: 20, 5: 6}, 0.3, True),
    # 40 answers, one person moves up one step: +0.03.
    ({3: 20, 4: 20}, {3: 19, 4: 21}, 0.0, False),
])
def test_an_average_change_is_meaningful_only_beyond_the_noise(before: dict[int, int], after: dict[int, int],
                                                               change: float, meaningful: bool) -> None:
    noise = mean_noise(before, after)
    assert noise is not None
    mean = lambda counts: sum(v * n for v, n in counts.items()) / sum(counts.values())  # noqa: E731
    assert round(mean(after) - mean(before), 1) == change
    assert (abs(mean(after) - mean(before)) > noise) is meaningful


def test_a_round_with_no_answer_has_no_noise() -> None:
    assert mean_noise({}, {4: 3}) is None


SIX = tally((5, 4, 4, 3, 10), (4, 4, 3, 3, 9), (3, 2, 4, 4, 8), (4, 3, 5, 2, 6), (2, 3, 3, 4, 3), (5, 5, 4, 5, 9))
"""eNPS +17: 3 promoters, 1 passive, 2 detractors."""
SIX_ONE_MOVED = tally((5, 4, 4, 3, 10), (4, 4, 3, 3, 9), (3, 2, 4, 4, 8), (4, 3, 5, 2, 10), (2, 3, 3, 4, 3),
                      (5, 5, 4, 5, 9))
"""The same six, one of whom now answers 10 instead of 6: eNPS +50."""


def test_the_report_judges_one_person_s_move_as_noise() -> None:
    before = results("2026-W45", SIX, invited=6, min_responses=5)
    after = results("Care · 2026-W46", SIX_ONE_MOVED, invited=6, min_responses=5, previous=before)
    assert after.enps_change == 33 and after.enps_noise is not None and after.enps_noise > 33
    assert not after.enps_meaningful
    assert all(q.change == 0 and not q.meaningful for q in after.questions)


def test_the_rolling_figure_pools_answers_not_averages() -> None:
    """A quiet week of 5 all-1 answers and a week of 40 all-5 answers: pooled, 4.6, not the 3.0 that
    averaging the two averages would give."""
    quiet = ShownRound("2026-W45", tally(*[(1, 1, 1, 1, 0)] * 5), 5)
    busy = ShownRound("2026-W46", tally(*[(5, 5, 5, 5, 10)] * 40), 5)
    found = rolling([busy, quiet])
    assert found is not None and found.rounds == ("2026-W45", "2026-W46") and found.answers == 45
    assert found.score == 4.6 and set(found.averages.values()) == {4.6}
    assert found.enps is not None and (found.enps.promoters, found.enps.detractors) == (40, 5)
    assert found.enps.score == 78


def test_the_rolling_figure_takes_the_last_four_rounds_that_met_the_threshold() -> None:
    rounds = [ShownRound(f"2026-W{50 - n}", SIX, 5) for n in range(6)]  # most recent first
    hidden = ShownRound("2026-W51", tally(*[(1, 1, 1, 1, 0)] * 4), 5)  # below its threshold: never pooled
    found = rolling([hidden, *rounds])
    assert found is not None and found.rounds == ("2026-W47", "2026-W48", "2026-W49", "2026-W50")
    assert found.answers == 24 and found.enps is not None and found.enps.score == 17
    assert rolling([rounds[0]]) is None and rolling([hidden, rounds[0]]) is None  # one round: no rolling figure


def test_a_team_s_latest_trend_judges_score_and_enps_against_the_noise() -> None:
    trend = pulse_trend([ShownRound("2026-W46", SIX_ONE_MOVED, 5), ShownRound("2026-W45", SIX, 5)])
    assert trend is not None and trend.week == "2026-W46" and trend.compared_with == "2026-W45"
    assert trend.enps is not None and trend.enps.score == 50
    assert trend.enps_change is not None and trend.enps_change.change == 33 and not trend.enps_change.meaningful
    assert trend.score_change is not None and trend.score_change.change == 0 and not trend.score_change.meaningful
    assert trend.rolling is not None and trend.rolling.enps is not None and trend.rolling.enps.score == 33
    many = pulse_trend([ShownRound("W2", tally(*[(5, 5, 5, 5, 10)] * 20, *[(3, 3, 3, 3, 8)] * 20), 5),
                        ShownRound("W1", tally(*[(3, 3, 3, 3, 8)] * 30, *[(4, 4, 4, 4, 10)] * 10), 5)])
    assert many is not None and many.score_change is not None and many.enps_change is not None
    assert many.enps_change.change == 25 and many.enps_change.meaningful
    assert many.score_change.change == 0.7 and many.score_change.meaningful
    alone = pulse_trend([ShownRound("W1", tally(*[(1, 1, 1, 1, 0)] * 3), 5), ShownRound("W0", SIX, 5)])
    assert alone is not None and alone.week == "W0" and alone.compared_with is None and alone.rolling is None
    assert pulse_trend([]) is None
