"""Stand-ups in storage: each member's day (prompted, answered, skipped, away), the team's day in the
report channel, away days, and participation. Decisions are the caller's (`bot.rules.standups`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import participation as participation_rules
from bot.rules.participation import Participation
from storage import dialect
from storage.standup_models import StandupAway, StandupDay, StandupEntry

ASKED = participation_rules.ASKED
"""The statuses of someone who was expected to answer that day."""


async def entry(session: AsyncSession, team_id: int, user_id: str, day: date) -> StandupEntry | None:
    return await session.scalar(select(StandupEntry).where(
        StandupEntry.team_id == team_id, StandupEntry.user_id == user_id, StandupEntry.day == day))


async def with_entry(session: AsyncSession, team_id: int, day: date, user_ids: Collection[str]) -> set[str]:
    """Which of `user_ids` have a row for the team's day (prompted, answered, skipped or away): one query."""
    if not user_ids:
        return set()
    rows = await session.scalars(select(StandupEntry.user_id).where(
        StandupEntry.team_id == team_id, StandupEntry.day == day, StandupEntry.user_id.in_(list(user_ids))))
    return set(rows)


async def entries(session: AsyncSession, team_id: int, day: date) -> list[StandupEntry]:
    rows = await session.scalars(select(StandupEntry).where(StandupEntry.team_id == team_id,
                                                            StandupEntry.day == day).order_by(StandupEntry.id))
    return list(rows)


async def of_person(session: AsyncSession, user_id: str, days: Collection[tuple[int, date]]) -> dict[int, StandupEntry]:
    """The person's entry of each (team, day), by team: one query."""
    if not days:
        return {}
    wanted = set(days)
    rows = await session.scalars(select(StandupEntry).where(
        StandupEntry.user_id == user_id, StandupEntry.team_id.in_([team for team, _ in wanted]),
        StandupEntry.day.in_([day for _, day in wanted])))
    return {row.team_id: row for row in rows if (row.team_id, row.day) in wanted}


async def _entry_for(session: AsyncSession, team_id: int, user_id: str, day: date, status: str) -> StandupEntry:
    """The member's row for the day, created with `status` when there is none (a race is won by one)."""
    found = await entry(session, team_id, user_id, day)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            row = StandupEntry(team_id=team_id, user_id=user_id, day=day, status=status, answers=[])
            session.add(row)
        return row
    except IntegrityError:
        found = await entry(session, team_id, user_id, day)
        assert found is not None
        return found


async def record_prompt(session: AsyncSession, team_id: int, user_id: str, day: date, *, now: datetime,
                        channel: str | None = None, ts: str | None = None, away: bool = False) -> StandupEntry:
    """The prompt was sent (or, `away`, not sent because their status says they are out): staged, for the
    caller to commit (the plan commits a prompt's row with its message)."""
    row = await _entry_for(session, team_id, user_id, day, "away" if away else "prompted")
    row.prompted_at = row.prompted_at or now
    if channel and ts:
        row.prompt_channel, row.prompt_ts = channel, ts
    return row


async def record_prompts(session: AsyncSession, team_id: int, day: date, users: Sequence[tuple[str, bool]], *,
                         now: datetime) -> set[str]:
    """Members asked for the day (`(user, away)`: away when their status says they are out): each one's row,
    in one statement; those who have a row already (they answered or skipped first) are left as they are.
    Staged; which of them got a new row."""
    if not users:
        return set()
    table = dialect.table_of(StandupEntry)
    rows: list[dict[str, object]] = [
        {"team_id": team_id, "user_id": user, "day": day, "status": "away" if away else "prompted",
         "prompted_at": now, "answers": [], "version": 0, "reply_version": 0} for user, away in users]
    added = await session.scalars(dialect.insert(session, table).values(rows).on_conflict_do_nothing(
        index_elements=[table.c.team_id, table.c.user_id, table.c.day]).returning(table.c.user_id))
    return set(added.all())


async def answer(session: AsyncSession, team_id: int, user_id: str, day: date, answers: Sequence[str],
                 mood: int | None, *, now: datetime) -> StandupEntry:
    """Store the member's answers for the day (an edit raises `version`): staged, for the caller to commit."""
    row = await _entry_for(session, team_id, user_id, day, "answered")
    row.status, row.answers, row.mood, row.answered_at = "answered", list(answers), mood, now
    row.version = (row.version or 0) + 1
    await session.flush()
    return row


async def skip(session: AsyncSession, team_id: int, user_id: str, day: date, *, now: datetime) -> StandupEntry:
    """The member skips the day (an answer stays an answer): staged, for the caller to commit."""
    row = await _entry_for(session, team_id, user_id, day, "skipped")
    if row.status != "answered":
        row.status = "skipped"
    await session.flush()
    return row


