"""The `pulse` job (every minute): whatever of the weekly pulse is due at `now`.

- opens the team's round of the week at its first ask (with the questions configured then);
- asks each member by DM at the pulse time in their own timezone, once (claimed before sending);
- halfway to the close, reminds those who have not answered, once;
- at the close, sends each manager the round's report once, and a manager of several teams one
  roll-up across them once all their teams' rounds of that week have closed.
Nothing here logs an answer; the only user IDs it handles are whom to ask, remind or report to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import pulse as rules
from bot.rules.directory import Directory, TeamProfile
from bot.rules.pulse import Window
from bot.rules.roles import Can, teams_where
from handlers.delivery import once
from handlers.jobs import Job
from handlers.people import people
from handlers.pulse import views
from handlers.pulse.results import report, rollup_results, round_results, team_of, team_round
from handlers.services import Services
from storage import claims, pulse
from storage.pulse_models import PulseRound

log = logging.getLogger(__name__)

FOLLOW_UP = timedelta(days=2)
"""How long after a close a report that Slack refused (or a tick that was missed) is still sent."""


async def run(services: Services, now: datetime) -> int:
    directory = await services.directory.current()
    done = 0
    for team in directory.teams:
        if team.config.members:
            done += await _ask_and_remind(services, team, now)
    async with services.db() as session:
        closed = await pulse.closed_between(session, now - FOLLOW_UP, now)
        for of in closed:
            done += await _report(services, session, directory, of, now)
        for week in sorted({of.week for of in closed}):
            done += await _rollups(services, session, directory, week, now)
    return done


def _window(of: PulseRound) -> Window:
    return Window(day=of.day, opens_at=of.opens_at, closes_at=of.closes_at)


async def _ask_and_remind(services: Services, team: TeamProfile, now: datetime) -> int:
    config, members = team.config.pulse, team.config.members
    folks = await people(services, members, now)
    zones: dict[str, ZoneInfo] = {user: folks[user].zone(team.timezone) for user in members}
    due = rules.current_window(now, config, list(zones.values()))
    if due is None or not due.is_open(now):
        return 0
    done = 0
    async with services.db() as session:
        of = await pulse.open_round(session, team.id, week=due.week, day=due.day,
                                    questions=rules.questions_of(config), min_responses=config.min_responses,
                                    opens_at=due.opens_at, closes_at=due.closes_at)
        window = _window(of)  # the round keeps the times it opened with
        if not window.is_open(now):
            return 0
        asking = {rules.ask_key(of.id, user): user for user in members
                  if rules.ask_at(window, config.time, zones[user]) <= now}
        reminding: dict[str, str] = {}
        if now >= window.reminder_at:
            waiting = set(await pulse.non_responders(session, of.id)) & set(members)
            reminding = {rules.reminder_key(of.id, user): user for user in sorted(waiting)}
        taken = await claims.taken(session, [*asking, *reminding], now=now)
        for key, user in asking.items():
            if key not in taken:
                done += await _dm(services, session, key, of, team, user, now, reminder=False)
        for key, user in reminding.items():
            if key not in taken:
                done += await _dm(services, session, key, of, team, user, now, reminder=True)
    return done


async def _dm(services: Services, session: AsyncSession, key: str, of: PulseRound, team: TeamProfile,
              user: str, now: datetime, *, reminder: bool) -> int:
    text, blocks = views.ask_message(of.id, team.name, of.week, of.closes_at, of.min_responses,
                                     questions=len(of.questions), reminder=reminder)

    async def send() -> bool:
        if not reminder:
            await pulse.invite(session, of.id, user)
            if await pulse.has_answered(session, of.id, user):  # through `/pulse`, before their own time
                return False
        await services.client.chat_postMessage(channel=user, text=text, blocks=blocks)
        return True

    return 1 if await once(session, key, send, now=now) else 0


async def _report(services: Services, session: AsyncSession, directory: Directory, of: PulseRound,
                  now: datetime) -> int:
    team = team_of(directory, of)
    if team is None or not team.managers:
        return 0
    keys = {rules.report_key(of.id, manager): manager for manager in team.managers}
    taken = await claims.taken(session, list(keys), now=now)
    todo = [key for key in keys if key not in taken]
    if not todo:
        return 0
    text, blocks = report(await round_results(session, of, await team_round(session, of, team)))
    done = 0
    for key in todo:
        async def send(manager: str = keys[key]) -> bool:
            await services.client.chat_postMessage(channel=manager, text=text, blocks=blocks)
            return True

        done += 1 if await once(session, key, send, now=now) else 0
    return done


async def _rollups(services: Services, session: AsyncSession, directory: Directory, week: str,
                   now: datetime) -> int:
    """Managers of several teams: one roll-up for `week`, once every one of their rounds has closed."""
    done = 0
    managers = sorted({m for team in directory.teams for m in team.managers})
    for manager in managers:
        theirs = teams_where(Can.SEE_PULSE_RESULTS, directory.teams, manager)
        if len(theirs) < 2:
            continue
        rounds = await pulse.rounds_of_week(session, [t.id for t in theirs], week)
        if len(rounds) < 2 or any(of.closes_at > now for of in rounds):
            continue
        async def send(manager: str = manager, rounds: Sequence[PulseRound] = rounds,
                       teams: Sequence[TeamProfile] = theirs) -> bool:
            by_id = {team.id: team for team in teams}
            counted = [await team_round(session, of, by_id[of.team_id]) for of in rounds]
            text, blocks = report(rollup_results(week, counted))
            await services.client.chat_postMessage(channel=manager, text=text, blocks=blocks)
            return True

        done += 1 if await once(session, rules.rollup_key(week, manager), send, now=now) else 0
    return done


PULSE = Job("pulse", "weekly pulse: ask, remind, and report to managers at the close (every minute)", run)
