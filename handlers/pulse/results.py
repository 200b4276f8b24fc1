"""A closed round's results as managers may see them, loaded from storage and judged by the rules:
shared by the close-of-round report (`jobs`) and `/pulse results` (`commands`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.pulse_results import Results, TeamRound, results, rollup
from handlers.blocks import Block
from handlers.pulse import views
from storage import pulse
from storage.pulse_models import PulseRound


async def round_results(session: AsyncSession, of: PulseRound, team: TeamProfile) -> Results:
    """The round's results (participation only below its threshold), with the trend against the team's
    previous round that met its threshold. Comments are read only when they may be shown."""
    counted = await pulse.tally(session, of)
    invited = max(await pulse.invited(session, of.id), counted.respondents)
    visible = counted.respondents >= of.min_responses
    previous, previous_name = None, None
    if visible:
        earlier = await pulse.previous_shown(session, of)
        if earlier is not None:
            previous = results(team.name, await pulse.tally(session, earlier),
                               invited=await pulse.invited(session, earlier.id),
                               min_responses=earlier.min_responses)
            previous_name = earlier.week
    texts = await pulse.comments(session, of.id) if visible else []
    return results(f"{team.name} · {of.week}", counted, invited=invited, min_responses=of.min_responses,
                   comments=texts, previous=previous, previous_name=previous_name)


async def team_round(session: AsyncSession, of: PulseRound, team: TeamProfile) -> TeamRound:
    counted = await pulse.tally(session, of)
    invited = max(await pulse.invited(session, of.id), counted.respondents)
    return TeamRound(team.name, counted, invited, of.min_responses)


async def rollup_results(session: AsyncSession, rounds: Sequence[tuple[PulseRound, TeamProfile]],
                         week: str) -> Results:
    """One set of figures across the manager's teams for `week` (hidden teams left out of every figure)."""
    teams = [await team_round(session, of, team) for of, team in rounds]
    return rollup(f"All your teams · {week}", teams).results


def report(found: Results) -> tuple[str, list[Block]]:
    """The message: its notification text (participation only) and its blocks."""
    return views.fallback_text(found), views.results_blocks(found)
