"""The day in the report channel: one parent message per team per day, each answer a thread reply kept
current in place, and the parent turned into the summary once the last window has closed. Everything
here can be run again at any time: it brings Slack up to date with what is stored, once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.rules import claim_keys
from bot.rules.directory import TeamProfile
from bot.rules.standups import Entry, Member, Schedule, Summary, summarise
from handlers.delivery import once
from handlers.people import people
from handlers.services import Services
from handlers.standups import views
from storage import failures
from storage import standups as stored
from storage.standup_models import StandupEntry

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


async def day_summary(services: Services, team: TeamProfile, day: date,
                      now: datetime) -> tuple[Summary, list[StandupEntry]]:
    """The day's summary: every row of the day, and every member of the team (those never asked with why)."""
    members = await members_of(services, team, now, since=day)
    async with services.db() as session:
        rows = await stored.entries(session, team.id, day)
        silent = [m.user_id for m in members if m.user_id not in {row.user_id for row in rows}]
        keys = {claim_keys.standup_prompt(team.key, user, day): user for user in silent}
        refused = {keys[f.key]: f.error for f in await failures.listed(session, list(keys))} if keys else {}
    return summarise(schedule_of(team), day, [as_entry(row) for row in rows], members, now, refused), rows


async def publish(services: Services, team: TeamProfile, day: date, now: datetime, *, close: bool = False) -> int:
    """Post or update the day's parent and every answer's reply; `close` turns the parent into the summary
    (once). Returns how many messages were posted or updated."""
    channel = team.channels.get("standup")
    if not channel:
        return 0
    summary, rows = await day_summary(services, team, day, now)
    answered = [row for row in rows if row.status == "answered"]
    async with services.db() as session:
        stored_day = await stored.day(session, team.id, day)
    closed = close or (stored_day is not None and stored_day.summarised_at is not None)
    if not answered and not closed:
        return 0
    shown = [r.user_id for r in rows] + [why.user_id for why in summary.not_asked] + summary.away
    names = {user: person.name for user, person in (await people(services, shown, now)).items()}
    text, blocks = views.parent(team.key, team.name, day, summary, names, closed=closed)
    sent = 0
    if stored_day is None or stored_day.ts is None:
        async def post_parent() -> str:
            posted = await services.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            return str(posted["ts"])

        async with services.db() as session:
            ts = await once(session, claim_keys.standup_parent(team.key, day), post_parent, now=now)
            if ts is None:
                return 0  # someone else is posting it: the next tick replies under it
            stored_day = await stored.posted_day(session, team.id, day, channel, ts)
        sent += 1
    else:
        await services.client.chat_update(channel=stored_day.channel, ts=stored_day.ts, text=text, blocks=blocks)
        sent += 1
    parent_ts, parent_channel = stored_day.ts, stored_day.channel
    questions = schedule_of(team).questions
    for row in answered:
        reply_text, reply_blocks = views.reply(names.get(row.user_id, row.user_id), questions,
                                               [str(a) for a in row.answers], row.mood)
        if row.reply_ts is None:
            async def post_reply(row: StandupEntry = row, text: str = reply_text,
                                 blocks: list[dict[str, object]] = reply_blocks) -> str:
                posted = await services.client.chat_postMessage(channel=parent_channel, thread_ts=parent_ts,
                                                                text=text, blocks=blocks)
                return str(posted["ts"])

            async with services.db() as session:
                ts = await once(session, claim_keys.standup_reply(team.key, day, row.user_id), post_reply, now=now)
                if ts is not None:
                    await stored.replied(session, row.id, ts, row.version)
                    sent += 1
        elif row.reply_version < row.version:
            await services.client.chat_update(channel=parent_channel, ts=row.reply_ts, text=reply_text,
                                              blocks=reply_blocks)
            async with services.db() as session:
                await stored.replied(session, row.id, row.reply_ts, row.version)
            sent += 1
    return sent
