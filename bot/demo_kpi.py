"""The demo's helpdesk: two weeks of made-up tickets for Tier 1, synced from Zendesk five minutes ago, then
yesterday's digest and its chart."""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.kpi_days import local_date
from handlers.blocks import Block, section
from handlers.kpi import chart, report, views
from storage import helpdesks
from storage.kpi_models import Ticket


async def seed_tickets(session: AsyncSession, team: TeamProfile, now: datetime) -> None:
    """About 30 tickets a day for 15 days, slower and less happy over the last three (something to find)."""
    shuffle = random.Random(4411)
    number = 1000
    for days_ago in range(15, 0, -1):
        slow = days_ago <= 3
        for _ in range(shuffle.randint(24, 36)):
            number += 1
            created = now - timedelta(days=days_ago, minutes=shuffle.randint(0, 23 * 60))
            responded = created + timedelta(minutes=shuffle.randint(5, 140 if slow else 70))
            solved = responded + timedelta(hours=shuffle.uniform(0.5, 30 if slow else 20))
            open_still = solved > now
            session.add(Ticket(
                team_id=team.id, external_id=str(number), created_at=created, first_response_at=responded,
                solved_at=None if open_still else solved, status="open" if open_still else "solved",
                channel=shuffle.choice(["email", "chat", "web"]),
                csat_good=None if shuffle.random() < 0.5 else shuffle.random() > (0.2 if slow else 0.06),
                reopens=1 if shuffle.random() < 0.05 else 0, agent_replies=shuffle.choice([1, 1, 1, 2, 3]),
                sla_breached=slow and shuffle.random() < 0.15, source="zendesk", updated_at=now))
    synced = now - timedelta(minutes=5)
    if await helpdesks.claim(session, "zendesk", owner="demo", now=synced, until=now):
        await helpdesks.finish(session, "zendesk", owner="demo", now=synced, error=None, unmatched=0,
                               report="zendesk: the demo's tickets")
    await session.commit()


async def digest(session: AsyncSession, team: TeamProfile, now: datetime, chart_file: Path) -> list[Block]:
    """Yesterday's digest after two weeks of made-up tickets."""
    await seed_tickets(session, team, now)
    return await digest_of(session, team, local_date(now, team.timezone) - timedelta(days=1), chart_file, now=now)


async def digest_of(session: AsyncSession, team: TeamProfile, day: date, chart_file: Path, *,
                    now: datetime | None = None) -> list[Block]:
    """The digest of `day` as the `digest` job posts it at `now`; its 14-day chart is written to `chart_file` (a
    day with no data is one line, and no chart)."""
    built = await report.daily(session, team, day, title=views.day_title(day), now=now)
    if built.figures.empty:
        return [section(views.no_data(team, built.title, built.freshness))]
    png = await asyncio.to_thread(chart.render_trend, built)
    await asyncio.to_thread(chart_file.write_bytes, png)
    return views.digest(built)[1]
