"""What `supportbot demo` shows of the pulse: two weekly rounds the team answered (stored as the answer form
stores them: participation first, then the answers, anonymously), then the report the managers get from
the `pulse` job when the later round closes, with its averages, eNPS, comments and trend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import pulse as rules
from bot.rules.directory import TeamProfile
from bot.rules.pulse import Window
from handlers.pulse.jobs import run
from handlers.services import Services
from storage import pulse

Answers = tuple[tuple[int, ...], int, str | None]
"""One person's answer set: the 1–5 answers in question order, the eNPS answer (0–10), the comment."""

EARLIER: Sequence[Answers] = (
    ((3, 3, 3, 3), 8, None), ((4, 2, 3, 3), 7, None), ((3, 3, 4, 2), 6, "Too many tickets after the release."),
    ((4, 3, 3, 3), 9, None), ((3, 2, 3, 4), 7, None), ((4, 3, 4, 3), 8, None),
)
LATEST: Sequence[Answers] = (
    ((4, 3, 4, 3), 9, "Great support from the team during the ACME checkout incident."),
    ((3, 2, 3, 3), 7, "The queue after the outage was a lot & we need more hands on Mondays."),
    ((5, 4, 4, 4), 10, None),
    ((4, 2, 3, 2), 6, "More training on billing questions, please."),
    ((3, 3, 4, 3), 8, None),
    ((4, 4, 5, 4), 9, None),
)
"""The round the report is about: with six members, averages 3.8 · 3.0 · 3.8 · 3.2 and an eNPS of +33."""


async def show_pulse(services: Services, team: TeamProfile, now: datetime, say: Callable[[str], None]) -> None:
    """The team's last two closed rounds, answered by its members, and the managers' report of the later.
    With fewer members than the team's threshold (`min_responses`, 5 by default) the report shows the
    participation rate only, as it would in Slack."""
    latest = _last_closed(team, now)
    earlier = rules.window(latest.day - timedelta(days=7), team.config.pulse, [ZoneInfo(team.timezone)])
    say(f"Weekly pulse: the team answered the check-ins of {earlier.week} and {latest.week} "
        "(anonymously: nobody can tell who answered what)")
    async with services.db() as session:
        await _answered(session, team, earlier, EARLIER)
        await _answered(session, team, latest, LATEST)
        await session.commit()
    say(f"When the {latest.week} pulse closes, each manager gets the results, compared with {earlier.week}")
    await run(services, latest.closes_at)


def _last_closed(team: TeamProfile, now: datetime) -> Window:
    """The team's latest round that has closed by `now`."""
    zones = [ZoneInfo(team.timezone)]
    found = rules.window(rules.pulse_day(team.config.pulse.day, now.date()), team.config.pulse, zones)
    while found.closes_at > now:
        found = rules.window(found.day - timedelta(days=7), team.config.pulse, zones)
    return found


async def _answered(session: AsyncSession, team: TeamProfile, window: Window, answers: Sequence[Answers]) -> None:
    """The round of `window`, every member asked, and one answer set each (as many as `answers` holds)."""
    config = team.config.pulse
    questions = rules.questions_of(config)
    of = await pulse.open_round(session, team.id, week=window.week, day=window.day, questions=questions,
                                min_responses=config.min_responses, opens_at=window.opens_at,
                                closes_at=window.closes_at)
    round_id = of.id
    for member in team.config.members:
        await pulse.invite(session, round_id, member)
    await session.commit()
    for member, (scores, enps, comment) in zip(team.config.members, answers, strict=False):
        values = [(index, enps if question.is_enps else scores[index % len(scores)])
                  for index, question in enumerate(questions)]
        took_part = await pulse.take_part(session, round_id, member)
        await session.commit()  # participation and answers are never written together
        if took_part:
            await pulse.cast(session, round_id, values, comment)
            await session.commit()
