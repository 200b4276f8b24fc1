"""What a digest shows first (issue 23): off-target metrics, then what moved most, then what is on target;
steady figures in one compact line; nothing for a metric whose value and changes are all zero. And the count
behind every rate and median, saying when it is too few to judge.

Pure: no Slack, no SQL. The digest's views lay out what `arrange` decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.rules.kpi import MIN_SAMPLE, Metric, Reading, format_value

Place = Literal["off_target", "moved", "on_target", "steady", "hidden"]
PLACES: tuple[Place, ...] = ("off_target", "moved", "on_target", "steady")
MOVED_PERCENT = 20.0
"""A change of at least this much (against the 7-day average, else the day before) is a move worth a line."""

COUNTED: Mapping[str, tuple[str, str]] = {
    # metric: (what its count counts, what is said when there are none)
    "first_response_mean": ("tickets", "no first replies"),
    "first_response_median": ("tickets", "no first replies"),
    "first_response_p90": ("tickets", "no first replies"),
    "resolution_median": ("solved", "nothing solved"),
    "resolution_p90": ("solved", "nothing solved"),
    "fcr": ("solved", "nothing solved"),
    "csat": ("rated", "no ratings"),
    "escalation_sla": ("SLA clocks due", "no escalations due"),
    "standup_participation": ("asked", "no stand-ups asked"),
    "pulse_score": ("answers", "no round yet"),
    "enps": ("answers", "no round yet"),
}
"""The rates, medians and averages whose value rests on a count that is shown beside it."""


def moved_by(reading: Reading) -> float:
    """How far the value moved, in percent: against the 7-day average when there is one, else the day before."""
    change = reading.vs_week if reading.vs_week is not None else reading.vs_day_before
    return abs(change.percent) if change is not None else 0.0


def _still(reading: Reading) -> bool:
    """No change shown (none to compare, or rounded to 0%)."""
    return all(c is None or c.arrow == "→" for c in (reading.vs_day_before, reading.vs_week))


def place(reading: Reading, sample: int) -> Place:
    """Where a metric's line goes. `sample` is the count behind its value."""
    metric = reading.metric
    if reading.status in ("red", "amber"):
        return "off_target"
    if moved_by(reading) >= MOVED_PERCENT and metric.source != "pulse":
        # a pulse figure moves once a week, by whole people: whether that is more than the noise for its
        # number of respondents is judged in the pulse report and on Home (bot.rules.pulse_results), not here
        return "moved"
    if reading.status == "green":
        return "on_target"
    if not reading.value and _still(reading):
        # nothing happened: a zero count, or no value. A metric with a target says why it has none.
        return "steady" if reading.target is not None and metric.key in COUNTED and sample == 0 else "hidden"
    return "steady"


@dataclass(frozen=True)
class Arrangement:
    off_target: list[Reading]
    moved: list[Reading]
    on_target: list[Reading]
    steady: list[Reading]
    hidden: list[Reading]


def arrange(readings: Sequence[Reading], samples: Mapping[str, int]) -> Arrangement:
    """Red before amber, each by how far it moved; moves by size; the rest in catalogue order."""
    by: dict[Place, list[Reading]] = {"off_target": [], "moved": [], "on_target": [], "steady": [], "hidden": []}
    for reading in readings:
        by[place(reading, samples.get(reading.metric.key, 0))].append(reading)
    off = sorted(by["off_target"], key=lambda r: (r.status != "red", -moved_by(r)))
    moved = sorted(by["moved"], key=lambda r: -moved_by(r))
    return Arrangement(off, moved, by["on_target"], by["steady"], by["hidden"])


def counted_value(metric: Metric, value: float | None, sample: int) -> str:
    """The value with the count behind it: `77.8% of 9 rated`, `1 h 32 min of 41 tickets`; `no ratings`
    when there is none; `80.0% · too few to judge (3 rated)` when a target needs more."""
    counted = COUNTED.get(metric.key)
    if counted is None:
        return format_value(metric, value)
    noun, none = counted
    if value is None or sample == 0:
        return none if sample == 0 else format_value(metric, value)
    shown = format_value(metric, value)
    if metric.target_field is not None and sample < MIN_SAMPLE:
        return f"{shown} · too few to judge ({sample:,} {noun})"
    return f"{shown} of {sample:,} {noun}"
