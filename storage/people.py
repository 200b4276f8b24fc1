"""What Slack told us of people (users.info), so a tick does not ask Slack about everyone each minute."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.people import Person
from storage import dialect
from storage.models import Person as PersonRow


async def known(session: AsyncSession, user_ids: Collection[str]) -> dict[str, tuple[Person, datetime]]:
    """Each known person with when they were last refreshed from Slack."""
    if not user_ids:
        return {}
    rows = await session.scalars(select(PersonRow).where(PersonRow.user_id.in_(list(user_ids))))
    return {row.user_id: (_person(row), row.refreshed_at) for row in rows}


async def remember(session: AsyncSession, people: Iterable[Person], *, now: datetime) -> None:
    """Insert or refresh each person in one upsert, not committed: two ticks (or two replicas) that asked Slack
    about the same newcomer at once both succeed, the later write winning (a read-then-insert raced to a
    duplicate key). Rows go in user-ID order, so concurrent upserts of overlapping people lock them in the same
    order."""
    rows = {person.user_id: {
        "user_id": person.user_id, "name": person.name[:200], "tz": person.tz[:64] if person.tz else None,
        "status_emoji": person.status_emoji[:100], "status_text": person.status_text[:200],
        "status_expires_at": person.status_expires_at, "refreshed_at": now,
        "is_admin": person.is_admin, "is_bot": person.is_bot, "deleted": person.deleted,
    } for person in people}
    if not rows:
        return
    table = cast(Table, PersonRow.__table__)
    values = dialect.insert(session, table)
    statement = values.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={name: values.excluded[name] for name in _REFRESHED},
    )
    await session.execute(statement, [rows[user] for user in sorted(rows)])


_REFRESHED = ("name", "tz", "status_emoji", "status_text", "status_expires_at", "refreshed_at", "is_admin", "is_bot",
              "deleted")


def _person(row: PersonRow) -> Person:
    return Person(user_id=row.user_id, name=row.name, tz=row.tz, status_emoji=row.status_emoji,
                  status_text=row.status_text, status_expires_at=row.status_expires_at, is_admin=row.is_admin,
                  is_bot=row.is_bot, deleted=row.deleted)
