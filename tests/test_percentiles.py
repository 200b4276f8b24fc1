"""Median and percentiles, checked against numpy's default (linear) method by hand."""

from __future__ import annotations

import math

import pytest

from bot.rules.percentiles import median, percentile


@pytest.mark.parametrize(
    "values, expected",
    [
        ([], None),
        ([7], 7.0),
        ([3, 1, 2], 2.0),
        ([1, 2, 3, 4], 2.5),
        ([4.5, -1.0], 1.75),
        ([5, 5, 5, 100], 5.0),
        ((10, 30, 20), 20.0),
    ],
)
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    "values, q, expected",
    [
        ([], 50, None),
        ([5], 0, 5.0),
        ([5], 90, 5.0),
        ([1, 2, 3, 4], 0, 1.0),
        ([1, 2, 3, 4], 100, 4.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 25, 1.75),  # position 0.75
        ([1, 2, 3, 4], 90, 3.7),  # position 2.7
        ([4, 1, 3, 2], 90, 3.7),  # order does not matter
        ([10, 20], 90, 19.0),
        (list(range(1, 11)), 90, 9.1),  # position 8.1
        (list(range(1, 11)), 10, 1.9),
        ([0.5, 0.25, 0.75], 50, 0.5),
        ([1, 1, 1, 1000], 50, 1.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    result = percentile(values, q)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize("values", [[1, 2], [3, 1, 2], [2.5, 9, -4, 0]])
def test_median_is_the_50th_percentile(values: list[float]) -> None:
    assert median(values) == pytest.approx(percentile(values, 50))


@pytest.mark.parametrize("q", [-0.1, 100.5, math.nan])
def test_q_must_be_a_percentage(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1, 2, 3], q)


@pytest.mark.parametrize("call", [median, lambda values: percentile(values, 50)])
def test_nan_values_are_rejected(call: object) -> None:
    with pytest.raises(ValueError, match="NaN"):
        call([1.0, math.nan])  # type: ignore[operator]
