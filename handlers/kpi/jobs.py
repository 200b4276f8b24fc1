"""Scheduled work of the KPI feature: the job `digest` (a tick every minute).

For each team with a digest channel, from the team's digest time (team timezone) until local midnight,
the previous local day's digest is due. It is a plan: the team's figures and `now` in, the messages that
should exist out, written to the outbox in one transaction with the alert states they announce
(`services.unit`), under their keys (`bot.rules.keys`), in one group sent in this order:
- the digest message (or one line when the day had no data), Monday's with last week added;
- the 14-day trend chart, uploaded under it (`files.uploadV2`, `handlers.kpi.upload`);
- an alert for each metric that turned red that day, and one for each that recovered (the alert check
  runs in this job, on the digest's figures: there is no separate alerts job);
- the summary of each baseline whose 30-day plan ends that day.
Once the digest is written the team-day is planned: later ticks cost one query. Every tick also plans the
notices to the managers of a team whose helpdesk has stopped syncing, or recovered (`handlers.kpi.freshness`).
What each team's plan wrote is sent right after it, so the first teams' digests do not wait for every other
team's chart to be drawn; what else the outbox holds that is due is sent at the end. A team whose plan raised
is logged and fails the run (`handlers.job_runs`); the other teams' go on, and the next tick plans it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.kpi import metric_of
from bot.rules.kpi_days import digest_day
from bot.rules.kpi_plan import alert, is_summary_day, still_red, summarize
from bot.rules.messages import Message, post
from handlers.jobs import Job
from handlers.kpi import chart, freshness, report, upload, views
from handlers.metrics import unit_failed
from handlers.services import Services
from storage import kpi, outbox

log = logging.getLogger(__name__)


async def plans(services: Services, now: datetime) -> AsyncIterator[int]:
    """Write every digest (with its chart, alerts and summaries) and helpdesk notice due at `now` that is not
    written yet, each team in a transaction of its own; after each, how many messages it wrote. Nothing is sent."""
    yield await freshness.plan(services, now)
    for team in (await services.directory.current()).teams:
        channel = team.channels.get("digest")
        day = digest_day(now, team.timezone, team.config.digest.time)
        if not channel or day is None:
            continue
        try:
            async with services.unit(now, wake=False) as unit:
                if await outbox.written(unit.session, [str(keys.kpi_digest(team.key, day))]):
                    continue
                unit.send(*await team_day(unit.session, team, channel, day, now))
                written = await unit.commit()
        except Exception as error:  # one team's failure (a chart that did not render) must not stop the others'
            log.exception("the %s digest for %s failed; the next tick plans it again", team.key, day)
            unit_failed(f"the {team.key} digest for {day.isoformat()}", type(error).__name__)
            continue
        yield written


async def plan_digests(services: Services, now: datetime) -> int:
    """Every plan due at `now` written, nothing sent: how many messages were new."""
    return sum([written async for written in plans(services, now)])


async def run_digest(services: Services, now: datetime) -> int:
    """Each plan, then what is due sent at once (a team's digest does not wait for every other team's chart to
    be drawn); last, whatever else the outbox holds that is due. How many messages went."""
    sent = 0
    async for written in plans(services, now):
        if written:
            sent += await services.outbox.send_due(now)
    return sent + await services.outbox.send_due(now)


def _group(team: TeamProfile, day: date) -> str:
    """A team-day's messages go out in the order written: the digest, its chart, the alerts, the summaries."""
    return str(keys.kpi_digest(team.key, day))


async def team_day(session: AsyncSession, team: TeamProfile, channel: str, day: date,
                   now: datetime) -> list[Message]:
    """The messages of one team's digest of `day`, and the alert states they announce (staged in `session`)."""
    built = await report.daily(session, team, day, title=views.day_title(day), now=now)
    group, key = _group(team, day), keys.kpi_digest(team.key, day)
    if built.figures.empty:  # one line, no chart
        shown = [post(key, channel, views.no_data(team, built.title, built.freshness), group=group)]
    else:
        text, blocks = views.digest(built)
        png = await asyncio.to_thread(chart.render_trend, built)
        shown = [post(key, channel, text, blocks=blocks, group=group),
                 upload.chart(keys.kpi_chart(team.key, day), channel, png, group=group,
                              filename=f"kpi-{team.key}-{day.isoformat()}.png", title=chart.trend_title(built),
                              comment=f"14-day trend · {team.name}")]
    return [*shown, *await _alerts(session, team, channel, built, group),
            *await _summaries(session, team, channel, day, group)]


async def _alerts(session: AsyncSession, team: TeamProfile, channel: str, built: report.Report,
                  group: str) -> list[Message]:
    """One alert per metric that turned red, one per metric that recovered; each metric's new state is staged
    with them."""
    red, found = await kpi.red_metrics(session, team.id), []
    for reading in built.readings:
        was_red = reading.metric.key in red
        kind = alert(was_red, reading.status)
        if kind is None:
            continue
        text = views.alert(team, reading, kind, built.first, built.contributors.get(reading.metric.key, ()),
                           built.figures.samples.get(reading.metric.key, 0))
        found.append(post(keys.kpi_alert(team.key, reading.metric.key, built.first, kind), channel, text,
                          group=group))
        await kpi.set_red(session, team.id, reading.metric.key, still_red(was_red, reading.status), built.first)
    return found


async def _summaries(session: AsyncSession, team: TeamProfile, channel: str, day: date,
                     group: str) -> list[Message]:
    found = []
    for baseline in await kpi.baselines(session, team.id):
        if not is_summary_day(baseline, day):
            continue
        values = await report.plan_values(session, team, baseline, day)
        text = views.baseline_summary(team, summarize(metric_of(baseline.metric), baseline, values),
                                      baseline.pinned_on)
        found.append(post(keys.kpi_baseline_summary(team.key, baseline.metric, baseline.pinned_on), channel, text,
                          group=group))
    return found


DIGEST = Job("digest", "the daily KPI digest, chart, alerts and baseline summaries at each team's digest time",
             run_digest)
