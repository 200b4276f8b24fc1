"""What a digest (or `/kpi` on demand) shows for one team: each metric read against its target and its
recent past, the contributors behind each red one, last week on Mondays, the baselines in their plan, and
the 14-day series for the chart. Assembled from storage's figures and the pure KPI rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.freshness import Freshness, judge
from bot.rules.kpi import BY_KEY, CATALOGUE, Change, Metric, Reading, change, metric_of, read
from bot.rules.kpi_days import TREND_DAYS, days_before, last_week
from bot.rules.kpi_plan import Baseline, plan_day
from bot.rules.linked_tickets import slack_message_url, ticket_url
from bot.rules.scorecard import Scored, Tracking, ranked, summarise, weights_of
from bot.rules.team_config import KpiTargets
from bot.rules.ticket_notes import escalated_tickets
from handlers.prioritize.tracking import tracking
from storage import escalations, helpdesks, kpi, scorecard
from storage.kpi import Contributor, Figures


@dataclass(frozen=True)
class BaselineLine:
    metric: Metric
    baseline: Baseline
    value: float | None
    change: Change | None
    day: int
    """Day of the 30-day plan."""


@dataclass(frozen=True)
class Report:
    team: TeamProfile
    first: date
    last: date
    title: str
    figures: Figures
    readings: list[Reading]
    contributors: dict[str, list[Contributor]] = field(default_factory=dict)
    compared_with: str = "the day before"
    week: list[Reading] | None = None
    baselines: list[BaselineLine] = field(default_factory=list)
    history: list[Figures] = field(default_factory=list)
    """Oldest first, ending with the report's day: the chart's series."""
    initiatives: list[Scored] = field(default_factory=list)
    """Monday's edition: the top open initiatives of the team's scorecard (`/prioritize`)."""
    initiative_tracking: dict[int, Tracking] = field(default_factory=dict)
    """Their owner, target date and KPI's change since they started."""
    week_samples: dict[str, int] = field(default_factory=dict)
    """How many tickets (ratings, escalations) each of last week's values rests on."""
    freshness: Freshness | None = None
    """How fresh the team's synced tickets are; None when no helpdesk is synced for the team."""

    @property
    def stale(self) -> bool:
        return self.freshness is not None and self.freshness.stale


def _metrics(figures: Sequence[Figures]) -> list[Metric]:
    """The catalogue, then every logged metric seen in the figures."""
    logged = sorted({key for f in figures for key in f.values if key not in BY_KEY})
    return [*CATALOGUE, *(metric_of(key) for key in logged)]


def _read_window(figures: Figures, previous: Figures, targets: KpiTargets) -> list[Reading]:
    """Several days as one window, against the window before it (which is also the only "week" it has)."""
    return [replace(read(m, figures.values, figures.samples, [previous.values], targets), vs_week=None)
            for m in _metrics([figures])]


async def _contributors(session: AsyncSession, team: TeamProfile, readings: Sequence[Reading], first: date,
                        last: date) -> dict[str, list[Contributor]]:
    """The contributors behind each red metric, each with its link: a ticket to its helpdesk (the team's
    synced source), an escalation to its card."""
    mapping = team.config.helpdesk
    source = await helpdesks.source(session, mapping.source) if mapping is not None else None
    escalated = escalated_tickets(await escalations.open_linked_tickets(session, team.id),
                                  source.config.kind if source is not None else None)

    def linked(found: Contributor) -> Contributor:
        if found.card is None and found.ref in escalated:  # marked: an open escalation is behind this ticket
            found = replace(found, escalation=escalated[found.ref])
        if found.card is not None:
            return replace(found, url=slack_message_url(*found.card))
        if source is not None:
            return replace(found, url=ticket_url(source.config.kind, source.config.url, found.ref))
        return found

    return {r.metric.key: [linked(c) for c in await kpi.contributors(session, team.id, r.metric.key, first, last,
                                                                      team.timezone)]
            for r in readings if r.status == "red"}


async def freshness(session: AsyncSession, team: TeamProfile, now: datetime) -> Freshness | None:
    """How fresh the team's synced tickets are at `now` (None: its tickets come from no synced helpdesk)."""
    mapping = team.config.helpdesk
    state = await helpdesks.source(session, mapping.source) if mapping is not None else None
    if state is None or not state.active:
        return None
    return judge(state.key, state.config.kind, last_success=state.last_success_at, last_attempt=state.last_attempt_at,
                 stale_after_minutes=state.config.stale_after_minutes, now=now, timezone=team.timezone)


