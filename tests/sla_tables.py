"""Shared fixtures of the SLA table tests: time zones, business hours, durations and helpers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.rules.sla import BusinessHours
from bot.rules.team_config import ConfigError, parse_teams

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
OFFICE = BusinessHours()  # 09:00–17:00, Monday to Friday
EVERY_DAY = BusinessHours(days=frozenset(range(7)))
NIGHT_SHIFT = BusinessHours(start=time(0, 0), end=time(6, 0), days=frozenset(range(7)))
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    """'2026-01-16 23:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def config_error(escalation_policy: dict[str, object]) -> str:
    """The `config apply` message for a team whose escalation_policy is this."""
    text = yaml.safe_dump({"teams": [{"key": "t", "name": "T", "escalation_policy": escalation_policy}]})
    with pytest.raises(ConfigError) as raised:
        parse_teams(text)
    return str(raised.value)
