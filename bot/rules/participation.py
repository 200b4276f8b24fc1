"""Stand-up participation and its streak: the one definition the App Home, the KPI series (the digest, `/kpi`)
and every other reader use.

Each member's day has a status: `prompted` (asked, not answered: missed once the window closed), `answered`,
`skipped` (said so with `/standup skip`) or `away`. Participation is answered days of the days they were asked
(answered, skipped or missed); away days do not count. The streak is the answered days in a row up to the
latest: a skip or an away day does not break it, a missed day does.

Pure: plain values in, numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ANSWERED = "answered"
ASKED = ("prompted", "answered", "skipped")
"""The statuses of someone who was expected to answer that day."""
BREAKS_STREAK = "prompted"


@dataclass(frozen=True)
class Participation:
    user_id: str
    answered: int
    expected: int
    """Days they were asked (answered, skipped or missed); away days are not counted."""
    streak: int = 0
    """Answered days in a row, up to the latest; a skip or an away day does not break it, a miss does."""

    @property
    def rate(self) -> float | None:
        return self.answered / self.expected if self.expected else None


def counts(statuses: Iterable[str]) -> tuple[int, int]:
    """(answered, expected) of some days' statuses."""
    asked = [s for s in statuses if s in ASKED]
    return sum(s == ANSWERED for s in asked), len(asked)


def percent(answered: int, expected: int) -> float | None:
    """The team's participation in percent: answered of expected, summed over members and days."""
    return 100 * answered / expected if expected else None


def streak(newest_first: Iterable[str]) -> int:
    """Answered days in a row, counting back from the latest day."""
    found = 0
    for status in newest_first:
        if status == BREAKS_STREAK:
            break
        found += status == ANSWERED
    return found
