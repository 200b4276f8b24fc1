"""What managers may see of a closed pulse round (DESIGN.md 3.4). Pure: no Slack, no SQL.

- Below the threshold (respondents < `min_responses`) only the participation rate is shown.
- At or above it: the average of each question to one decimal with its distribution, the eNPS
  (% promoters 9–10 − % detractors 0–6, with the counts), the change against the previous round that
  also met the threshold with the noise it is judged against (below), the rolling figure over the last
  rounds that met it (`bot.rules.pulse_trends`), and the comments (in random order; storage shuffles them).
- A change is *meaningful* only when it is larger than the round-to-round noise for those numbers of
  respondents: more than two standard errors of the difference, each round's taken from its own stored
  distribution. A 1–5 average: `|Δ| > 2 × sqrt(s1²/n1 + s2²/n2)` (`s²` the sample variance of the answers).
  eNPS: with `p`, `d` the shares of promoters and detractors of `n` respondents, one round's variance is
  `(p + d − (p − d)²) / n` (×100² in points), and `|Δ| > 2 × 100 × sqrt(v1 + v2)`.
- A roll-up across teams adds up only the teams that met their threshold: a hidden team's answers
  are in no figure at all, so no difference between figures (the roll-up minus the shown teams, or
  one manager's roll-up minus another's) can isolate them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from bot.rules.pulse import Question

BARS = "▁▂▃▄▅▆▇█"
STANDARD_ERRORS = 2
"""A change is meaningful beyond this many standard errors of the difference."""
Counts = Mapping[int, int]
"""value -> how many respondents chose it, for one question."""


def one_decimal(value: float) -> float:
    """Rounded half up to one decimal (3.25 -> 3.3), the way people round by hand."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def whole(value: float) -> int:
    """Rounded half away from zero (12.5 -> 13, -12.5 -> -13)."""
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percent(part: int, total: int) -> int:
    return whole(100 * part / total) if total else 0


def average(counts: Counts) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    return one_decimal(sum(value * n for value, n in counts.items()) / total)


def bar(question: Question, counts: Counts) -> str:
    """A small distribution bar, one character per value from low to high (`▁▃█▅▂`)."""
    top = max(counts.values(), default=0)
    if not top:
        return " " * len(question.values)
    return "".join(" " if not counts.get(v) else BARS[max(0, round(counts[v] / top * (len(BARS) - 1)))]
                   for v in question.values)


@dataclass(frozen=True)
class Enps:
    score: int
    promoters: int
    passives: int
    detractors: int

    @property
    def respondents(self) -> int:
        return self.promoters + self.passives + self.detractors


def enps(counts: Counts) -> Enps | None:
    """eNPS = % promoters (9–10) − % detractors (0–6), a whole number from −100 to 100."""
    promoters = sum(n for v, n in counts.items() if v >= 9)
    passives = sum(n for v, n in counts.items() if 7 <= v <= 8)
    detractors = sum(n for v, n in counts.items() if v <= 6)
    total = promoters + passives + detractors
    if not total:
        return None
    return Enps(whole(100 * (promoters - detractors) / total), promoters, passives, detractors)


# --------------------------------------------------------------------------- noise

def _variance(counts: Counts) -> tuple[float, int]:
    """The sample variance of the answers (n − 1 in the denominator; 0 for fewer than two) and their number."""
    n = sum(counts.values())
    if n < 2:
        return 0.0, n
    mean = sum(value * k for value, k in counts.items()) / n
    return sum(k * (value - mean) ** 2 for value, k in counts.items()) / (n - 1), n


def mean_noise(before: Counts, after: Counts, *, n_before: int | None = None,
               n_after: int | None = None) -> float | None:
    """Two standard errors of the difference of two averages, on their scale; None when a side has no answer.
    `n_before`/`n_after` replace the answer counts (the pulse score divides by respondents)."""
    s1, k1 = _variance(before)
    s2, k2 = _variance(after)
    n1, n2 = n_before or k1, n_after or k2
    if not (k1 and k2 and n1 and n2):
        return None
    return STANDARD_ERRORS * math.sqrt(s1 / n1 + s2 / n2)


