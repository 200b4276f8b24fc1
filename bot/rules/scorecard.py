"""The prioritisation scorecard: each initiative scored 1–5 on five criteria by one or more people, weighed
by the team's weights (percent, adding up to 100) into a 1.00–5.00 score, and ranked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean

from bot.rules.kpi import Change, Metric, change, metric_of
from bot.rules.kpi_digest import counted_value
from bot.rules.team_config import CRITERIA, ScorecardConfig

LABELS = {"csat": "Impact on customer satisfaction", "churn": "Impact on churn", "cost": "Impact on support costs",
          "feasibility": "Feasibility", "alignment": "Alignment with business goals"}
SHORT = {"csat": "satisfaction", "churn": "churn", "cost": "support costs", "feasibility": "feasibility",
         "alignment": "business goals"}
SCORES = (1, 2, 3, 4, 5)


def weights_of(config: ScorecardConfig) -> dict[str, int]:
    return {str(criterion): weight for criterion, weight in config.weights.items()}


def weighted(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """Σ weight × score on the 1.00–5.00 scale (weights in percent)."""
    return round(sum(weights.get(c, 0) * scores[c] for c in CRITERIA) / 100, 2)


@dataclass(frozen=True)
class Scored:
    """An initiative as the list shows it."""

    id: int
    title: str
    created_at: datetime
    scorers: tuple[str, ...]
    score: float | None
    """The mean of each scorer's weighted score; None before anyone scored it."""
    spread: float
    """Highest minus lowest weighted score among its scorers."""
    per_criterion: dict[str, float]
    """Mean score per criterion."""
    missing: int
    """Team members who have not scored it."""


def summarise(initiative_id: int, title: str, created_at: datetime, scores: Mapping[str, Mapping[str, int]],
              weights: Mapping[str, int], members: Sequence[str]) -> Scored:
    """`scores`: each scorer's 1–5 per criterion."""
    each = [weighted(s, weights) for s in scores.values()]
    return Scored(
        id=initiative_id, title=title, created_at=created_at, scorers=tuple(sorted(scores)),
        score=round(mean(each), 2) if each else None, spread=round(max(each) - min(each), 2) if each else 0.0,
        per_criterion={c: round(mean(s[c] for s in scores.values()), 1) for c in CRITERIA} if scores else {},
        missing=len([m for m in members if m not in scores]))


def ranked(initiatives: Sequence[Scored]) -> list[Scored]:
    """Highest score first; ties go to fewer missing scores, then to the older initiative; unscored last."""
    return sorted(initiatives, key=lambda i: (i.score is None, -(i.score or 0), i.missing, i.created_at, i.id))


# --------------------------------------------------------------------------- the form's reading of 1 to 5

HINTS = {"csat": "5 = most benefit: customers much happier · 1 = little or none",
         "churn": "5 = most benefit: keeps the most customers · 1 = little or none",
         "cost": "5 = most benefit: saves the most support work · 1 = little or none",
         "feasibility": "5 = easiest to do (little effort, little risk) · 1 = hardest",
         "alignment": "5 = most benefit: serves the business goals directly · 1 = not at all"}
"""Every criterion is scored so that 5 is best for the initiative: the most benefit, or (feasibility) the
easiest to do. Said under each criterion in the forms, or feasibility would read like a cost."""


# --------------------------------------------------------------------------- owner, target date and KPI

KPI_DAYS = 7
"""The KPI's change compares the 7 days before an initiative was proposed with the last 7 days."""


def kpi_windows(started: date, today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The 7 local days before the day it was proposed, and the last 7 days up to today, but none before the
    day it was proposed (so "since it started" never counts days from before it)."""
    before = (started - timedelta(days=KPI_DAYS), started - timedelta(days=1))
    return before, (max(today - timedelta(days=KPI_DAYS - 1), started), today)


def days_overdue(target: date | None, today: date) -> int:
    """How many days past its target date an open initiative is (0 when not past it or without one)."""
    return max((today - target).days, 0) if target is not None else 0


@dataclass(frozen=True)
class KpiMove:
    """The KPI an initiative should move, in the 7 days before it started and in the last 7 days."""

    metric: Metric
    before: str
    """The value with the count behind it (`71.4% of 14 rated`), or "" when there is not enough data."""
    after: str
    change: Change | None
    """None when either window has no data, or the value before was zero (no percentage from zero)."""
    moved: str
    """`↑ 12%, better`, `↓ 5%, worse`, `→ 0%`, `up from zero`, `no change`; "" without enough data."""

    @property
    def enough(self) -> bool:
        return bool(self.before and self.after)

    def __str__(self) -> str:
        if not self.enough:
            return f"{self.metric.label}: not enough data yet"
        return f"{self.metric.label}: {self.before} → {self.after} ({self.moved})"


def kpi_move(key: str, before: float | None, before_count: int, after: float | None, after_count: int) -> KpiMove:
    """The KPI's change since the initiative started. A window is empty when it has no value or nothing
    behind it (no ticket, rating or escalation): then there is not enough data yet, and no change. The
    change says `better` or `worse` for a metric with a direction (not for volumes)."""
    metric = metric_of(key)
    if before is None or after is None or before_count == 0 or after_count == 0:
        return KpiMove(metric, "", "", None, "")
    moved = change(after, before)
    if moved is None:
        said = "no change" if after == before else ("up from zero" if after > 0 else "down from zero")
    else:
        said = str(moved)
    better = after > before if metric.better == "higher" else after < before
    if metric.better is not None and after != before and (moved is None or moved.arrow != "→"):
        said += ", better" if better else ", worse"
    return KpiMove(metric, counted_value(metric, before, before_count), counted_value(metric, after, after_count),
                   moved, said)


@dataclass(frozen=True)
class Tracking:
    """What the list shows under an initiative besides its score: who drives it, by when, and its KPI."""

    owner: str | None = None
    target: date | None = None
    overdue: int = 0
    """Days past the target date (0: not past it, or no target date)."""
    kpi: KpiMove | None = None
