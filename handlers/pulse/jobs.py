"""The `pulse` job (every minute): whatever of the weekly pulse is due at `now`, as a plan written to the
outbox (`handlers.pulse.announce`), then sent with everything else due (`services.outbox.send_due`):

- opens the team's round of the week at its first ask (with the questions configured then);
- asks each member by DM at the pulse time in their own timezone, once (the invitation written with the
  participation it records, in one transaction);
- halfway to the close, reminds those who have not answered, once;
- at the close, sends each manager the round's report once, and a manager of several teams one
  roll-up across them once all their teams' rounds of that week have closed (aggregates only).
A crash after the commit leaves the messages to the `outbox` tick; Slack's refusals are counted on their rows
(`supportbot jobs failed` / `jobs retry`). Nothing here logs an answer; the only user IDs it handles are whom
to ask, remind or report to.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules import pulse as rules
from bot.rules.directory import Directory, TeamProfile
from bot.rules.messages import Message
from bot.rules.pulse import Window
from bot.rules.roles import Can, teams_where
from handlers.jobs import Job
from handlers.people import people
from handlers.pulse import announce
from handlers.pulse.results import rollup_results, round_results, team_of, team_round
from handlers.services import Services
from storage import pulse
from storage.pulse_models import PulseRound

log = logging.getLogger(__name__)

FOLLOW_UP = timedelta(days=2)
"""How long after a close a report that Slack refused (or a tick that was missed) is still sent."""


async def run(services: Services, now: datetime) -> int:
    """The plan written, then whatever the outbox holds that is due sent; how many messages went."""
    await plan(services, now)
    return await services.outbox.send_due(now)


async def plan(services: Services, now: datetime) -> None:
    """A plan: the rounds, who answered and `now` in, the messages that should exist out (each due invitation
    and reminder, each report and roll-up due after a close), written to the outbox under their keys with the
    participation they record (what is written already is not written again). Nothing is sent here."""
    directory = await services.directory.current()
    for team in directory.teams:
        if team.config.members:
            await _ask_and_remind(services, team, now)
    async with services.unit(now, wake=False) as unit:
        closed = await pulse.closed_between(unit.session, now - FOLLOW_UP, now)
        for of in closed:
            unit.send(*await _reports(unit.session, directory, of))
        for week in sorted({of.week for of in closed}):
            unit.send(*await _rollups(unit.session, directory, week, now))
        await unit.commit()


def _window(of: PulseRound) -> Window:
    return Window(day=of.day, opens_at=of.opens_at, closes_at=of.closes_at)


async def _ask_and_remind(services: Services, team: TeamProfile, now: datetime) -> None:
    """The team's round of this week opened (committed on its own), then, in one transaction, each member whose
    own time has come recorded as asked with their invitation, and halfway to the close each non-responder's
    reminder. Someone who answered already (through `/pulse`, before their own time) is not invited."""
    config, members = team.config.pulse, team.config.members
    folks = await people(services, members, now)
    zones: dict[str, ZoneInfo] = {user: folks[user].zone(team.timezone) for user in members}
    due = rules.current_window(now, config, list(zones.values()))
    if due is None or not due.is_open(now):
        return
    async with services.unit(now, wake=False) as unit:
        session = unit.session
        of = await pulse.open_round(session, team.id, week=due.week, day=due.day,
                                    questions=rules.questions_of(config), min_responses=config.min_responses,
                                    opens_at=due.opens_at, closes_at=due.closes_at)
        await session.commit()  # the round at once, as before: a replica opening it meanwhile waited for it
        window = _window(of)  # the round keeps the times it opened with
        if not window.is_open(now):
            return
        asking = [user for user in members if rules.ask_at(window, config.time, zones[user]) <= now]
        done = await pulse.written(session, [str(keys.pulse_ask(of.id, user)) for user in asking])
        asking = [user for user in asking if str(keys.pulse_ask(of.id, user)) not in done]
        await pulse.invite_all(session, of.id, asking)
        answered = await pulse.answered_among(session, of.id, asking)
        unit.send(*(announce.invitation(of, team.name, user) for user in asking if user not in answered))
        if now >= window.reminder_at:
            waiting = set(await pulse.non_responders(session, of.id)) & set(members)
            unit.send(*(announce.invitation(of, team.name, user, reminder=True) for user in sorted(waiting)))
        await unit.commit()


async def _reports(session: AsyncSession, directory: Directory, of: PulseRound) -> list[Message]:
    """Each manager's report of a closed round, unless written already (the results are read only then)."""
    team = team_of(directory, of)
    if team is None or not team.managers:
        return []
    done = await pulse.written(session, [str(keys.pulse_report(of.id, m)) for m in team.managers])
    todo = [m for m in team.managers if str(keys.pulse_report(of.id, m)) not in done]
    if not todo:
        return []
    found = await round_results(session, of, await team_round(session, of, team))
    return [announce.round_report(of, manager, found) for manager in todo]


async def _rollups(session: AsyncSession, directory: Directory, week: str, now: datetime) -> list[Message]:
    """Managers of several teams: one roll-up for `week`, once every one of their rounds has closed."""
    found: list[Message] = []
    managers = sorted({m for team in directory.teams for m in team.managers})
    done = await pulse.written(session, [str(keys.pulse_rollup(week, m)) for m in managers])
    for manager in managers:
        if str(keys.pulse_rollup(week, manager)) in done:
            continue
        theirs = teams_where(Can.SEE_PULSE_RESULTS, directory.teams, manager)
        if len(theirs) < 2:
            continue
        rounds = await pulse.rounds_of_week(session, [t.id for t in theirs], week)
        if len(rounds) < 2 or any(of.closes_at > now for of in rounds):
            continue
        by_id = {team.id: team for team in theirs}
        counted = [await team_round(session, of, by_id[of.team_id]) for of in rounds]
        found.append(announce.rollup(week, manager, rollup_results(week, counted)))
    return found


PULSE = Job("pulse", "weekly pulse: ask, remind, and report to managers at the close (every minute)", run)
