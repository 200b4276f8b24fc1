"""KPI rules (DESIGN.md 3.3): the metric catalogue, how a value is judged against its target, and how it
changed against the day before and the 7-day average.

Pure: no Slack, no SQL. Storage computes each metric's value and sample size per team and local day;
these rules decide what they mean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.rules.team_config import KpiTargets

Group = Literal["volume", "speed", "quality", "team"]
Unit = Literal["count", "minutes", "hours", "percent", "score", "number"]
Better = Literal["higher", "lower"]
Status = Literal["green", "amber", "red"]
Source = Literal["tickets", "escalations", "standups", "pulse", "manual"]

GROUPS: tuple[Group, ...] = ("volume", "speed", "quality", "team")
GROUP_LABELS: Mapping[Group, str] = {"volume": "Volume", "speed": "Speed", "quality": "Quality", "team": "Team"}
STATUS_ICONS: Mapping[Status, str] = {"green": "🟢", "amber": "🟠", "red": "🔴"}
MIN_SAMPLE = 5
"""Fewer tickets (or escalations, or ratings) than this behind a value that day: no status."""
AMBER_MARGIN = 0.10
"""Within 10 % of the target on the wrong side is amber; further is red."""


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    group: Group
    unit: Unit
    source: Source
    better: Better | None = None
    """Which direction is good; None for figures that are neither (volume)."""
    target_field: str | None = None
    """The `KpiTargets` field holding the team's target; None for metrics without one."""

    def target(self, targets: KpiTargets) -> float | None:
        return None if self.target_field is None else float(getattr(targets, self.target_field))


CATALOGUE: tuple[Metric, ...] = (
    Metric("created", "Tickets created", "volume", "count", "tickets"),
    Metric("solved", "Tickets solved", "volume", "count", "tickets"),
    Metric("backlog", "Backlog at end of day", "volume", "count", "tickets", better="lower"),
    Metric("escalations_opened", "Escalations opened", "volume", "count", "escalations"),
    Metric("escalations_resolved", "Escalations resolved", "volume", "count", "escalations"),
    Metric("escalations_open", "Escalations open at end of day", "volume", "count", "escalations", better="lower"),
    Metric("first_response_mean", "First response (mean)", "speed", "minutes", "tickets", better="lower"),
    Metric("first_response_median", "First response (median)", "speed", "minutes", "tickets", better="lower",
           target_field="first_response_minutes"),
    Metric("first_response_p90", "First response (p90)", "speed", "minutes", "tickets", better="lower"),
    Metric("resolution_median", "Resolution time (median)", "speed", "hours", "tickets", better="lower",
           target_field="resolution_hours"),
    Metric("resolution_p90", "Resolution time (p90)", "speed", "hours", "tickets", better="lower"),
    Metric("fcr", "First-contact resolution", "quality", "percent", "tickets", better="higher",
           target_field="fcr_percent"),
    Metric("csat", "CSAT", "quality", "percent", "tickets", better="higher", target_field="csat_percent"),
    Metric("sla_breaches", "SLA breaches", "quality", "count", "tickets", better="lower"),
    Metric("escalation_sla", "Escalation SLA attainment", "quality", "percent", "escalations", better="higher",
           target_field="escalation_sla_percent"),
    Metric("standup_participation", "Stand-up participation", "team", "percent", "standups", better="higher"),
    Metric("pulse_score", "Pulse score (latest round)", "team", "score", "pulse", better="higher"),
    Metric("enps", "eNPS (latest round)", "team", "number", "pulse", better="higher"),
)
BY_KEY: Mapping[str, Metric] = {metric.key: metric for metric in CATALOGUE}
"""The computed metrics; any other key is a figure logged with `/kpi log`."""
HEADLINE = ("first_response_median", "resolution_median", "csat", "fcr")
"""The metrics drawn on the 14-day trend chart (small multiples, each with its target line)."""


def manual_metric(key: str) -> Metric:
    """A figure logged with `/kpi log` (an NPS from a survey tool, a churn rate): shown, never judged."""
    return Metric(key, key.replace("_", " ").capitalize() + " (logged)", "quality", "number", "manual")


