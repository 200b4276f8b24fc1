"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PauseList(TypeDecorator[tuple[tuple[datetime, datetime], ...]]):
    """Ended pauses, each (paused at, resumed at), as a JSON list of ISO-8601 UTC pairs; read back as a tuple of
    aware datetimes (what `bot.rules.sla` takes)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> list[list[str]]:
        return [[begun.astimezone(UTC).isoformat(), ended.astimezone(UTC).isoformat()] for begun, ended in value or ()]

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[tuple[datetime, datetime], ...]:
        return tuple((datetime.fromisoformat(begun), datetime.fromisoformat(ended)) for begun, ended in value or ())
