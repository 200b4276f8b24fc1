"""Pulse trends that mean something (DESIGN.md 3.4): the rolling figure beside a week's, and a team's latest
result with its changes judged against the noise. Pure: no Slack, no SQL.

A week's figures rest on a handful of answers: with six, one person moving from a 6 to a 10 moves the eNPS by
33 points. So a change is *meaningful* only when it is larger than two standard errors of the difference
(`pulse_results.mean_noise`, `pulse_results.enps_noise`). The pulse score pools every 1–5 answer of a round,
and its noise divides by the round's *respondents*, not its answers: one person's answers move together, so
counting each as independent would understate the noise (the pooled variance over respondents bounds the
error of the mean from above).

The *rolling figure* pools the answers (not the averages) of the last `ROLLING_ROUNDS` rounds that met the
anonymity threshold, this one included: the stored counts per value add up exactly, so a quiet week weighs
what its few answers weigh. A round below its threshold is never pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.pulse_results import (
    Counts,
    Enps,
    Rolling,
    Tally,
    Trend,
    average,
    enps,
    enps_noise,
    mean_noise,
    one_decimal,
)

ROLLING_ROUNDS = 4


def pooled_score_counts(tally: Tally) -> dict[int, int]:
    """Every 1–5 answer of a round, as one distribution (what the pulse score averages)."""
    merged: dict[int, int] = {}
    for index, question in enumerate(tally.questions):
        if not question.is_enps:
            for value, n in tally.counts.get(index, {}).items():
                merged[value] = merged.get(value, 0) + n
    return merged


def _enps_counts(tally: Tally) -> Counts:
    for index, question in enumerate(tally.questions):
        if question.is_enps:
            return tally.counts.get(index, {})
    return {}


# --------------------------------------------------------------------------- the rolling figure

@dataclass(frozen=True)
class ShownRound:
    """A closed round as the trend needs it: its name and answers, and its anonymity threshold."""

    name: str
    tally: Tally
    min_responses: int

    @property
    def visible(self) -> bool:
        return self.tally.respondents >= self.min_responses


def rolling(rounds: Sequence[ShownRound]) -> Rolling | None:
    """The last `ROLLING_ROUNDS` rounds that met their threshold (most recent first), their answers pooled;
    None with fewer than two (one round's figure is the week's own)."""
    shown = [r for r in rounds if r.visible][:ROLLING_ROUNDS]
    if len(shown) < 2:
        return None
    per_question: dict[str, dict[int, int]] = {}
    net: dict[int, int] = {}
    for one in shown:
        for index, question in enumerate(one.tally.questions):
            into = net if question.is_enps else per_question.setdefault(question.text, {})
            for value, n in one.tally.counts.get(index, {}).items():
                into[value] = into.get(value, 0) + n
    merged: dict[int, int] = {}
    for counts in per_question.values():
        for value, n in counts.items():
            merged[value] = merged.get(value, 0) + n
    return Rolling(tuple(r.name for r in reversed(shown)), sum(r.tally.respondents for r in shown),
                   {text: average(counts) for text, counts in per_question.items()}, average(merged), enps(net))


# --------------------------------------------------------------------------- a team's latest result

@dataclass(frozen=True)
class PulseTrend:
    """A team's latest round that met its threshold, its change against the one before, and the rolling figure
    (what App Home shows)."""

    week: str
    respondents: int
    score: float | None
    enps: Enps | None
    compared_with: str | None = None
    score_change: Trend | None = None
    enps_change: Trend | None = None
    rolling: Rolling | None = None


def pulse_trend(rounds: Sequence[ShownRound]) -> PulseTrend | None:
    """From a team's closed rounds, most recent first (rounds below their threshold are skipped)."""
    shown = [r for r in rounds if r.visible]
    if not shown:
        return None
    latest = shown[0]
    counts = pooled_score_counts(latest.tally)
    score, net = average(counts), enps(_enps_counts(latest.tally))
    found = PulseTrend(latest.name, latest.tally.respondents, score, net, rolling=rolling(shown))
    if len(shown) < 2:
        return found
    before = shown[1]
    before_counts = pooled_score_counts(before.tally)
    before_score, before_net = average(before_counts), enps(_enps_counts(before.tally))
    score_change = None
    if score is not None and before_score is not None:
        noise = mean_noise(before_counts, counts, n_before=before.tally.respondents, n_after=latest.tally.respondents)
        score_change = Trend(one_decimal(score - before_score), noise or 0.0)
    enps_change = (Trend(net.score - before_net.score, enps_noise(before_net, net))
                   if net is not None and before_net is not None else None)
    return PulseTrend(latest.name, latest.tally.respondents, score, net, before.name, score_change, enps_change,
                      found.rolling)
