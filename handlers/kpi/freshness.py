"""The notice to a team's managers when its helpdesk stops syncing, and when it recovers (issue 21): judged on
every tick of the `digest` job. A plan: the source's sync state, what the managers were last told and `now` in,
one DM per manager out, written to the outbox (`keys.helpdesk_notice`) in the same transaction as the new
state, kept like a metric's red state (`metric_alert_states`, as `helpdesk:<source>`), so each change is told
once."""

from __future__ import annotations

from datetime import datetime

from bot.rules import keys
from bot.rules.freshness import notice, notice_text, state_key
from bot.rules.kpi_days import local_date
from bot.rules.messages import post
from handlers.blocks import escape
from handlers.kpi import report
from handlers.services import Services
from storage import kpi


async def plan(services: Services, now: datetime) -> int:
    """Notices written (not sent): for each team synced from a helpdesk whose staleness changed since its
    managers were last told."""
    written = 0
    for team in (await services.directory.current()).teams:
        if team.config.helpdesk is None or not team.config.managers:
            continue
        async with services.unit(now, wake=False) as unit:
            fresh = await report.freshness(unit.session, team, now)
            if fresh is None:
                continue
            state = state_key(fresh.source)
            kind = notice(state in await kpi.red_metrics(unit.session, team.id), fresh)
            if kind is None:
                continue
            text = escape(notice_text(team.name, fresh, kind))
            for manager in sorted(team.config.managers):
                key = keys.helpdesk_notice(kind, team.key, fresh.source, fresh.last_success, manager)
                unit.send(post(key, manager, text, group=f"helpdesk:{team.key}:{fresh.source}:{manager}"))
            await kpi.set_red(unit.session, team.id, state, fresh.stale, local_date(now, team.timezone))
            written += await unit.commit()
    return written
