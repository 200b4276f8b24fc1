"""The one place that reads the wall clock; everything below it takes `now` as an argument.

For rehearsals and tests, the clock can be driven instead (`SUPPORTBOT_CLOCK_FILE`): `FileClock` reads an
ISO-8601 instant from a file at every call, so a real `supportbot run` goes through a simulated week in
minutes while something else rewrites that file.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Stored datetimes come back naive from SQLite: they are UTC by convention."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ClockFileError(ValueError):
    """The clock file cannot be read as one instant, worded for the operator."""


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (`2026-11-09T05:00:00Z`, `…+01:00`; no offset means UTC), in UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClockFileError(f"expected an ISO-8601 instant such as 2026-11-09T05:00:00Z, got {text.strip()!r:.60}") \
            from None
    return as_utc(value)


def read_instant(path: Path) -> datetime:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ClockFileError(f"{path}: cannot be read ({error.strerror or error.__class__.__name__})") from None
    return parse_instant(text)


class FileClock:
    """What time it is, as written in `path` (one ISO-8601 instant): read at every call, so the time moves
    exactly when the file is rewritten, and stands still in between. Write the file atomically (a new file
    renamed over it) to move the clock; a read that fails (the file missing or half written) keeps the last
    instant read, with a warning, so the clock never jumps to the wall time or backwards by accident."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = read_instant(path)  # a file that cannot be read stops start-up, naming the variable

    def __call__(self) -> datetime:
        try:
            self._last = read_instant(self.path)
        except ClockFileError as error:
            log.warning("the driven clock stays at %s: %s", self._last.isoformat(), error)
        return self._last
