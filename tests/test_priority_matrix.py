"""The escalation priority matrix as tables: vocabulary, labels and severity × impact × urgency."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from bot.rules.sla import (
    IMPACT_LABELS,
    IMPACTS,
    PRIORITIES,
    PRIORITY_LABELS,
    SEVERITIES,
    SEVERITY_DEFINITIONS,
    SEVERITY_LABELS,
    URGENCIES,
    URGENCY_LABELS,
    Impact,
    Priority,
    Severity,
    Urgency,
    priority,
)

# --------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    "values, literal",
    [(SEVERITIES, Severity), (IMPACTS, Impact), (URGENCIES, Urgency), (PRIORITIES, Priority)],
)
def test_option_tuples_match_their_types(values: tuple[str, ...], literal: object) -> None:
    assert values == get_args(literal)


@pytest.mark.parametrize(
    "labels, values",
    [
        (SEVERITY_LABELS, SEVERITIES),
        (SEVERITY_DEFINITIONS, SEVERITIES),
        (IMPACT_LABELS, IMPACTS),
        (URGENCY_LABELS, URGENCIES),
        (PRIORITY_LABELS, PRIORITIES),
    ],
)
def test_every_value_has_a_label(labels: dict[str, str], values: tuple[str, ...]) -> None:
    assert tuple(labels) == values
    assert all(label.strip() for label in labels.values())


@pytest.mark.parametrize("severity", SEVERITIES)
def test_severity_definitions_fit_a_slack_option_description(severity: Severity) -> None:
    assert len(SEVERITY_DEFINITIONS[severity]) <= 75


@pytest.mark.parametrize(
    "mapping, key, expected",
    [
        (SEVERITY_LABELS, "critical", "Critical"),
        (SEVERITY_DEFINITIONS, "critical", "Service down or data at risk; no workaround"),
        (IMPACT_LABELS, "several", "Several customers"),
        (URGENCY_LABELS, "blocking", "Blocking now"),
        (PRIORITY_LABELS, "P1", "P1 · Critical"),
    ],
)
def test_labels(mapping: dict[str, str], key: str, expected: str) -> None:
    assert mapping[key] == expected


# --------------------------------------------------------------------------- matrix


@pytest.mark.parametrize(
    "severity, impact, urgency, expected",
    [
        # the rows the product brief requires
        ("critical", "widespread", "blocking", "P1"),
        ("high", "one", "today", "P3"),
        ("low", "one", "can_wait", "P4"),
        # the rest of the matrix, as documented in priority()'s docstring
        ("critical", "one", "can_wait", "P2"),
        ("critical", "one", "today", "P2"),
        ("critical", "one", "blocking", "P2"),
        ("critical", "several", "can_wait", "P2"),
        ("critical", "several", "today", "P2"),
        ("critical", "several", "blocking", "P1"),
        ("critical", "widespread", "can_wait", "P2"),
        ("critical", "widespread", "today", "P1"),
        ("high", "one", "can_wait", "P3"),
        ("high", "one", "blocking", "P2"),
        ("high", "several", "can_wait", "P3"),
        ("high", "several", "today", "P2"),
        ("high", "several", "blocking", "P2"),
        ("high", "widespread", "can_wait", "P2"),
        ("high", "widespread", "today", "P2"),
        ("high", "widespread", "blocking", "P1"),
        ("medium", "one", "can_wait", "P4"),
        ("medium", "one", "today", "P3"),
        ("medium", "one", "blocking", "P3"),
        ("medium", "several", "can_wait", "P3"),
        ("medium", "several", "today", "P3"),
        ("medium", "several", "blocking", "P2"),
        ("medium", "widespread", "can_wait", "P3"),
        ("medium", "widespread", "today", "P2"),
        ("medium", "widespread", "blocking", "P2"),
        ("low", "one", "today", "P4"),
        ("low", "one", "blocking", "P3"),
        ("low", "several", "can_wait", "P4"),
        ("low", "several", "today", "P3"),
        ("low", "several", "blocking", "P3"),
        ("low", "widespread", "can_wait", "P3"),
        ("low", "widespread", "today", "P3"),
        ("low", "widespread", "blocking", "P3"),
    ],
)
def test_priority_matrix(severity: str, impact: str, urgency: str, expected: str) -> None:
    assert priority(severity, impact, urgency) == expected


ALL_COMBINATIONS = list(itertools.product(SEVERITIES, IMPACTS, URGENCIES))


def test_matrix_table_above_covers_every_combination() -> None:
    assert len(ALL_COMBINATIONS) == 36
    assert {priority(*combo) for combo in ALL_COMBINATIONS} == set(PRIORITIES)


URGENCY_RANK: dict[str, int] = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}  # higher is more urgent


def _rank(value: str) -> int:
    return URGENCY_RANK[value]


@pytest.mark.parametrize("severity, impact, urgency", ALL_COMBINATIONS)
def test_raising_any_one_dimension_never_lowers_the_priority(
    severity: str, impact: str, urgency: str
) -> None:
    here = _rank(priority(severity, impact, urgency))
    severities: tuple[str, ...] = SEVERITIES  # most severe first
    impacts: tuple[str, ...] = IMPACTS  # narrowest first
    urgencies: tuple[str, ...] = URGENCIES  # least urgent first
    more_severe = severities[: severities.index(severity)]
    wider = impacts[impacts.index(impact) + 1 :]
    sooner = urgencies[urgencies.index(urgency) + 1 :]
    assert (
        more_severe
        or wider
        or sooner
        or (severity, impact, urgency) == ("critical", "widespread", "blocking")
    )
    for higher in more_severe:
        assert _rank(priority(higher, impact, urgency)) >= here
    for higher in wider:
        assert _rank(priority(severity, higher, urgency)) >= here
    for higher in sooner:
        assert _rank(priority(severity, impact, higher)) >= here


@pytest.mark.parametrize("impact, urgency", list(itertools.product(IMPACTS, URGENCIES)))
def test_critical_is_never_below_p2_and_low_never_above_p3(impact: str, urgency: str) -> None:
    assert priority("critical", impact, urgency) in ("P1", "P2")
    assert priority("low", impact, urgency) in ("P3", "P4")


@pytest.mark.parametrize(
    "severity, impact, urgency, named",
    [
        ("urgent", "one", "today", "severity"),
        ("high", "everyone", "today", "impact"),
        ("high", "one", "yesterday", "urgency"),
        ("Critical", "one", "today", "severity"),
        ("", "one", "today", "severity"),
    ],
)
def test_unknown_matrix_values_are_rejected(severity: str, impact: str, urgency: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        priority(severity, impact, urgency)
