"""`standups` (every minute): each member is asked at their own local time, reminded once, and each
team's day is summarised when the last window closes. Every unit is claimed before it is sent, so a tick
run twice, a restart or a second replica asks nobody twice; a prompt missed while the bot was down is
sent late while the window is still open."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import claim_keys
from bot.rules.directory import TeamProfile
from bot.rules.people import Person
from bot.rules.standups import Member, Schedule, due_prompts, open_day, reminder_due, reminder_text, summary_due
from handlers.delivery import once
from handlers.jobs import Job
from handlers.people import people, person
from handlers.services import Services
from handlers.standups import views
from handlers.standups.report import LOOK_BACK, members_of, publish, schedule_of
from storage import claims
from storage import standups as stored

log = logging.getLogger(__name__)
STATUS_BATCH = 25
"""Members whose Slack status is refreshed together just before their prompts (about half a second of
prompts at Slack's pace): a status is at most that old when its prompt goes."""
IN_FLIGHT = 1
"""Prompts in flight at once. One keeps a crash's possible duplicate to one member (the prompt whose request
had left when the process died, see the README's crash section); `bench/fanout.py --in-flight 4` shows what more
would buy under Slack's rate limit, at the price of up to that many duplicates after a crash."""


async def run(services: Services, now: datetime) -> int:
    done = 0
    for team in (await services.directory.current()).teams:
        if not team.channels.get("standup") or not team.config.members:
            continue
        try:
            done += await run_team(services, team, now)
        except SlackApiError as error:
            log.warning("stand-up for %s: Slack said %s; the next tick carries on", team.key,
                        error.response.get("error"))
    return done


async def run_team(services: Services, team: TeamProfile, now: datetime) -> int:
    schedule, members = schedule_of(team), await members_of(services, team, now)
    done = await ask(services, team, schedule, members, now)
    done += await remind(services, team, schedule, members, now)
    async with services.db() as session:
        days = await stored.team_days(session, team.id, since=now.date() - LOOK_BACK)
    for day in days:
        done += await catch_up(services, team, day, now)
        if summary_due(schedule, [m.zone for m in members], day, now):
            done += await summarise_day(services, team, day, now)
    return done


async def ask(services: Services, team: TeamProfile, schedule: Schedule, members: list[Member],
              now: datetime) -> int:
    """DM everyone whose window is open; mark away those who said so (no DM)."""
    for member in members:
        day = open_day(schedule, member, now)
        if day is not None and schedule.is_team_day(day) and member.is_away(day):
            async with services.db() as session:
                if await stored.entry(session, team.id, member.user_id, day) is None:
                    await stored.record_prompt(session, team.id, member.user_id, day, now=now, away=True)
                    await session.commit()
    due = {claim_keys.standup_prompt(team.key, user, day): (user, day) for user, day in due_prompts(schedule, members,
                                                                                                      now)}
    async with services.db() as session:
        taken = await claims.taken(session, list(due), now=now)
    waiting = [(key, user, day) for key, (user, day) in due.items() if key not in taken]
    sent, gate = 0, asyncio.Semaphore(IN_FLIGHT)
    for start in range(0, len(waiting), STATUS_BATCH):
        batch = waiting[start:start + STATUS_BATCH]
        # Everyone's current status (out of office?), asked just before their prompt, a batch at a time: one
        # cache write per batch instead of one per member.
        fresh = await people(services, [user for _, user, _ in batch], now, max_age=timedelta(0))
        async with services.db() as session:  # answered or skipped before the prompt (`/standup` early)
            early = {(user, day) for day in {day for _, _, day in batch}
                     for user in await stored.with_entry(session, team.id, day, [u for _, u, d in batch if d == day])}
        prompts = [asyncio.ensure_future(ask_one(services, team, key, user, day, now, fresh[user], gate))
                   for key, user, day in batch if (user, day) not in early]
        try:
            sent += sum(await asyncio.gather(*prompts))
        except BaseException:
            for waiting_prompt in prompts:  # what failed stops the tick, as one prompt after another would
                waiting_prompt.cancel()
            raise
    return sent


async def ask_one(services: Services, team: TeamProfile, key: str, user: str, day: date, now: datetime,
                  status: Person, gate: asyncio.Semaphore) -> bool:
    """One member's prompt, claimed first; at most `IN_FLIGHT` of them at a time (`gate`). The prompt's row is
    committed with the claim's completion."""
    async with gate, services.db() as session:

        async def send() -> str:
            return await prompt(services, session, team, user, day, now, status)

        return await once(session, key, send, now=now) == "sent"


async def prompt(services: Services, session: AsyncSession, team: TeamProfile, user: str, day: date,
                 now: datetime, fresh: Person | None = None) -> str:
    """Ask one member, unless their Slack status (`fresh`, else asked now) says they are out today; what was
    done is staged in `session` (the caller commits)."""
    fresh = fresh or await person(services, user, now, max_age=timedelta(0))
    if fresh.is_out(now):
        await stored.record_prompt(session, team.id, user, day, now=now, away=True)
        return "away"
    text, blocks = views.prompt(team.name, team.key, day)
    posted = await services.client.chat_postMessage(channel=user, text=text, blocks=blocks)
    await stored.record_prompt(session, team.id, user, day, now=now, channel=str(posted["channel"]),
                               ts=str(posted["ts"]))
    return "sent"


async def remind(services: Services, team: TeamProfile, schedule: Schedule, members: list[Member],
                 now: datetime) -> int:
    """Once, after the reminder delay, to those still silent: how many teammates have answered."""
    due = {m.user_id: day for m in members
           if (day := open_day(schedule, m, now)) is not None and reminder_due(schedule, m, day, now)}
    if not due:
        return 0
    async with services.db() as session:
        rows = {day: await stored.entries(session, team.id, day) for day in set(due.values())}
    waiting = {}
    for member in members:
        day = due.get(member.user_id)
        mine = next((row for row in rows.get(day, []) if row.user_id == member.user_id), None) if day else None
        if day and mine is not None and mine.status == "prompted" and \
                reminder_due(schedule, member, day, now, prompted_at=mine.prompted_at):
            waiting[claim_keys.standup_reminder(team.key, member.user_id, day)] = (member.user_id, day)
    async with services.db() as session:
        taken = await claims.taken(session, list(waiting), now=now)
    sent = 0
    for key, (user, day) in waiting.items():
        if key in taken:
            continue
        others = [row for row in rows[day] if row.user_id != user and row.status != "away"]
        nudge = reminder_text(sum(row.status == "answered" for row in others), len(others))
        text, blocks = views.reminder(team.name, team.key, day, nudge)

        async def send(user: str = user, text: str = text, blocks: list[dict[str, object]] = blocks) -> bool:
            await services.client.chat_postMessage(channel=user, text=text, blocks=blocks)  # the DM, as the prompt
            return True

        async with services.db() as session:
            sent += bool(await once(session, key, send, now=now))
    return sent


async def catch_up(services: Services, team: TeamProfile, day: date, now: datetime) -> int:
    """Answers whose reply Slack refused earlier (or that an outage delayed) are posted now."""
    async with services.db() as session:
        rows = await stored.entries(session, team.id, day)
    if any(row.status == "answered" and (row.reply_ts is None or row.reply_version < row.version) for row in rows):
        return await publish(services, team, day, now)
    return 0


async def summarise_day(services: Services, team: TeamProfile, day: date, now: datetime) -> int:
    """Once (`handlers.delivery.once`): what Slack refuses is retried on later ticks, then parked."""
    async def close() -> int:
        sent = await publish(services, team, day, now, close=True)
        async with services.db() as session:
            await stored.summarised(session, team.id, day, now=now)
        return max(sent, 1)

    async with services.db() as session:
        return await once(session, claim_keys.standup_summary(team.key, day), close, now=now) or 0


STANDUPS = Job("standups", "stand-up prompts in each member's timezone, one reminder, the day's summary", run)