def enps_variance(score: Enps) -> float:
    """The variance of one round's eNPS in points²: `(p + d − (p − d)²) / n × 100²`."""
    n = score.respondents
    if not n:
        return 0.0
    p, d = score.promoters / n, score.detractors / n
    return (p + d - (p - d) ** 2) / n * 100 ** 2


def enps_noise(before: Enps, after: Enps) -> float:
    """Two standard errors of the difference of two eNPS values, in points."""
    return STANDARD_ERRORS * math.sqrt(enps_variance(before) + enps_variance(after))


@dataclass(frozen=True)
class Trend:
    """A change against the previous round that met the threshold, with the noise it is judged against."""

    change: float
    noise: float

    @property
    def meaningful(self) -> bool:
        return abs(self.change) > self.noise




@dataclass(frozen=True)
class Rolling:
    """The answers of several rounds that met the threshold, pooled."""

    rounds: tuple[str, ...]
    """Their names, oldest first (`2026-W42` … `2026-W45`)."""
    answers: int
    """Respondents summed over the rounds (one person answers once a round, so once per round here)."""
    averages: Mapping[str, float | None]
    """Question text -> the pooled 1–5 average, to one decimal."""
    score: float | None
    enps: Enps | None

    @property
    def span(self) -> str:
        """`2026-W42, 2026-W44 and 2026-W45` (a round below its threshold in between is not among them)."""
        return self.rounds[0] if len(self.rounds) == 1 else f"{', '.join(self.rounds[:-1])} and {self.rounds[-1]}"


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    average: float | None
    distribution: tuple[int, ...]
    """How many chose each value, low to high."""
    bar: str
    change: float | None = None
    """Against the previous round that met the threshold and asked the same question."""
    noise: float | None = None
    """Two standard errors of that change: it is meaningful only beyond."""

    @property
    def meaningful(self) -> bool:
        return self.change is not None and self.noise is not None and abs(self.change) > self.noise


@dataclass(frozen=True)
class Tally:
    """A round's answers as counts: question index -> value -> respondents. Nothing else."""

    questions: tuple[Question, ...]
    counts: Mapping[int, Counts]
    respondents: int


@dataclass(frozen=True)
class Results:
    """A closed round as managers see it: figures only at or above the threshold."""

    name: str
    """The team (or teams) and the round, e.g. `Tier 1 Support · 2026-W45`."""
    invited: int
    respondents: int
    min_responses: int
    questions: tuple[QuestionResult, ...] = ()
    enps: Enps | None = None
    enps_change: int | None = None
    comments: tuple[str, ...] = ()
    compared_with: str | None = None
    """The round the changes are against."""
    left_out: tuple[str, ...] = ()
    """In a roll-up: the teams below their threshold, whose answers are in no figure."""
    enps_noise: float | None = None
    """Two standard errors of `enps_change`: it is meaningful only beyond."""
    rolling: Rolling | None = None
    """The answers of the last rounds that met the threshold, this one included, pooled."""

    @property
    def enps_meaningful(self) -> bool:
        return self.enps_change is not None and self.enps_noise is not None and abs(self.enps_change) > self.enps_noise

    @property
    def visible(self) -> bool:
        """Whether there are figures to show (the threshold was met; in a roll-up, by a team at least)."""
        return bool(self.questions) or self.enps is not None

    @property
    def participation(self) -> int:
        return percent(self.respondents, self.invited)


