"""What Slack told us of people (users.info), so a tick does not ask Slack about everyone each minute."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.people import Person
from storage.models import Person as PersonRow


async def known(session: AsyncSession, user_ids: Collection[str]) -> dict[str, tuple[Person, datetime]]:
    """Each known person with when they were last refreshed from Slack."""
    if not user_ids:
        return {}
    rows = await session.scalars(select(PersonRow).where(PersonRow.user_id.in_(list(user_ids))))
    return {row.user_id: (_person(row), row.refreshed_at) for row in rows}


async def remember(session: AsyncSession, people: Iterable[Person], *, now: datetime) -> None:
    for person in people:
        row = await session.get(PersonRow, person.user_id)
        if row is None:
            row = PersonRow(user_id=person.user_id)
            session.add(row)
        row.name = person.name[:200]
        row.tz = person.tz[:64] if person.tz else None
        row.status_emoji = person.status_emoji[:100]
        row.status_text = person.status_text[:200]
        row.status_expires_at = person.status_expires_at
        row.refreshed_at = now
    await session.commit()


def _person(row: PersonRow) -> Person:
    return Person(user_id=row.user_id, name=row.name, tz=row.tz, status_emoji=row.status_emoji,
                  status_text=row.status_text, status_expires_at=row.status_expires_at)