async def daily(session: AsyncSession, team: TeamProfile, day: date, *, title: str, monday_week: bool = True,
                history_days: int = TREND_DAYS, now: datetime | None = None) -> Report:
    """The report for one local day, read against the day before and the seven days before it (with the
    tickets' freshness at `now` when given)."""
    figures, *before = await kpi.daily_figures(session, team.id, [day, *days_before(day, max(7, history_days - 1))],
                                               team.timezone)
    targets = team.config.kpi_targets
    readings = [read(m, figures.values, figures.samples, [b.values for b in before], targets)
                for m in _metrics([figures])]
    week = last_week(day) if monday_week else None
    week_readings, week_samples = None, {}
    top: tuple[list[Scored], dict[int, Tracking]] = ([], {})
    if week is not None:
        top = await top_initiatives(session, team, day + timedelta(days=1))
        this = await kpi.figures(session, team.id, week[0], week[1], team.timezone)
        previous = await kpi.figures(session, team.id, week[0] - timedelta(days=7), week[1] - timedelta(days=7),
                                     team.timezone)
        week_readings, week_samples = _read_window(this, previous, targets), this.samples
    return Report(team, day, day, title, figures, readings,
                  contributors=await _contributors(session, team, readings, day, day), week=week_readings,
                  baselines=await _baselines(session, team, day, figures),
                  history=[*reversed(before[:history_days - 1]), figures],
                  initiatives=top[0], initiative_tracking=top[1],
                  week_samples=week_samples, freshness=await freshness(session, team, now) if now else None)


TOP_INITIATIVES = 3


async def top_initiatives(session: AsyncSession, team: TeamProfile, today: date,
                          count: int = TOP_INITIATIVES) -> tuple[list[Scored], dict[int, Tracking]]:
    """The team's best-scored open initiatives, as `/prioritize list` ranks them (unscored ones are left out),
    with their owner, target date and KPI's change at the team's local `today`."""
    people = [*team.config.members, *team.config.managers]
    weights = weights_of(team.config.scorecard)
    found = await scorecard.open_for_team(session, team.id)
    scored = [summarise(i.id, i.title, i.created_at, scores, weights, people) for i, scores in found]
    top = [i for i in ranked(scored) if i.score is not None][:count]
    chosen = {i.id for i in top}
    return top, await tracking(session, team, [i for i, _ in found if i.id in chosen], today)


async def span(session: AsyncSession, team: TeamProfile, first: date, last: date, *, title: str,
               now: datetime | None = None) -> Report:
    """The report for several local days as one window, read against the window of as many days before."""
    length = (last - first).days + 1
    figures = await kpi.figures(session, team.id, first, last, team.timezone)
    previous = await kpi.figures(session, team.id, first - timedelta(days=length), last - timedelta(days=length),
                                 team.timezone)
    readings = _read_window(figures, previous, team.config.kpi_targets)
    return Report(team, first, last, title, figures, readings,
                  contributors=await _contributors(session, team, readings, first, last),
                  compared_with=f"the {length} days before",
                  freshness=await freshness(session, team, now) if now else None)


async def _baselines(session: AsyncSession, team: TeamProfile, day: date, figures: Figures) -> list[BaselineLine]:
    lines = []
    for baseline in await kpi.baselines(session, team.id):
        number = plan_day(baseline, day)
        if number is None:
            continue
        value = figures.values.get(baseline.metric)
        lines.append(BaselineLine(metric_of(baseline.metric), baseline, value, change(value, baseline.value),
                                  number))
    return lines


async def plan_values(session: AsyncSession, team: TeamProfile, baseline: Baseline,
                      last: date) -> dict[date, float | None]:
    """The metric's daily values from the day it was pinned to `last`: the day-30 summary's material."""
    days = [baseline.pinned_on + timedelta(days=n) for n in range((last - baseline.pinned_on).days + 1)]
    found = await kpi.daily_figures(session, team.id, days, team.timezone)
    return {d: f.values.get(baseline.metric) for d, f in zip(days, found, strict=True)}


async def seven_days(session: AsyncSession, team: TeamProfile, metric: str,
                     today: date) -> dict[date, float | None]:
    """The metric over the seven local days before `today`: what a baseline pins."""
    days = days_before(today, 7)
    found = await kpi.daily_figures(session, team.id, days, team.timezone)
    return {d: f.values.get(metric) for d, f in zip(days, found, strict=True)}