def results(name: str, tally: Tally, *, invited: int, min_responses: int, comments: Sequence[str] = (),
            previous: Results | None = None, rolling: Rolling | None = None) -> Results:
    """The round's results; below `min_responses` only participation. `previous` is the team's last round
    that met its threshold, named as the trend shows it (`2026-W45`); a hidden one is never compared with.
    `rolling` (`pulse_trends.rolling`) is shown only with the round's own figures."""
    if tally.respondents < min_responses:
        return Results(name, invited, tally.respondents, min_responses)
    if previous is not None and not previous.visible:
        previous = None
    earlier = {r.question.text: r for r in previous.questions} if previous else {}
    shown = []
    for index, question in enumerate(tally.questions):
        if question.is_enps:
            continue
        counts = tally.counts.get(index, {})
        mean = average(counts)
        before = earlier.get(question.text)
        change = noise = None
        if mean is not None and before is not None and before.average is not None:
            change = one_decimal(mean - before.average)
            noise = mean_noise(dict(zip(question.values, before.distribution, strict=True)), counts)
        shown.append(QuestionResult(question, mean, tuple(counts.get(v, 0) for v in question.values),
                                    bar(question, counts), change, noise))
    net = enps_of(tally)
    enps_change = enps_error = None
    if net and previous and previous.enps:
        enps_change, enps_error = net.score - previous.enps.score, enps_noise(previous.enps, net)
    return Results(name, invited, tally.respondents, min_responses, tuple(shown), net, enps_change,
                   tuple(comments), previous.name if previous else None, enps_noise=enps_error, rolling=rolling)


def enps_of(tally: Tally) -> Enps | None:
    """The eNPS of a round's answers (None when it asked no eNPS question or nobody answered it)."""
    for index, question in enumerate(tally.questions):
        if question.is_enps:
            return enps(tally.counts.get(index, {}))
    return None


def score(tally: Tally) -> float | None:
    """The round's pulse score: the average of every 1–5 answer, to one decimal."""
    merged: dict[int, int] = {}
    for index, question in enumerate(tally.questions):
        if not question.is_enps:
            for value, n in tally.counts.get(index, {}).items():
                merged[value] = merged.get(value, 0) + n
    return average(merged)


# --------------------------------------------------------------------------- across teams

@dataclass(frozen=True)
class TeamRound:
    """One team's closed round, as the roll-up needs it."""

    team: str
    tally: Tally
    invited: int
    min_responses: int

    @property
    def visible(self) -> bool:
        return self.tally.respondents >= self.min_responses


@dataclass(frozen=True)
class Rollup:
    results: Results
    included: tuple[str, ...] = ()
    """The teams whose answers are in the figures."""


def rollup(name: str, rounds: Sequence[TeamRound]) -> Rollup:
    """One set of figures across teams, from the teams that met their own threshold only.

    A hidden team contributes to the participation rate (which is always shown per team anyway) and to
    nothing else, so the roll-up is a function of the shown teams' answers: subtracting the shown teams
    from it, or one roll-up from another, reveals nothing about a hidden team. When no team met its
    threshold the roll-up is hidden like a team's results."""
    shown = [r for r in rounds if r.visible]
    left_out = tuple(r.team for r in rounds if not r.visible)
    threshold = max((r.min_responses for r in rounds), default=3)
    invited = sum(r.invited for r in rounds)
    respondents = sum(r.tally.respondents for r in rounds)
    if not shown:
        return Rollup(Results(name, invited, respondents, threshold, left_out=left_out))
    questions: list[Question] = []
    counts: dict[int, dict[int, int]] = {}
    for team_round in shown:
        for index, question in enumerate(team_round.tally.questions):
            if question not in questions:
                questions.append(question)
            merged = counts.setdefault(questions.index(question), {})
            for value, n in team_round.tally.counts.get(index, {}).items():
                merged[value] = merged.get(value, 0) + n
    tally = Tally(tuple(questions), counts, sum(r.tally.respondents for r in shown))
    combined = results(name, tally, invited=invited, min_responses=min(r.min_responses for r in shown))
    # The participation is everyone's; the figures are the shown teams' only.
    return Rollup(replace(combined, respondents=respondents, left_out=left_out),
                  included=tuple(r.team for r in shown))
