"""The notice to a team's managers when its helpdesk stops syncing, and when it recovers (issue 21): judged on
every tick of the `digest` job, sent once per manager through `handlers.delivery.once`, the state kept like a
metric's red state (`metric_alert_states`, as `helpdesk:<source>`), so each change is told once."""

from __future__ import annotations

from datetime import datetime

from bot.rules.freshness import notice, notice_key, notice_text, state_key
from bot.rules.kpi_days import local_date
from handlers.blocks import escape
from handlers.delivery import once
from handlers.kpi import report
from handlers.services import Services
from storage import claims, kpi


async def notify(services: Services, now: datetime) -> int:
    """Notices sent: for each team synced from a helpdesk whose staleness changed since it was last told."""
    sent = 0
    for team in (await services.directory.current()).teams:
        if team.config.helpdesk is None or not team.config.managers:
            continue
        async with services.db() as session:
            fresh = await report.freshness(session, team, now)
            if fresh is None:
                continue
            key = state_key(fresh.source)
            was_stale = key in await kpi.red_metrics(session, team.id)
            kind = notice(was_stale, fresh)
            if kind is None:
                continue
            text = escape(notice_text(team.name, fresh, kind))
            done = True
            for manager in sorted(team.config.managers):
                unit = notice_key(team.key, fresh.source, kind, fresh.last_success) + f":{manager}"

                async def send(to: str = manager, said: str = text) -> bool:
                    await services.client.chat_postMessage(channel=to, text=said)
                    return True

                sent += bool(await once(session, unit, send, now=now))
                done &= await claims.is_done(session, unit)
            if done:
                await kpi.set_red(session, team.id, key, fresh.stale, local_date(now, team.timezone))
    return sent
