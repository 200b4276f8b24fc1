"""KPI rules as tables: judging, changes, local days, alerts and the 30-day baseline plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.rules.kpi import BY_KEY, Change, change, format_value, judge, manual_metric, read
from bot.rules.kpi_days import day_bounds, digest_day, last_week
from bot.rules.kpi_plan import Baseline, alert, is_summary_day, pin, plan_day, still_red, summarize
from bot.rules.team_config import KpiTargets
from tests.kpi_steps import utc

FIRST_RESPONSE, CSAT, CREATED = BY_KEY["first_response_median"], BY_KEY["csat"], BY_KEY["created"]


@pytest.mark.parametrize("metric, value, target, sample, expected", [
    (FIRST_RESPONSE, 60, 60, 5, "green"),      # lower is better: at the target is green
    (FIRST_RESPONSE, 66, 60, 5, "amber"),      # within 10 % above
    (FIRST_RESPONSE, 66.1, 60, 5, "red"),
    (FIRST_RESPONSE, 10, 60, 5, "green"),
    (CSAT, 90, 90, 20, "green"),               # higher is better
    (CSAT, 81, 90, 20, "amber"),               # within 10 % below
    (CSAT, 80.9, 90, 20, "red"),
    (CSAT, 50, 90, 4, None),                   # fewer than 5 behind it: no status
    (CSAT, None, 90, 20, None),                # no value
    (CSAT, 50, None, 20, None),                # no target
    (CREATED, 500, 10, 500, None),             # volume has no direction
])
def test_judge(metric, value, target, sample, expected) -> None:  # type: ignore[no-untyped-def]
    assert judge(metric, value, target, sample) == expected


@pytest.mark.parametrize("value, reference, shown", [
    (110, 100, "↑ 10%"),
    (90, 100, "↓ 10%"),
    (100, 100, "→ 0%"),
    (100.4, 100, "→ 0%"),
    (0, 0, None),          # no percentage from zero, 0 against 0 included
    (5, 0, None),
    (0, 0.0, None),
    (None, 100, None),
    (100, None, None),
])
def test_change(value, reference, shown) -> None:  # type: ignore[no-untyped-def]
    found = change(value, reference)
    assert (str(found) if found else None) == shown


def test_a_reading_compares_with_the_day_before_and_the_seven_day_average() -> None:
    before = [{"csat": 80.0}, {"csat": None}, *[{"csat": 90.0}] * 5, {"csat": 0.0}]  # the 8th day is not in the week
    reading = read(CSAT, {"csat": 70.0}, {"csat": 10}, before, KpiTargets())
    assert reading.status == "red" and reading.target == 90
    assert reading.vs_day_before == Change(-12.5)
    week = 530 / 6  # 80 and five 90s
    assert reading.vs_week is not None and round(reading.vs_week.percent, 2) == round(100 * (70 - week) / week, 2)


@pytest.mark.parametrize("targets, status", [
    (KpiTargets(), "amber"),                              # 85 % against the default 90 %
    (KpiTargets(escalation_sla_percent=80), "green"),
    (KpiTargets(escalation_sla_percent=100), "red"),
])
def test_escalation_sla_attainment_is_judged_against_the_teams_target(targets: KpiTargets, status: str) -> None:
    reading = read(BY_KEY["escalation_sla"], {"escalation_sla": 85.0}, {"escalation_sla": 20}, [], targets)
    assert (reading.target, reading.status) == (targets.escalation_sla_percent, status)


@pytest.mark.parametrize("metric, value, shown", [
    ("created", 1204, "1,204"),
    ("first_response_median", 42.4, "42 min"),
    ("first_response_median", 125, "2 h 5 min"),
    ("first_response_median", 120, "2 h"),
    ("resolution_median", 17.5, "17.5 h"),
    ("csat", 200 / 3, "66.7%"),
    ("csat", None, "—"),
])
def test_format(metric, value, shown) -> None:  # type: ignore[no-untyped-def]
    assert format_value(BY_KEY[metric], value) == shown


def test_a_logged_metric_is_shown_but_never_judged() -> None:
    nps = manual_metric("nps")
    assert nps.label == "Nps (logged)" and format_value(nps, 31.5) == "31.5" and judge(nps, -100, None, 99) is None


@pytest.mark.parametrize("day, hours", [
    (date(2026, 3, 8), 23),    # spring forward in New York
    (date(2026, 11, 1), 25),   # fall back
    (date(2026, 11, 2), 24),
])
def test_local_days_follow_daylight_saving(day: date, hours: int) -> None:
    start, end = day_bounds(day, "America/New_York")
    assert end - start == timedelta(hours=hours)


@pytest.mark.parametrize("now, at, expected", [
    ("2026-11-02T13:59", "09:00", None),                  # 08:59 in New York: not yet
    ("2026-11-02T14:00", "09:00", date(2026, 11, 1)),     # 09:00: yesterday's digest
    ("2026-11-03T04:59", "09:00", date(2026, 11, 1)),     # 23:59: still due (sent late after downtime)
    ("2026-11-03T05:00", "09:00", None),                  # midnight: the next day, before its time
    ("2026-03-08T07:00", "02:30", date(2026, 3, 7)),      # 03:00 on spring-forward day: 02:30 never came
])
def test_digest_day(now: str, at: str, expected: date | None) -> None:
    assert digest_day(utc(now), "America/New_York", at) == expected


def test_mondays_digest_adds_last_week() -> None:
    assert last_week(date(2026, 11, 1)) == (date(2026, 10, 26), date(2026, 11, 1))  # Sunday's figures, on Monday
    assert last_week(date(2026, 11, 2)) is None


@pytest.mark.parametrize("was_red, status, expected, red_after", [
    (False, "red", "red", True),           # turned red: alert
    (True, "red", None, True),             # still red: never repeated
    (True, "amber", "recovered", False),   # recovered: once
    (True, "green", "recovered", False),
    (False, "green", None, False),
    (False, "amber", None, False),
    (True, None, None, True),              # too little data: nothing changes
    (False, None, None, False),
])
def test_alerts(was_red: bool, status, expected, red_after: bool) -> None:  # type: ignore[no-untyped-def]
    assert alert(was_red, status) == expected and still_red(was_red, status) == red_after


PINNED = date(2026, 11, 2)


@pytest.mark.parametrize("day, expected", [
    (date(2026, 11, 1), None), (PINNED, 1), (date(2026, 11, 30), 29), (date(2026, 12, 1), 30),
    (date(2026, 12, 2), None),
])
def test_the_plan_runs_thirty_days_from_the_pin(day: date, expected: int | None) -> None:
    baseline = Baseline("csat", 80, PINNED)
    assert plan_day(baseline, day) == expected and is_summary_day(baseline, day) == (expected == 30)


def test_pin_takes_the_seven_day_average_of_the_days_with_data() -> None:
    days = {PINNED - timedelta(days=n): v for n, v in enumerate([70, None, 80, 90, None, None, 60], start=1)}
    assert pin("csat", days, PINNED) == Baseline("csat", 75, PINNED)
    assert pin("csat", dict.fromkeys(days), PINNED) is None


@pytest.mark.parametrize("metric, best, worst", [("csat", (date(2026, 11, 10), 95.0), (date(2026, 11, 3), 60.0)),
                                                 ("first_response_median", (date(2026, 11, 3), 60.0),
                                                  (date(2026, 11, 10), 95.0))])
def test_the_day_thirty_summary(metric: str, best: tuple[date, float], worst: tuple[date, float]) -> None:
    daily: dict[date, float | None] = {PINNED + timedelta(days=n): 80.0 for n in range(30)}
    daily[date(2026, 11, 3)], daily[date(2026, 11, 10)], daily[date(2026, 11, 11)] = 60.0, 95.0, None
    daily[date(2026, 10, 1)] = 10.0  # before the plan: ignored
    summary = summarize(BY_KEY[metric], Baseline(metric, 70, PINNED), daily)
    assert summary.now == 80 and summary.change is not None and round(summary.change.percent, 1) == 14.3
    assert summary.best is not None and (summary.best.day, summary.best.value) == best
    assert summary.worst is not None and (summary.worst.day, summary.worst.value) == worst




@pytest.mark.parametrize("typed, expected", [
    ("42", 42.0), ("12.5", 12.5), ("-3", -3.0), ("1,204", 1204.0), ("12,345.5", 12345.5),
    ("1,5", "ambiguous"), ("1,20", "ambiguous"), ("lots", "not a number"), ("inf", "not a number"),
    ("nan", "not a number"),
])
def test_a_typed_figure_is_read_or_refused(typed: str, expected: float | str) -> None:
    from bot.rules.kpi import parse_figure

    found = parse_figure(typed)
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found
    else:
        assert found == expected


def test_the_pulse_figures_read_as_the_pulse_report_and_home_write_them() -> None:
    from bot.rules.kpi import CATALOGUE, format_value

    by_key = {metric.key: metric for metric in CATALOGUE}
    assert format_value(by_key["pulse_score"], 3.45) == "3.5 / 5"
    assert (format_value(by_key["enps"], 33), format_value(by_key["enps"], -5), format_value(by_key["enps"], 0)) \
        == ("+33", "-5", "+0")
