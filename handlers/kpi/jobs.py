"""Scheduled work of the KPI feature: the job `digest` (a tick every minute).

For each team with a digest channel, from the team's digest time (team timezone) until local midnight,
the previous local day's digest is due; each unit is claimed once (`handlers.delivery.once`):
- the digest message (or one line when the day had no data), Monday's with last week added;
- the 14-day trend chart, uploaded with `files_upload_v2` under it (rendered in a thread);
- an alert for each metric that turned red that day, and one for each that recovered (the alert check
  runs in this job, on the digest's figures: there is no separate alerts job);
- the summary of each baseline whose 30-day plan ends that day.
Every tick also tells the managers of a team whose helpdesk has stopped syncing, once, and once when it
recovers (`handlers.kpi.freshness`).
When all of them are done a last claim marks the team-day finished, so later ticks cost one query. A team
whose digest raised is logged and fails the run (`handlers.job_runs`); the other teams' go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi import metric_of
from bot.rules.kpi_days import alert_key, baseline_summary_key, chart_key, digest_day, digest_key, finished_key
from bot.rules.kpi_plan import alert, is_summary_day, still_red, summarize
from handlers.blocks import Block
from handlers.delivery import once
from handlers.jobs import Job
from handlers.kpi import chart, freshness, report, views
from handlers.metrics import unit_failed
from handlers.services import Services
from storage import claims, kpi

log = logging.getLogger(__name__)


def _say(client: AsyncWebClient, channel: str, text: str,
         blocks: list[Block] | None = None) -> Callable[[], Awaitable[bool]]:
    """One message for `handlers.delivery.once` to send."""
    async def send() -> bool:
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return True

    return send


async def run_digest(services: Services, now: datetime) -> int:
    done = await freshness.notify(services, now)
    for team in (await services.directory.current()).teams:
        channel = team.channels.get("digest")
        day = digest_day(now, team.timezone, team.config.digest.time)
        if not channel or day is None:
            continue
        async with services.db() as session:
            if await claims.is_done(session, finished_key(team.key, day)):
                continue
            try:
                done += await _team_day(services, session, team, channel, day, now)
            except Exception as error:  # one team's failure (an upload that broke off) must not stop the others'
                log.exception("the %s digest for %s failed; the next tick retries what is not done", team.key, day)
                unit_failed(f"the {team.key} digest for {day.isoformat()}", type(error).__name__)
    return done


async def _team_day(services: Services, session: AsyncSession, team: TeamProfile, channel: str, day: date,
                    now: datetime) -> int:
    client, sent, pending = services.client, 0, False
    built = await report.daily(session, team, day, title=views.day_title(day), now=now)
    key = digest_key(team.key, day)

    if built.figures.empty:
        post_digest = _say(client, channel, views.no_data(team, built.title, built.freshness))
    else:
        post_digest = _say(client, channel, *views.digest(built))

    async def post_chart() -> bool:
        png = await asyncio.to_thread(chart.render_trend, built)
        await client.files_upload_v2(channel=channel, file=png, filename=f"kpi-{team.key}-{day.isoformat()}.png",
                                     title=chart.trend_title(built), initial_comment=f"14-day trend · {team.name}")
        return True

    sent += bool(await once(session, key, post_digest, now=now))
    if not await claims.is_done(session, key):
        return sent  # Slack refused it: everything else waits for the digest
    if not built.figures.empty:
        sent += bool(await once(session, chart_key(team.key, day), post_chart, now=now))
        pending |= not await claims.is_done(session, chart_key(team.key, day))
    alerts, waiting = await _alerts(services, session, team, channel, built, now)
    summaries, later = await _summaries(services, session, team, channel, day, now)
    if not (pending or waiting or later) and await claims.claim(session, finished_key(team.key, day), now=now):
        await claims.complete(session, finished_key(team.key, day), now=now)
    return sent + alerts + summaries


async def _alerts(services: Services, session: AsyncSession, team: TeamProfile, channel: str,
                  built: report.Report, now: datetime) -> tuple[int, bool]:
    """One alert per metric that turned red, one per metric that recovered; (sent, any still waiting)."""
    red, sent, waiting = await kpi.red_metrics(session, team.id), 0, False
    for reading in built.readings:
        was_red = reading.metric.key in red
        kind = alert(was_red, reading.status)
        if kind is None:
            continue
        key = alert_key(team.key, reading.metric.key, built.first, kind)
        text = views.alert(team, reading, kind, built.first, built.contributors.get(reading.metric.key, ()),
                           built.figures.samples.get(reading.metric.key, 0))
        sent += bool(await once(session, key, _say(services.client, channel, text), now=now))
        if await claims.is_done(session, key):
            await kpi.set_red(session, team.id, reading.metric.key, still_red(was_red, reading.status), built.first)
        else:
            waiting = True
    return sent, waiting


async def _summaries(services: Services, session: AsyncSession, team: TeamProfile, channel: str, day: date,
                     now: datetime) -> tuple[int, bool]:
    sent, waiting = 0, False
    for baseline in await kpi.baselines(session, team.id):
        if not is_summary_day(baseline, day):
            continue
        key = baseline_summary_key(team.key, baseline.metric, baseline.pinned_on)
        if await claims.is_done(session, key):
            continue
        values = await report.plan_values(session, team, baseline, day)
        text = views.baseline_summary(team, summarize(metric_of(baseline.metric), baseline, values),
                                      baseline.pinned_on)
        sent += bool(await once(session, key, _say(services.client, channel, text), now=now))
        waiting |= not await claims.is_done(session, key)
    return sent, waiting


DIGEST = Job("digest", "the daily KPI digest, chart, alerts and baseline summaries at each team's digest time",
             run_digest)
