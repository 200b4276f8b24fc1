"""Alerts on change and the 30-day baseline plan (DESIGN.md 3.3).

- A metric that turns red alerts once; once more when it recovers (amber or green); never again while
  it stays red. A day without a status (too little data) changes nothing.
- `/kpi baseline <metric>` pins the metric's 7-day average. For the 30 days from the day it was pinned
  (day 1) the digest shows the change against it; on day 30 a summary says where it went.

Pure: no Slack, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.rules.kpi import Change, Metric, Status, average, change

AlertKind = Literal["red", "recovered"]
PLAN_DAYS = 30


def alert(was_red: bool, status: Status | None) -> AlertKind | None:
    """What to announce when a metric is judged `status` and was red (or not) before."""
    if status is None:
        return None
    if status == "red" and not was_red:
        return "red"
    if status != "red" and was_red:
        return "recovered"
    return None


def still_red(was_red: bool, status: Status | None) -> bool:
    """The alert state after a judgement: a day without a status keeps the previous one."""
    return was_red if status is None else status == "red"


@dataclass(frozen=True)
class Baseline:
    metric: str
    value: float
    pinned_on: date


def plan_day(baseline: Baseline, day: date) -> int | None:
    """Which day of the 30-day plan `day` is (1 = the day it was pinned), or None outside it."""
    number = (day - baseline.pinned_on).days + 1
    return number if 1 <= number <= PLAN_DAYS else None


def is_summary_day(baseline: Baseline, day: date) -> bool:
    return plan_day(baseline, day) == PLAN_DAYS


def pin(metric: str, last_seven_days: Mapping[date, float | None], today: date) -> Baseline | None:
    """The baseline: the 7-day average of the days before `today`; None without any data."""
    value = average(last_seven_days.values())
    return None if value is None else Baseline(metric, value, today)


@dataclass(frozen=True)
class DayValue:
    day: date
    value: float


@dataclass(frozen=True)
class BaselineSummary:
    metric: Metric
    baseline: float
    now: float | None
    """The average of the plan's last seven days (days 24-30), comparable with the baseline."""
    change: Change | None
    best: DayValue | None
    worst: DayValue | None


def summarize(metric: Metric, baseline: Baseline, daily: Mapping[date, float | None]) -> BaselineSummary:
    """The day-30 summary from the plan's daily values (days without data are skipped)."""
    inside = sorted((d, v) for d, v in daily.items() if v is not None and plan_day(baseline, d) is not None)
    now = average(v for d, v in inside if (plan_day(baseline, d) or 0) > PLAN_DAYS - 7)
    ranked = sorted(inside, key=lambda item: (item[1], item[0]))
    if metric.better == "lower":
        best, worst = (ranked[0], ranked[-1]) if ranked else (None, None)
    else:
        best, worst = (ranked[-1], ranked[0]) if ranked else (None, None)
    return BaselineSummary(
        metric, baseline.value, now, change(now, baseline.value),
        DayValue(*best) if best else None, DayValue(*worst) if worst else None,
    )
