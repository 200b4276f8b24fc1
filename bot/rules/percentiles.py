"""Median and percentiles for small in-memory samples (e.g. a page of stats).

Matches numpy's default ("linear") method, so numbers agree with the SQL and
spreadsheet tooling support managers already use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _sorted_finite(values: Sequence[float]) -> list[float]:
    ordered = sorted(float(value) for value in values)
    if any(math.isnan(value) for value in ordered):
        raise ValueError("values must not contain NaN")
    return ordered


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty."""
    ordered = _sorted_finite(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks; None when empty."""
    if not 0 <= q <= 100:  # also rejects NaN
        raise ValueError(f"q must be between 0 and 100, got {q}")
    ordered = _sorted_finite(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    low, high = ordered[lower], ordered[upper]
    # numpy's lerp: interpolate from the nearer end, so q=100 gives exactly the maximum.
    if fraction >= 0.5:
        return high - (high - low) * (1 - fraction)
    return low + (high - low) * fraction
