"""A closed round's results as managers may see them, loaded from storage and judged by the rules:
shared by the close-of-round report (`jobs`) and `/pulse results` (`commands`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import Directory, TeamProfile
from bot.rules.pulse_results import Results, TeamRound, results, rollup
from bot.rules.pulse_trends import ROLLING_ROUNDS, ShownRound, rolling
from handlers.blocks import Block
from handlers.pulse import views
from storage import pulse
from storage.pulse_models import PulseRound


def team_of(directory: Directory, of: PulseRound) -> TeamProfile | None:
    """The round's team, unless this replica's directory does not know it yet."""
    try:
        return directory.team(of.team_id)
    except KeyError:
        return None


async def team_round(session: AsyncSession, of: PulseRound, team: TeamProfile) -> TeamRound:
    """The round's answers as counts, and how many were asked (one GROUP BY, one count)."""
    counted = await pulse.tally(session, of)
    invited = max(await pulse.invited(session, of.id), counted.respondents)
    return TeamRound(team.name, counted, invited, of.min_responses)


async def round_results(session: AsyncSession, of: PulseRound, counted: TeamRound) -> Results:
    """The round's results (participation only below its threshold), with the trend against the team's
    previous round that met its threshold, and the rolling figure over the last rounds that met it. Comments
    are read only when they may be shown."""
    name = f"{counted.team} · {of.week}"
    if not counted.visible:
        return results(name, counted.tally, invited=counted.invited, min_responses=of.min_responses)
    earlier = await pulse.shown_before(session, of, limit=ROLLING_ROUNDS - 1)
    shown = [ShownRound(r.week, before, r.min_responses)
             for r, before in zip(earlier, await pulse.tallies(session, earlier), strict=True)]
    previous = None
    if shown:  # only its figures are compared with, not its participation
        previous = results(shown[0].name, shown[0].tally, invited=shown[0].tally.respondents,
                           min_responses=shown[0].min_responses)
    return results(name, counted.tally, invited=counted.invited, min_responses=of.min_responses,
                   comments=await pulse.comments(session, of.id), previous=previous,
                   rolling=rolling([ShownRound(of.week, counted.tally, of.min_responses), *shown]))


def rollup_results(week: str, rounds: Sequence[TeamRound]) -> Results:
    """One set of figures across a manager's teams for `week` (hidden teams left out of every figure)."""
    return rollup(f"All your teams · {week}", rounds).results


def report(found: Results) -> tuple[str, list[Block]]:
    """The message: its notification text (participation only) and its blocks."""
    return views.fallback_text(found), views.results_blocks(found)
