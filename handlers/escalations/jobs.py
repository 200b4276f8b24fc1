"""Scheduled work of the escalation feature.

- `escalation-timers` (every minute): SLA reminders in the card's thread at 80 % and at breach of the
  acknowledgement, customer-update and resolution clocks, with capped repeats, and a card in every channel
  that should show one, and the on-call chain's DMs due (`handlers.escalations.oncall`), written to the outbox
  (a plan); then whatever the outbox holds that is due is sent.
- `escalation-review` (Monday morning, team time): last week's review in the escalation channel, written to
  the outbox once (a plan), then sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules import keys
from bot.rules.escalations import due_reminders
from bot.rules.messages import post
from handlers.escalations import announce, oncall, paging, views
from handlers.jobs import Job
from handlers.services import Services
from storage import escalations, outbox

log = logging.getLogger(__name__)


FOLLOW_UP = timedelta(days=2)
"""How long after an event (or a resolution) a message about it that Slack refused is still sent."""


async def run_timers(services: Services, now: datetime) -> int:
    """A plan: the escalations being watched and `now` in, the messages that should exist out (every card,
    each due reminder, a card update showing a breach), written to the outbox under their keys (what exists
    already is not written again), then everything due in the outbox is sent. How many messages went."""
    directory = await services.directory.current()
    async with services.unit(now, wake=False) as unit:
        watched = await escalations.active(unit.session, resolved_since=now - FOLLOW_UP)
        latest = await escalations.latest_event_ids(unit.session, [e.id for e in watched])
        for escalation in watched:
            team = directory.team(escalation.team_id)
            escalations.keep_due_current(escalation, escalations.state_of(escalation).due(team.policy))
            shown = latest.get(escalation.id, 0)
            unit.send(*announce.cards(escalation, team, event_id=shown, now=now))
            unit.send(*await oncall.chain(services.client, escalation, team, now))  # the on-call DMs due
            for due in due_reminders(escalation, team.policy, now):
                unit.send(announce.reminder(escalation, team, due), *paging.breached(escalation, team, due))
                if due.is_breach:  # the card shows it
                    unit.send(*announce.card_updates(escalation, team, version=f"{due.clock}-{due.stage}-{due.due:%s}",
                                                     event_id=shown, now=now))
        await unit.commit()
    return await services.outbox.send_due(now)


REVIEW_DAY = 0  # Monday


def review_week(now: datetime, tz_name: str, opens: time) -> tuple[datetime, datetime] | None:
    """Last week's [Monday, Monday) in the team's time, once its business day opens on Monday."""
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    if local.weekday() != REVIEW_DAY or local.time() < opens:
        return None
    monday = datetime.combine(local.date(), time(0), tzinfo=tz)
    start = datetime.combine(local.date() - timedelta(days=7), time(0), tzinfo=tz)
    return start, monday


async def run_review(services: Services, now: datetime) -> int:
    """A plan: for each team whose week ended (Monday, once its business day opens), last week's review written
    to the outbox under its key, unless it is there already; then everything due is sent. How many messages
    went."""
    for team in (await services.directory.current()).teams:
        channel = team.channels.get("escalations")
        week = review_week(now, team.timezone, team.policy.hours.start)
        if not channel or week is None:
            continue
        start, end = week
        key = keys.weekly_review(team.key, end.date())
        async with services.unit(now, wake=False) as unit:
            if await outbox.written(unit.session, [str(key)]):
                continue
            figures = await escalations.stats(unit.session, [team.id], start, end)
            before = await escalations.stats(unit.session, [team.id], start - timedelta(days=7), start)
            late = await escalations.overdue(unit.session, team.id, now)
            text, blocks = views.weekly_review(team.name, figures, before, late, now)
            unit.send(post(key, channel, text, blocks=blocks, group=str(key)))
            await unit.commit()
    return await services.outbox.send_due(now)


TIMERS = Job("escalation-timers", "SLA reminders for open escalations (every minute)", run_timers)
REVIEW = Job("escalation-review", "last week's escalation review, Monday morning team time", run_review,
             trigger={"trigger": "interval", "minutes": 5})