def metric_of(key: str) -> Metric:
    return BY_KEY.get(key) or manual_metric(key)


# --------------------------------------------------------------------------- judging

def judge(metric: Metric, value: float | None, target: float | None, sample: int) -> Status | None:
    """Green when the target is met, amber within 10 % of it, red beyond; None without a target, a value,
    a direction, or with fewer than `MIN_SAMPLE` tickets behind the value."""
    if value is None or target is None or metric.better is None or sample < MIN_SAMPLE:
        return None
    if metric.better == "lower":
        if value <= target:
            return "green"
        return "amber" if value <= target * (1 + AMBER_MARGIN) else "red"
    if value >= target:
        return "green"
    return "amber" if value >= target * (1 - AMBER_MARGIN) else "red"


@dataclass(frozen=True)
class Change:
    """How a value moved against a reference: an arrow and a signed percentage."""

    percent: float

    @property
    def arrow(self) -> str:
        if round(self.percent) > 0:
            return "↑"
        return "↓" if round(self.percent) < 0 else "→"

    def __str__(self) -> str:
        return f"{self.arrow} {abs(self.percent):.0f}%"


def change(value: float | None, reference: float | None) -> Change | None:
    """The relative change from `reference` to `value`; None when either is missing or the reference is zero:
    there is no percentage from zero (0 against 0 is not "→ 0%", it is nothing to compare)."""
    if value is None or reference is None or reference == 0:
        return None
    return Change(100 * (value - reference) / abs(reference))


def average(values: Iterable[float | None]) -> float | None:
    """The mean of the values present (days without data do not count as zero)."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True)
class Reading:
    """One metric on one day, judged: what a digest line shows."""

    metric: Metric
    value: float | None
    target: float | None
    status: Status | None
    vs_day_before: Change | None
    vs_week: Change | None
    contributors: tuple[str, ...] = field(default_factory=tuple)


def read(metric: Metric, day: Mapping[str, float | None], samples: Mapping[str, int],
         before: Sequence[Mapping[str, float | None]], targets: KpiTargets) -> Reading:
    """Judge `metric` on a day given the days before it, most recent first (`before[0]` is the day before;
    the first seven make the 7-day average)."""
    value, target = day.get(metric.key), metric.target(targets)
    previous = before[0].get(metric.key) if before else None
    week = average(d.get(metric.key) for d in before[:7])
    return Reading(metric, value, target, judge(metric, value, target, samples.get(metric.key, 0)),
                   change(value, previous), change(value, week))


# --------------------------------------------------------------------------- formatting

def _number(value: float) -> str:
    if math.isclose(value, round(value)):
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    match metric.unit:
        case "count":
            return f"{round(value):,}"
        case "minutes":
            if value < 60:
                return f"{value:.0f} min"
            hours, minutes = divmod(round(value), 60)
            return f"{hours} h {minutes} min" if minutes else f"{hours} h"
        case "hours":
            return f"{value:.1f} h"
        case "percent":
            return f"{value:.1f}%"
        case "score":
            return f"{value:.1f} / 5"  # as the pulse report and Home write it
        case _ if metric.key == "enps":
            return f"{value:+.0f}"  # eNPS is signed, as the pulse report and Home write it
        case _:
            return _number(value)


def format_target(metric: Metric, target: float | None) -> str:
    if target is None or metric.better is None:
        return ""
    return ("≤ " if metric.better == "lower" else "≥ ") + format_value(metric, target)


THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def parse_figure(text: str) -> float | str:
    """A figure someone typed: `42`, `12.5`, `-3`, `1,204` (thousands); or what is wrong with it. `1,5` is
    refused rather than guessed: it is 1.5 in much of Europe and 15 nowhere."""
    raw = text.strip()
    if "," in raw and not THOUSANDS.fullmatch(raw):
        return f"`{raw[:30]}` is ambiguous: write decimals with a dot (1.5) and thousands as 1,204"
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        return f"`{raw[:30]}` is not a number"
    return value if math.isfinite(value) else f"`{raw[:30]}` is not a number"
