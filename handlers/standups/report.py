"""The day in the report channel, as outbox messages: one day message per team per day, each answer a thread
reply kept current in place, and the day message turned into the summary once the last window has closed.
`stage_day` is a plan: what is stored in, the messages that should exist out (a message written before is
not written again; of several waiting updates of the day message only the latest goes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.messages import post, update
from bot.rules.standups import Entry, Member, Schedule, Summary, summarise
from handlers.people import people
from handlers.services import Services
from handlers.standups import views
from storage import failures
from storage import standups as stored
from storage.people import known as known_people
from storage.standup_models import StandupEntry
from storage.unit import UnitOfWork

LOOK_BACK = timedelta(days=3)
"""Days this far back are still summarised or published late (after an outage)."""


def schedule_of(team: TeamProfile) -> Schedule:
    return Schedule.from_config(team.config.standup)


def as_entry(row: StandupEntry) -> Entry:
    return Entry(user_id=row.user_id, status=row.status, answers=tuple(str(a) for a in row.answers), mood=row.mood)


async def members_of(services: Services, team: TeamProfile, now: datetime,
                     since: date | None = None) -> list[Member]:
    """The team's members, each in their own timezone, with the days off they gave since `since`."""
    found = await people(services, team.config.members, now)
    async with services.db() as session:
        away = await stored.away_days(session, team.config.members, since=since or now.date() - LOOK_BACK)
    return [Member(user, found[user].zone(team.timezone), tuple(away.get(user, ()))) for user in team.config.members]


async def day_summary(services: Services, team: TeamProfile, day: date, now: datetime,
                      session: AsyncSession | None = None) -> tuple[Summary, list[StandupEntry]]:
    """The day's summary: every row of the day, and every member of the team (those never asked with why: a
    prompt Slack refused counts as not asked). Read in `session` when given (a flow's own changes included)."""
    members = await members_of(services, team, now, since=day)
    if session is None:
        async with services.db() as own:
            return await _summary(own, team, day, members, now)
    return await _summary(session, team, day, members, now)


async def _summary(session: AsyncSession, team: TeamProfile, day: date, members: list[Member],
                   now: datetime) -> tuple[Summary, list[StandupEntry]]:
    rows = await stored.entries(session, team.id, day)
    waiting = {str(keys.standup_prompt(team.key, row.user_id, day)): row.user_id for row in rows
               if row.status == "prompted"}
    refused = {waiting[f.key]: f.error for f in await failures.listed(session, list(waiting))} if waiting else {}
    shown = [as_entry(row) for row in rows if row.user_id not in refused]
    return summarise(schedule_of(team), day, shown, members, now, refused), rows


def group(team_key: str, day: date) -> str:
    """The day message and its thread go out in the order written."""
    return f"standup:{team_key}:{day.isoformat()}@report"


async def stage_day(unit: UnitOfWork, team: TeamProfile, day: date, members: list[Member], now: datetime, *,
                    close: bool = False, only: str | None = None) -> None:
    """Bring the report channel to what `unit` holds of the day: the day message (posted, or updated to show
    the answers so far; `close` turns it into the summary, and once it is one it stays one) and each answer's
    thread reply (posted, or updated to its latest edit); `only` limits the replies to one member's.
    `members` (`members_of`) are asked of Slack before: nothing here waits on Slack or writes outside `unit`
    (SQLite has one writer at a time); names come from the people cache `members_of` filled."""
    channel = team.channels.get("standup")
    if not channel:
        return
    session = unit.session
    summary, rows = await _summary(session, team, day, members, now)
    answered = [row for row in rows if row.status == "answered"]
    stored_day = await stored.day(session, team.id, day)
    closed = close or (stored_day is not None and stored_day.summarised_at is not None)
    if not answered and not closed:
        return
    shown = [r.user_id for r in rows] + [why.user_id for why in summary.not_asked] + summary.away
    names = {user: person.name for user, (person, _) in (await known_people(session, shown)).items()}
    text, blocks = views.parent(team.key, team.name, day, summary, names, closed=closed)
    parent = str(keys.standup_parent(team.key, day))
    where = group(team.key, day)
    if stored_day is None:
        await stored.open_day(session, team.id, day, channel, summarised_at=now if close else None)
        unit.send(post(keys.standup_parent(team.key, day), channel, text, blocks=blocks, group=where,
                       then={"standup_day_posted": {"team": team.id, "day": day.isoformat()}}))
    else:
        if close:
            await stored.summarised(session, team.id, day, now=now)
        key = keys.standup_summary(team.key, day) if close else \
            keys.standup_parent_update(team.key, day, sum(row.version for row in answered))
        unit.send(update(key, parent, text, blocks=blocks, group=where, coalesce=f"{parent}:update"))
    questions = schedule_of(team).questions
    for row in answered:
        if only is not None and row.user_id != only:
            continue
        reply_text, reply_blocks = views.reply(names.get(row.user_id, row.user_id), questions,
                                               [str(a) for a in row.answers], row.mood)
        reply = keys.standup_reply(team.key, day, row.user_id)
        unit.send(post(reply, channel, reply_text, blocks=reply_blocks, group=where, thread_of=parent,
                       then={"standup_reply_shows": {"entry": row.id, "version": row.version, "posted": True}}))
        if row.version > 1:
            unit.send(update(keys.standup_reply_update(team.key, day, row.user_id, row.version), str(reply),
                             reply_text, blocks=reply_blocks, group=where, coalesce=f"{reply}:update",
                             then={"standup_reply_shows": {"entry": row.id, "version": row.version}}))


async def publish(services: Services, team: TeamProfile, day: date, now: datetime, *, close: bool = False) -> int:
    """Write the day's messages (`stage_day`) and send what is due; how many messages went."""
    members = await members_of(services, team, now, since=day)
    async with services.unit(now, wake=False) as unit:
        await stage_day(unit, team, day, members, now, close=close)
        await unit.commit()
    return await services.outbox.send_due(now)
