"""People as the bot knows them from Slack: the name to show, the timezone their day runs in, and
whether their Slack status says they are out today."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OUT_EMOJI = frozenset({":palm_tree:", ":face_with_thermometer:", ":airplane:", ":beach_with_umbrella:"})
"""Status emoji that mean "not working today"."""
OUT_WORDS = re.compile(
    r"\b(vacation|vacances|holidays?|out of (the )?office|ooo|pto|sick|on leave|day off|off today)\b", re.IGNORECASE)
"""Status texts that mean the same, in the words people use."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    tz: str | None = None
    status_emoji: str = ""
    status_text: str = ""
    status_expires_at: datetime | None = None
    """When Slack clears the status; None when it does not expire."""
    is_admin: bool = False
    """A workspace admin or owner."""
    is_bot: bool = False
    deleted: bool = False
    """Deactivated, or unknown to Slack (`user_not_found`): nobody to pick as an owner."""

    @property
    def real(self) -> bool:
        """Someone who can own work: neither a bot nor deactivated."""
        return not self.deleted and not self.is_bot

    def zone(self, fallback: str) -> ZoneInfo:
        """Their own timezone from Slack, else the team's."""
        for name in (self.tz, fallback):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: `America` (a folder), a long name
                    continue
        return ZoneInfo("UTC")

    def is_out(self, now: datetime) -> bool:
        """Their Slack status says they are away (vacation, sick, OOO…) and has not expired."""
        if self.status_expires_at is not None and self.status_expires_at <= now:
            return False
        return self.status_emoji in OUT_EMOJI or bool(OUT_WORDS.search(self.status_text))


def unknown(user_id: str) -> Person:
    """Someone Slack could not tell us about (yet): shown by ID, in the team's timezone."""
    return Person(user_id=user_id, name=user_id)
