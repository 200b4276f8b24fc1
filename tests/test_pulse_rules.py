"""The pulse's pure rules as tables: the schedule, the aggregates, the threshold, the trend, the roll-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules import keys
from bot.rules.pulse import (
    DEFAULT_QUESTIONS,
    ENPS_QUESTION,
    Question,
    Window,
    ask_at,
    current_window,
    pulse_day,
    questions_of,
    week_of,
    window,
)
from bot.rules.pulse_results import Tally, TeamRound, average, bar, enps, one_decimal, results, rollup, score
from bot.rules.team_config import ConfigError, PulseConfig, parse_teams

NY, PARIS, TOKYO, LONDON = (ZoneInfo(z) for z in ("America/New_York", "Europe/Paris", "Asia/Tokyo", "Europe/London"))
FRIDAY_2PM = PulseConfig(day="fri", time="14:00", close_after_hours=72)
QUESTIONS = questions_of(PulseConfig())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("weekday, any_day, expected", [
    ("fri", date(2026, 11, 2), date(2026, 11, 6)),
    ("fri", date(2026, 11, 8), date(2026, 11, 6)),   # Sunday belongs to the same ISO week
    ("mon", date(2026, 11, 6), date(2026, 11, 2)),
    ("sun", date(2026, 12, 28), date(2027, 1, 3)),
])
def test_pulse_day_is_in_the_iso_week(weekday: str, any_day: date, expected: date) -> None:
    assert pulse_day(weekday, any_day) == expected


@pytest.mark.parametrize("zones, opens, closes", [
    ([NY], "2026-11-06 19:00", "2026-11-09 19:00"),
    ([NY, PARIS], "2026-11-06 13:00", "2026-11-09 13:00"),       # the team's first ask opens the round
    ([NY, TOKYO], "2026-11-06 05:00", "2026-11-09 05:00"),
])
def test_the_round_opens_at_the_first_ask_and_closes_after_the_window(zones: list[ZoneInfo], opens: str,
                                                                      closes: str) -> None:
    found = window(date(2026, 11, 6), FRIDAY_2PM, zones)
    assert (found.opens_at, found.closes_at) == (at(opens), at(closes))
    assert found.week == "2026-W45"


@pytest.mark.parametrize("now, expected", [
    ("2026-11-06 12:59", "2026-W44"),   # last week's round is the latest that opened (closed by now)
    ("2026-11-06 13:00", "2026-W45"),
    ("2026-11-09 12:59", "2026-W45"),
    ("2026-11-12 09:00", "2026-W45"),
])
def test_the_current_round(now: str, expected: str) -> None:
    found = current_window(at(now), FRIDAY_2PM, [NY, PARIS])
    assert found is not None and found.week == expected


@pytest.mark.parametrize("zone, hours, expected", [
    (NY, 72, "2026-11-06 19:00"),        # their own 14:00
    (PARIS, 72, "2026-11-06 13:00"),
    (NY, 8, "2026-11-06 13:00"),         # 19:00 is after the halfway reminder (17:00): asked at the opening
    (NY, 12, "2026-11-06 13:00"),        # 19:00 is exactly the halfway point: asked at the opening
    (NY, 13, "2026-11-06 19:00"),
])
def test_each_member_is_asked_before_the_reminder(zone: ZoneInfo, hours: int, expected: str) -> None:
    round_window = window(date(2026, 11, 6), PulseConfig(close_after_hours=hours), [NY, PARIS])
    assert ask_at(round_window, "14:00", zone) == at(expected)


def test_the_reminder_is_halfway_to_the_close() -> None:
    assert Window(date(2026, 11, 6), at("2026-11-06 13:00"), at("2026-11-09 13:00")).reminder_at == at(
        "2026-11-08 01:00")


def test_a_dst_change_moves_the_utc_time_not_the_local_time() -> None:
    before, after = (window(pulse_day("fri", d), FRIDAY_2PM, [NY]).opens_at for d in
                     (date(2026, 10, 30), date(2026, 11, 6)))
    assert (before.hour, after.hour) == (18, 19)


def test_default_questions_and_enps() -> None:
    assert [q.text for q in QUESTIONS] == [*DEFAULT_QUESTIONS, ENPS_QUESTION]
    assert [(q.low, q.high) for q in QUESTIONS] == [(1, 5)] * 4 + [(0, 10)]
    custom = questions_of(PulseConfig(questions=["A", "B", "C"]))
    assert [q.text for q in custom] == ["A", "B", "C", ENPS_QUESTION]


@pytest.mark.parametrize("pulse, problem", [
    ("{min_responses: 2}", "teams[0].pulse.min_responses: must be at least 3"),
    ("{min_responses: 0}", "teams[0].pulse.min_responses: must be at least 3"),
    ("{questions: [One, Two]}", "teams[0].pulse.questions: List should have at least 3 items"),
    ("{time: '25:00'}", "teams[0].pulse.time: expected HH:MM"),
])
def test_bad_pulse_settings_name_their_path(pulse: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_teams(f"teams:\n  - {{key: t, name: T, pulse: {pulse}}}")
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


@pytest.mark.parametrize("counts, expected", [
    ({4: 2, 3: 1}, 3.7),
    ({5: 1, 4: 1, 3: 1, 2: 1}, 3.5),
    ({1: 3, 2: 1}, 1.3),
    ({3: 1, 4: 3}, 3.8),          # 3.75 rounds half up
    ({}, None),
])
def test_average_to_one_decimal(counts: dict[int, int], expected: float | None) -> None:
    assert average(counts) == expected


@pytest.mark.parametrize("counts, score_, promoters, passives, detractors", [
    ({10: 1, 9: 2, 8: 1, 6: 1, 3: 1}, 17, 3, 1, 2),     # 50 % − 33.3 %
    ({10: 5}, 100, 5, 0, 0),
    ({0: 2, 6: 3}, -100, 0, 0, 5),
    ({7: 3, 8: 2}, 0, 0, 5, 0),
    ({9: 1, 7: 6, 5: 1}, 0, 1, 6, 1),
    ({9: 1, 5: 7}, -75, 1, 0, 7),
])
def test_enps(counts: dict[int, int], score_: int, promoters: int, passives: int, detractors: int) -> None:
    found = enps(counts)
    assert found is not None
    assert (found.score, found.promoters, found.passives, found.detractors) == (score_, promoters, passives,
                                                                               detractors)


def test_one_decimal_rounds_half_up() -> None:
    assert (one_decimal(2.25), one_decimal(2.35), one_decimal(-0.25)) == (2.3, 2.4, -0.3)


def test_distribution_bar() -> None:
    assert bar(Question("q"), {1: 1, 3: 4, 5: 2}) == "▃ █ ▅"


def tally(*answer_sets: tuple[int, ...]) -> Tally:
    counts: dict[int, dict[int, int]] = {}
    for answer_set in answer_sets:
        for index, value in enumerate(answer_set):
            counts.setdefault(index, {})[value] = counts.setdefault(index, {}).get(value, 0) + 1
    return Tally(QUESTIONS, counts, len(answer_sets))


SIX = tally((5, 4, 4, 3, 10), (4, 4, 3, 3, 9), (3, 2, 4, 4, 8), (4, 3, 5, 2, 6), (2, 3, 3, 4, 3), (5, 5, 4, 5, 9))
FOUR = tally((4, 4, 3, 5, 9), (2, 3, 3, 2, 4), (5, 5, 4, 4, 10), (3, 2, 4, 3, 7))


@pytest.mark.parametrize("counted, min_responses, visible", [(SIX, 5, True), (FOUR, 5, False), (FOUR, 4, True),
                                                             (SIX, 6, True), (SIX, 7, False)])
def test_the_threshold_hides_everything_but_participation(counted: Tally, min_responses: int,
                                                          visible: bool) -> None:
    found = results("Care · W45", counted, invited=7, min_responses=min_responses, comments=["hi"])
    assert found.visible is visible
    assert found.participation == round(100 * counted.respondents / 7)
    if not visible:
        assert (found.questions, found.enps, found.comments) == ((), None, ())


def test_the_trend_compares_only_with_a_round_that_met_the_threshold() -> None:
    hidden = results("W45", FOUR, invited=6, min_responses=5)
    shown = results("W46", SIX, invited=6, min_responses=5)
    assert results("W47", SIX, invited=6, min_responses=5, previous=hidden).compared_with is None
    later = results("W47", tally(*[(5, 5, 5, 5, 10)] * 6), invited=6, min_responses=5, previous=shown)
    assert later.compared_with == "W46"
    assert [q.change for q in later.questions] == [1.2, 1.5, 1.2, 1.5]
    assert later.enps_change == 100 - 17
    assert score(SIX) == 3.7


def test_the_rollup_leaves_a_hidden_team_out_of_every_figure() -> None:
    """B is below its threshold: whatever B answered, the roll-up is the same, so subtracting the shown
    teams (or another roll-up) from it reveals nothing about B."""
    a, c = TeamRound("A", SIX, 6, 5), TeamRound("C", SIX, 8, 5)
    b_low = TeamRound("B", tally((1, 1, 1, 1, 0), (1, 1, 1, 1, 0)), 7, 5)
    b_high = TeamRound("B", tally((5, 5, 5, 5, 10), (5, 5, 5, 5, 10)), 7, 5)
    first, second = rollup("All", [a, b_low, c]), rollup("All", [a, b_high, c])
    assert first.results.questions == second.results.questions and first.results.enps == second.results.enps
    assert first.results.left_out == ("B",) and first.included == ("A", "C")
    assert first.results.respondents == 14 and first.results.invited == 21  # participation still counts B
    only_a = rollup("All", [a, b_low])  # exactly one team shown, one hidden: the figures are A's alone
    assert [q.average for q in only_a.results.questions] == [q.average for q in
                                                              results("A", SIX, invited=6, min_responses=5).questions]


def test_the_rollup_adds_up_teams_that_met_their_threshold() -> None:
    both = rollup("All", [TeamRound("A", SIX, 6, 5), TeamRound("B", tally(*[(5, 5, 5, 5, 10)] * 6), 6, 5)])
    assert both.results.visible and both.results.respondents == 12
    assert [q.average for q in both.results.questions] == [4.4, 4.3, 4.4, 4.3]
    assert both.results.enps is not None and both.results.enps.score == 58  # (9 − 2) / 12


def test_a_rollup_of_hidden_teams_only_is_hidden() -> None:
    found = rollup("All", [TeamRound("A", FOUR, 6, 5), TeamRound("B", FOUR, 6, 5)])
    assert found.results.questions == () and found.results.enps is None
    assert found.results.left_out == ("A", "B")


def test_week_names() -> None:
    assert week_of(date(2026, 11, 6)) == "2026-W45" and week_of(date(2027, 1, 1)) == "2026-W53"


@pytest.mark.parametrize(("key", "stored"), [
    (keys.pulse_ask(7, "U0P1"), "pulse:7:ask:U0P1"),
    (keys.pulse_reminder(7, "U0P1"), "pulse:7:remind:U0P1"),
    (keys.pulse_report(7, "U0PMANAGER"), "pulse:7:report:U0PMANAGER"),
    (keys.pulse_rollup("2026-W45", "U0PHEAD"), "pulse-rollup:2026-W45:U0PHEAD"),
])
def test_pulse_keys_store_the_claim_keys_of_before_the_outbox(key: keys.Key, stored: str) -> None:
    """The outbox rows carry the strings the claims did (a changed one would send a round's DMs again)."""
    assert str(key) == stored
    assert keys.parse(stored) == key and key.remembered == keys.parse(stored).remembered  # type: ignore[union-attr]


def test_a_rollup_is_remembered_until_the_weeks_last_round_and_its_follow_up_are_over() -> None:
    assert keys.pulse_rollup("2026-W45", "U0PHEAD").remembered.last_day == date(2026, 11, 8) + timedelta(days=9)
    assert keys.pulse_ask(7, "U0P1").remembered.pulse_round == 7
