"""The prioritisation scorecard: each initiative scored 1–5 on five criteria by one or more people, weighed
by the team's weights (percent, adding up to 100) into a 1.00–5.00 score, and ranked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean

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