async def previous_plan(session: AsyncSession, team_id: int, user_id: str, before: date,
                        question: int) -> str | None:
    """Their answer to the plan question on their last answered day before `before`."""
    row = await session.scalar(select(StandupEntry).where(
        StandupEntry.team_id == team_id, StandupEntry.user_id == user_id, StandupEntry.day < before,
        StandupEntry.status == "answered").order_by(StandupEntry.day.desc()).limit(1))
    if row is None or len(row.answers) <= question:
        return None
    return str(row.answers[question]) or None


async def team_days(session: AsyncSession, team_id: int, since: date) -> list[date]:
    """The days since `since` on which anyone was asked or answered."""
    rows = await session.scalars(select(StandupEntry.day).where(StandupEntry.team_id == team_id,
                                                                StandupEntry.day >= since).distinct())
    return sorted(rows)


async def day(session: AsyncSession, team_id: int, on: date) -> StandupDay | None:
    return await session.scalar(select(StandupDay).where(StandupDay.team_id == team_id, StandupDay.day == on))


async def open_day(session: AsyncSession, team_id: int, on: date, channel: str, *,
                   summarised_at: datetime | None = None) -> None:
    """The team's day message is written (its ts comes when it is sent): staged; a day already open is kept."""
    table = dialect.table_of(StandupDay)
    await session.execute(dialect.insert(session, table).values(
        team_id=team_id, day=on, channel=channel, ts=None, summarised_at=summarised_at)
        .on_conflict_do_nothing(index_elements=[table.c.team_id, table.c.day]))


async def summarised(session: AsyncSession, team_id: int, on: date, *, now: datetime) -> None:
    """The day's summary is written: staged."""
    await session.execute(update(StandupDay).where(StandupDay.team_id == team_id, StandupDay.day == on,
                                                   StandupDay.summarised_at.is_(None)).values(summarised_at=now))


async def away_days(session: AsyncSession, user_ids: Collection[str],
                    since: date) -> dict[str, list[tuple[date, date]]]:
    found: dict[str, list[tuple[date, date]]] = {}
    if not user_ids:
        return found
    rows = await session.execute(select(StandupAway.user_id, StandupAway.first, StandupAway.last).where(
        StandupAway.user_id.in_(list(user_ids)), StandupAway.last >= since).order_by(StandupAway.first))
    for user_id, first, last in rows:
        found.setdefault(user_id, []).append((first, last))
    return found


async def go_away(session: AsyncSession, user_id: str, first: date, last: date, *, now: datetime) -> None:
    """Staged: the caller commits."""
    session.add(StandupAway(user_id=user_id, first=first, last=last, created_at=now))


async def come_back(session: AsyncSession, user_id: str, today: date) -> int:
    """End every away range that covers today or lies ahead (not committed); how many there were."""
    ahead = await session.execute(delete(StandupAway).where(StandupAway.user_id == user_id,
                                                            StandupAway.first >= today))
    ongoing = await session.execute(update(StandupAway).where(
        StandupAway.user_id == user_id, StandupAway.first < today, StandupAway.last >= today)
        .values(last=today - timedelta(days=1)))
    return int(getattr(ahead, "rowcount", 0) or 0) + int(getattr(ongoing, "rowcount", 0) or 0)


def answered_and_asked() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The SQL sums of participation (`bot.rules.participation`): answered days and asked days, over rows
    already limited to `ASKED` statuses. `participation` and `storage.kpi_series` both count with these."""
    return func.sum(case((StandupEntry.status == participation_rules.ANSWERED, 1), else_=0)), func.count()


async def participation(session: AsyncSession, team_id: int, first: date, last: date) -> list[Participation]:
    """Per member over [first, last]: answered of expected (in SQL), and their current streak
    (`bot.rules.participation.streak` over their statuses, newest first)."""
    answered, asked = answered_and_asked()
    counts = await session.execute(
        select(StandupEntry.user_id, answered, asked).where(
            StandupEntry.team_id == team_id, StandupEntry.day.between(first, last),
            StandupEntry.status.in_(ASKED)).group_by(StandupEntry.user_id).order_by(StandupEntry.user_id))
    statuses = await session.execute(
        select(StandupEntry.user_id, StandupEntry.status).where(
            StandupEntry.team_id == team_id, StandupEntry.day <= last, StandupEntry.status.in_(ASKED))
        .order_by(StandupEntry.user_id, StandupEntry.day.desc()))
    newest_first: dict[str, list[str]] = {}
    for user_id, status in statuses:
        newest_first.setdefault(user_id, []).append(status)
    return [Participation(user_id, int(done or 0), int(total),
                          participation_rules.streak(newest_first.get(user_id, [])))
            for user_id, done, total in counts]
