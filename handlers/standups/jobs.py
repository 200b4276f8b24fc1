"""`standups` (every minute), a plan: each team's members, their rows and `now` in, the messages that should
exist out — each member's prompt at their own local time, one reminder to the silent, the day message and
its replies, and the summary when the last window closes — written to the outbox with the state they imply,
under keys (`bot.rules.keys`) that make a tick run twice, a restart or a second replica ask nobody twice.
Then whatever the outbox holds that is due is sent. A prompt missed while the bot was down is written late
while the window is still open."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.standups import Member, Schedule, due_prompts, open_day, reminder_due, reminder_text, summary_due
from handlers.jobs import Job
from handlers.people import people
from handlers.services import Services
from handlers.standups import dms
from handlers.standups.report import LOOK_BACK, members_of, schedule_of, stage_day
from storage import standups as stored

log = logging.getLogger(__name__)
STATUS_BATCH = 25
"""Members whose Slack status is asked together just before their prompts are written (and, woken by the
commit, sent while the next batch's statuses are asked): a status is at most that old when its prompt goes."""


async def run(services: Services, now: datetime) -> int:
    """Plan every team's stand-up, then send what is due; how many messages went (updates not counted)."""
    sending = Sending(services, now)
    for team in (await services.directory.current()).teams:
        if not team.channels.get("standup") or not team.config.members:
            continue
        try:
            await plan_team(services, team, now, sending)
        except SlackApiError as error:
            log.warning("stand-up for %s: Slack said %s; the next tick carries on", team.key,
                        error.response.get("error"))
    return await sending.finish()


class Sending:
    """The outbox sent while the plan goes on (the first prompts go while the next batch's statuses are
    asked), and everything due sent before the job ends."""

    def __init__(self, services: Services, now: datetime) -> None:
        self.services, self.now, self.sent = services, now, 0
        self._task: asyncio.Task[int] | None = None

    def soon(self) -> None:
        """Send what was just committed, unless a send of this job's is still going (it picks it up)."""
        if self._task is not None and not self._task.done():
            return
        if self._task is not None:
            self.sent += self._task.result()
        self._task = asyncio.get_running_loop().create_task(self.services.outbox.send_due(self.now))

    async def finish(self) -> int:
        if self._task is not None:
            self.sent += await self._task
            self._task = None
        return self.sent + await self.services.outbox.send_due(self.now)


async def plan_team(services: Services, team: TeamProfile, now: datetime, sending: Sending | None = None) -> None:
    """Write the team's stand-up messages that should exist now, with their state (`sending`: start sending
    the prompts while the plan goes on; without it, nothing is sent)."""
    schedule, members = schedule_of(team), await members_of(services, team, now)
    await ask(services, team, schedule, members, now, sending)
    await remind(services, team, schedule, members, now)
    async with services.db() as session:
        days = await stored.team_days(session, team.id, since=now.date() - LOOK_BACK)
        rows = {day: await stored.entries(session, team.id, day) for day in days}
        opened = {day: await stored.day(session, team.id, day) for day in days}
    for day in days:
        shown = opened[day]
        closing = summary_due(schedule, [m.zone for m in members], day, now) and \
            (shown is None or shown.summarised_at is None)
        behind = any(row.status == "answered" and row.reply_version < row.version for row in rows[day])
        if closing or behind:  # answers whose reply an outage delayed, or written before an upgrade
            async with services.unit(now, wake=False) as unit:
                await stage_day(unit, team, day, members, now, close=closing)
                await unit.commit()


async def ask(services: Services, team: TeamProfile, schedule: Schedule, members: list[Member],
              now: datetime, sending: Sending | None) -> None:
    """A prompt for everyone whose window is open and who has no row for the day yet; those away (their own
    days off, or their Slack status now) are marked away instead."""
    away = [(m.user_id, day) for m in members
            if (day := open_day(schedule, m, now)) is not None and schedule.is_team_day(day) and m.is_away(day)]
    due = due_prompts(schedule, members, now)
    for start in range(0, len(away), STATUS_BATCH * 4):
        async with services.unit(now, wake=False) as unit:
            await _mark_away(unit.session, team, away[start:start + STATUS_BATCH * 4], now)
            await unit.commit()
    async with services.db() as session:
        asked = await _with_entry(session, team, due)
    waiting = [(user, day) for user, day in due if (user, day) not in asked]
    for start in range(0, len(waiting), STATUS_BATCH):
        batch = waiting[start:start + STATUS_BATCH]
        # Everyone's current status (out of office?), asked just before their prompt is written, a batch at a
        # time: one cache write per batch instead of one per member.
        fresh = await people(services, [user for user, _ in batch], now, max_age=timedelta(0))
        async with services.unit(now, wake=False) as unit:
            for day in sorted({day for _, day in batch}):
                users = [(user, fresh[user].is_out(now)) for user, on in batch if on == day]
                new = await stored.record_prompts(unit.session, team.id, day, users, now=now)
                # a member who answered or skipped meanwhile (`/standup`) has a row already: no prompt
                unit.send(*(dms.prompt(team, user, day) for user, out in users if user in new and not out))
            await unit.commit()
        if sending is not None:
            sending.soon()


async def _with_entry(session: AsyncSession, team: TeamProfile, batch: list[tuple[str, date]]) -> set[tuple[str, date]]:
    """Which of these members have a row for their day (prompted, answered, skipped or away): a query a day."""
    found: set[tuple[str, date]] = set()
    for day in {day for _, day in batch}:
        users = await stored.with_entry(session, team.id, day, [u for u, d in batch if d == day])
        found |= {(user, day) for user in users}
    return found


async def _mark_away(session: AsyncSession, team: TeamProfile, away: list[tuple[str, date]], now: datetime) -> None:
    asked = await _with_entry(session, team, away)
    for user, day in away:
        if (user, day) not in asked:
            await stored.record_prompt(session, team.id, user, day, now=now, away=True)


async def remind(services: Services, team: TeamProfile, schedule: Schedule, members: list[Member],
                 now: datetime) -> None:
    """Once, after the reminder delay, to those still silent: how many teammates have answered."""
    due = {m.user_id: day for m in members
           if (day := open_day(schedule, m, now)) is not None and reminder_due(schedule, m, day, now)}
    if not due:
        return
    async with services.unit(now, wake=False) as unit:
        rows = {day: await stored.entries(unit.session, team.id, day) for day in set(due.values())}
        for member in members:
            day = due.get(member.user_id)
            mine = next((row for row in rows.get(day, []) if row.user_id == member.user_id), None) if day else None
            if day is None or mine is None or mine.status != "prompted" or \
                    not reminder_due(schedule, member, day, now, prompted_at=mine.prompted_at):
                continue
            others = [row for row in rows[day] if row.user_id != member.user_id and row.status != "away"]
            nudge = reminder_text(sum(row.status == "answered" for row in others), len(others))
            unit.send(dms.reminder(team, member.user_id, day, nudge))
        await unit.commit()


async def summarise_day(services: Services, team: TeamProfile, day: date, now: datetime) -> int:
    """Turn the day message into the summary now (once) and send what is due."""
    async with services.db() as session:
        opened = await stored.day(session, team.id, day)
    if opened is None or opened.summarised_at is None:
        members = await members_of(services, team, now, since=day)
        async with services.unit(now, wake=False) as unit:
            await stage_day(unit, team, day, members, now, close=True)
            await unit.commit()
    return await services.outbox.send_due(now)


STANDUPS = Job("standups", "stand-up prompts in each member's timezone, one reminder, the day's summary", run)
