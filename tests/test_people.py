"""Who is out by their Slack status, and whose timezone a day runs in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.rules.people import Person

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("emoji, text, expires, out", [
    (":palm_tree:", "", None, True),
    (":face_with_thermometer:", "", None, True),
    ("", "Vacation until Monday", None, True),
    ("", "out of office", None, True),
    ("", "OOO", None, True),
    ("", "sick today", None, True),
    ("", "PTO", None, True),
    ("", "In a meeting", None, False),
    (":coffee:", "Focusing", None, False),
    ("", "Looking at the OOOPS dashboard", None, False),
    (":palm_tree:", "", datetime(2026, 12, 2, 8, 0, tzinfo=UTC), False),  # expired this morning
    (":palm_tree:", "", datetime(2026, 12, 3, 0, 0, tzinfo=UTC), True),
    ("", "", None, False),
])
def test_out_by_status(emoji: str, text: str, expires: datetime | None, out: bool) -> None:
    person = Person("U1", "Ann", status_emoji=emoji, status_text=text, status_expires_at=expires)
    assert person.is_out(NOW) is out


@pytest.mark.parametrize("tz, fallback, expected", [
    ("Asia/Tokyo", "America/New_York", "Asia/Tokyo"),
    (None, "Europe/Berlin", "Europe/Berlin"),
    ("Not/AZone", "Europe/Berlin", "Europe/Berlin"),
    (None, "", "UTC"),
])
def test_zone_is_their_own_else_the_teams(tz: str | None, fallback: str, expected: str) -> None:
    assert Person("U1", "Ann", tz=tz).zone(fallback).key == expected
