"""What a person's App Home shows, gathered with one query (or one report) per section, never one per row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi import CATALOGUE, Reading, read
from bot.rules.pulse_trends import ROLLING_ROUNDS, PulseTrend, ShownRound, pulse_trend
from bot.rules.roles import Can, may, teams_where
from bot.rules.standups import Member, local_day, open_day
from bot.rules.team_choice import Chosen, NotChosen, choose
from handlers.people import cached
from handlers.services import Services
from handlers.standups.report import schedule_of
from storage import escalations, kpi, pulse, standups, team_choices
from storage.escalations import OpenList
from storage.pulse_models import PulseRound
from storage.standups import Participation

log = logging.getLogger(__name__)
ESCALATIONS_SHOWN = 8


@dataclass(frozen=True)
class StandupToday:
    team: TeamProfile
    day: date
    team_day: bool
    status: str | None
    """prompted, answered, skipped, away, or None (not asked yet)."""


@dataclass(frozen=True)
class PulseNow:
    team: TeamProfile
    round: PulseRound | None
    answered: bool


@dataclass(frozen=True)
class Managed:
    team: TeamProfile
    kpis: list[Reading]
    kpi_day: date
    participation: list[Participation]
    pulse: PulseTrend | None
    """The last round that met its threshold, its change judged against the noise, and the rolling figure."""


@dataclass(frozen=True)
class Home:
    user: str
    now: datetime
    mine: OpenList
    standups: list[StandupToday] = field(default_factory=list)
    pulses: list[PulseNow] = field(default_factory=list)
    managed: list[Managed] = field(default_factory=list)
    team_escalations: OpenList | None = None
    """Open escalations of the teams they manage, by priority and oldest first."""
    in_a_team: bool = True
    """False: a newcomer, shown how to get started."""
    connects_helpdesk: bool = False
    """A Slack workspace admin: their Home may name the shell command that imports tickets."""
    teams: list[TeamProfile] = field(default_factory=list)
    """Every team the person belongs to, by key."""
    default: Chosen | NotChosen | None = None
    """The team commands act on when they name none (their last choice, else the first)."""
    stale: bool = False
    """The people cache did not know them (or knew them long ago): Slack is asked after this Home is written."""


async def gather(services: Services, user: str, now: datetime) -> Home:
    directory = await services.directory.current()
    teams = directory.teams_of(user)
    member_of = teams_where(Can.ANSWER_STANDUP, teams, user)
    managed = teams_where(Can.SEE_PULSE_RESULTS, teams, user)  # a section each (the view keeps to Slack's limit)
    known = await cached(services, [user], now)  # never Slack: a Home is written before the answer
    who = known.person(user)
    zone = who.zone(teams[0].timezone if teams else "UTC")
    days = {}
    for team in member_of:
        if team.channels.get("standup"):
            days[team.id] = open_day(schedule_of(team), Member(user, zone), now) or local_day(now, zone)
    async with services.db() as session:
        mine = await escalations.mine(session, user, limit=ESCALATIONS_SHOWN)
        default = await team_choices.remembered(session, user) if len(teams) > 1 else None
        entries = await standups.of_person(session, user, list(days.items()))
        pulses = []
        for team in member_of:
            latest = await pulse.latest(session, team.id)
            current = latest if latest is not None and latest.opens_at <= now < latest.closes_at else None
            pulses.append(PulseNow(team, current, current is not None and
                                   await pulse.has_answered(session, current.id, user)))
        sections = [await _managed(session, team, now) for team in managed]
        team_open = await escalations.open_for_teams(session, [t.id for t in managed]) if managed else None
    today = [StandupToday(team, days[team.id], schedule_of(team).is_team_day(days[team.id]),
                          entries[team.id].status if team.id in entries else None)
             for team in member_of if team.id in days]
    # Only a manager's or a newcomer's Home mentions the helpdesk; an admin the cache does not know yet is
    # shown less (never more) until Slack has told it.
    admin = (bool(managed) or not teams) and who.is_admin
    return Home(user, now, mine, today, pulses, sections, team_open, in_a_team=bool(teams),
                connects_helpdesk=may(Can.CONNECT_HELPDESK, None, user, admin=admin), teams=list(teams),
                default=choose(teams, remembered=default), stale=bool(known.stale))


async def _managed(session: AsyncSession, team: TeamProfile, now: datetime) -> Managed:
    today = now.astimezone(ZoneInfo(team.timezone)).date()
    yesterday = today - timedelta(days=1)
    day = await kpi.figures(session, team.id, yesterday, yesterday, team.timezone)  # the tiles: status only
    tiles = [read(metric, day.values, day.samples, [], team.config.kpi_targets) for metric in CATALOGUE
             if metric.target_field is not None]
    monday = today - timedelta(days=today.weekday())
    shown = await pulse.shown_by(session, team.id, now, limit=ROLLING_ROUNDS)
    rounds = [ShownRound(r.week, counted, r.min_responses)
              for r, counted in zip(shown, await pulse.tallies(session, shown), strict=True)]
    return Managed(team, tiles, yesterday,
                   await standups.participation(session, team.id, monday, today), pulse_trend(rounds))
