"""The ranked list with each initiative's owner, target date and the change of its KPI since it started."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi import BY_KEY
from bot.rules.kpi_days import local_date
from bot.rules.scorecard import Scored, Tracking, days_overdue, kpi_move, kpi_windows, ranked, summarise, weights_of
from handlers.prioritize import ids
from storage import scorecard
from storage.db import SessionFactory
from storage.scorecard_models import Initiative


async def listing(db: SessionFactory, team: TeamProfile, now: datetime,
                  shown: int | None = None) -> tuple[list[Scored], dict[int, Tracking]]:
    """The team's open initiatives ranked, and the tracking of the first `shown` of them (all when None): the
    KPI figures of all their windows in one pass (`storage.scorecard.kpi_figures`)."""
    people = [*team.config.members, *team.config.managers]
    weights = weights_of(team.config.scorecard)
    async with db() as session:
        found = await scorecard.open_for_team(session, team.id)
        listed = ranked([summarise(i.id, i.title, i.created_at, scores, weights, people) for i, scores in found])
        chosen = {s.id for s in listed[:shown]}
        tracked = [i for i, _ in found if i.id in chosen]
        return listed, await tracking(session, team, tracked, local_date(now, team.timezone))


async def tracking(session: AsyncSession, team: TeamProfile, initiatives: Sequence[Initiative],
                   today: date) -> dict[int, Tracking]:
    """Each initiative's owner, target date (days overdue at the team's local `today`) and its KPI's change."""
    windows = {i.id: kpi_windows(local_date(i.created_at, team.timezone), today) for i in initiatives if i.kpi}
    figures = await scorecard.kpi_figures(session, team.id, [w for pair in windows.values() for w in pair],
                                          team.timezone)
    out: dict[int, Tracking] = {}
    for initiative in initiatives:
        move = None
        if initiative.kpi:
            key = initiative.kpi
            before, after = (figures[w] for w in windows[initiative.id])
            move = kpi_move(key, before.values.get(key), before.samples.get(key, 0),
                            after.values.get(key), after.samples.get(key, 0))
        out[initiative.id] = Tracking(initiative.owner, initiative.target_date,
                                      days_overdue(initiative.target_date, today), move)
    return out


Tracked = tuple[str | None, date | None, str | None]
"""owner, target date, KPI key, as a form submitted them."""
USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def read_form(values: Mapping[str, str | list[str] | None], today: date,
              kept: date | None = None) -> tuple[Tracked, dict[str, str]]:
    """The owner, target date and KPI a form submitted, or what is wrong with them (block id: message). A
    target date before today is refused unless it is the one the initiative already had (`kept`)."""
    errors: dict[str, str] = {}
    owner, raw_day, kpi = values.get(ids.OWNER), values.get(ids.TARGET), values.get(ids.KPI)
    if owner is not None and not (isinstance(owner, str) and USER_ID.fullmatch(owner)):
        errors[ids.OWNER] = "Choose a person from the list."
    target = None
    if raw_day:
        try:
            target = date.fromisoformat(str(raw_day))
        except ValueError:
            errors[ids.TARGET] = "Choose a day from the calendar."
        else:
            if target < today and target != kept:
                errors[ids.TARGET] = f"{target.isoformat()} has passed: choose today or a later day."
    if kpi is not None and kpi not in BY_KEY:
        errors[ids.KPI] = "Choose a metric from the list."
    return (owner if isinstance(owner, str) and owner else None, target,
            kpi if isinstance(kpi, str) and kpi else None), errors
