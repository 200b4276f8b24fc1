"""The time left to an open escalation's next SLA, as a table: which clock is next (the acknowledgement only
while unacknowledged; an overdue clock before any still to come) and how it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.escalations import Deadlines, next_due

NOW = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)


def at(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


@pytest.mark.parametrize("status, ack, update, resolve, expected", [
    ("open", at(minutes=12), at(hours=1), at(hours=4), "ack due in 12 min"),
    ("open", at(minutes=-20), at(minutes=-5), at(hours=3), "ack overdue by 20 min"),  # the most overdue first
    ("open", at(), at(hours=1), at(hours=4), "ack due now"),
    ("acknowledged", at(minutes=-30), at(minutes=-5), at(hours=3), "update overdue by 5 min"),  # ack is done
    ("acknowledged", at(minutes=-30), at(hours=5), at(hours=3, minutes=10), "resolve due in 3 h 10 min"),
    ("acknowledged", at(hours=-9), at(hours=2), at(minutes=-90), "resolve overdue by 1 h 30 min"),
    ("acknowledged", at(days=-1), at(days=3), at(days=2, hours=3), "resolve due in 2 d 3 h"),
    ("acknowledged", at(), at(seconds=20), at(hours=1), "update due in < 1 min"),
    ("resolved", at(minutes=-30), at(minutes=-5), at(minutes=-1), None),
])
def test_the_next_sla_and_the_time_left(status: str, ack: datetime, update: datetime, resolve: datetime,
                                        expected: str | None) -> None:
    found = next_due(status, Deadlines(ack, update, resolve), NOW)
    assert (str(found) if found is not None else None) == expected
    if found is not None:
        assert found.overdue is (found.due <= NOW)
