"""A cursor on a helpdesk's `updated_at`, for the APIs that list what changed since a time (Freshdesk's
`updated_since`, Intercom's search on `updated_at`) rather than giving a cursor of their own.

The fetch asks for what changed at or after `since` and walks its pages (`page`: Freshdesk's page number,
Intercom's `starting_after`), noting the latest `updated_at` it saw (`top`) and the tickets that have it
(`top_ids`). Caught up, the next fetch starts from `top` and skips `top_ids` when they come again unchanged
(`fresh`): a ticket changed within that same second after the fetch is not missed, and nothing synced is
counted again. Stored as JSON in the source's `cursor`, committed with the page it follows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class TimeCursor:
    since: datetime
    seen: frozenset[str] = frozenset()
    """Tickets already synced whose `updated_at` is exactly `since`."""
    page: str | None = None
    """Where the walk from `since` goes on; None: its first page."""
    top: datetime | None = None
    top_ids: frozenset[str] = frozenset()

    @classmethod
    def load(cls, text: str | None, start: datetime) -> TimeCursor:
        """The stored cursor, or one at `start` (a first sync, or a backfill) when there is none. A cursor that
        does not read (another kind's) starts at `start` too."""
        try:
            data = json.loads(text) if text else None
            if not isinstance(data, dict):
                raise ValueError("no cursor")
            top = data.get("top")
            return cls(since=_time(data["since"]), seen=frozenset(map(str, data.get("seen", ()))),
                       page=None if data.get("page") is None else str(data["page"]),
                       top=None if top is None else _time(top), top_ids=frozenset(map(str, data.get("top_ids", ()))))
        except (ValueError, KeyError, TypeError):
            return cls(since=start.astimezone(UTC).replace(microsecond=0))

    def dump(self) -> str:
        return json.dumps({"since": self.since.isoformat(), "seen": sorted(self.seen), "page": self.page,
                           "top": None if self.top is None else self.top.isoformat(), "top_ids": sorted(self.top_ids)},
                          separators=(",", ":"))

    def fresh(self, ident: str, updated: datetime | None) -> bool:
        """False for a ticket the last fetch already synced and that has not changed since."""
        return not (updated == self.since and ident in self.seen)

    def saw(self, changes: Iterable[tuple[str, datetime]]) -> TimeCursor:
        top, ids = self.top, set(self.top_ids)
        for ident, updated in changes:
            if top is None or updated > top:
                top, ids = updated, {ident}
            elif updated == top:
                ids.add(ident)
        return replace(self, top=top, top_ids=frozenset(ids))

    def next_page(self, page: str) -> TimeCursor:
        return replace(self, page=page)

    def caught_up(self) -> TimeCursor:
        """Where the next sync starts: the latest change seen (or `since` again, when nothing came)."""
        if self.top is None:
            return replace(self, page=None)
        seen = self.top_ids | (self.seen if self.top == self.since else frozenset())
        return TimeCursor(since=self.top, seen=seen)

    def restart(self) -> TimeCursor:
        """A new walk from the latest change seen, when the API will page no further (Freshdesk's page cap).
        Should every ticket of the walk share one second, the next walk starts a second later (the cap leaves
        no other way on)."""
        moved = self.caught_up()
        if moved.since <= self.since:
            return TimeCursor(since=self.since + timedelta(seconds=1))
        return moved


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a time")
    found = datetime.fromisoformat(value)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
