"""Scheduled work of the escalation feature.

- `escalation-timers` (every minute): SLA reminders in the card's thread at 80 % and at breach of the
  acknowledgement, customer-update and resolution clocks, with capped repeats; and any card that
  could not be posted earlier (Slack was down) is posted now.
- `escalation-review` (Monday morning, team time): last week's review in the escalation channel.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import claim_keys
from bot.rules.directory import TeamProfile
from bot.rules.escalations import Reminder, due_reminders
from handlers.delivery import once
from handlers.escalations import views
from handlers.escalations.announce import Delivery, deliver, deliveries, post_cards, update_cards
from handlers.jobs import Job
from handlers.services import Services
from storage import claims, escalations
from storage.models import Escalation

log = logging.getLogger(__name__)


FOLLOW_UP = timedelta(days=2)
"""How long after an event (or a resolution) a message about it that Slack refused is still sent."""


async def run_timers(services: Services, now: datetime) -> int:
    client, done, directory = services.client, 0, await services.directory.current()
    async with services.db() as session:
        watched = await escalations.active(session, resolved_since=now - FOLLOW_UP)
        numbers = [e.id for e in watched]
        latest = await escalations.latest_event_ids(session, numbers)
        recent = await escalations.events_since(session, numbers, now - FOLLOW_UP)
        # First, whatever Slack refused earlier: cards never posted or behind the timeline, replies, DMs.
        for escalation in watched:
            team = directory.team(escalation.team_id)
            await escalations.keep_due_current(session, escalation, escalations.state_of(escalation).due(team.policy))
            done += await post_cards(client, session, escalation, team, latest_event_id=latest.get(escalation.id, 0),
                                     now=now)
            await update_cards(client, session, escalation, team, latest_event_id=latest.get(escalation.id, 0),
                               now=now)
        done += len(await deliver(client, session, await not_taken(session, [
            d for e in watched for event in recent[e.id] for d in deliveries(e, event)], now), now=now))
        # Then the SLA reminders, in the card's thread (an escalation whose card is not posted yet waits).
        due = {r.key: (e, r) for e in watched if e.posts
               for r in due_reminders(e, directory.team(e.team_id).policy, now)}
        sent = await deliver(client, session, await not_taken(session, [
            reminder(e, r, directory.team(e.team_id)) for e, r in due.values()], now), now=now)
        done += len(sent)
        breached = {due[d.key][0].id: due[d.key][0] for d in sent if due[d.key][1].is_breach}
        for escalation in breached.values():  # the card shows it (best effort: the next change shows it too)
            await update_cards(client, session, escalation, directory.team(escalation.team_id),
                               latest_event_id=latest.get(escalation.id, 0), now=now, every_card=True)
        await session.commit()  # what the cards updated since the last claim now show
    return done


async def not_taken(session: AsyncSession, wanted: list[Delivery], now: datetime) -> list[Delivery]:
    """What of `wanted` nobody has sent, holds or parked: one read, so that a tick in the steady state (all of
    it sent already) writes nothing, where claiming it all would try an insert and a take-over for each."""
    taken = await claims.taken(session, [d.key for d in wanted], now=now)
    return [d for d in wanted if d.key not in taken]


def reminder(escalation: Escalation, due: Reminder, team: TeamProfile) -> Delivery:
    thread = escalation.posts[0]
    text = views.reminder_text(due, escalation, team.managers)
    return Delivery(due.key, thread.channel, lambda _link: text, thread.ts)


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
    done = 0
    async with services.db() as session:
        for team in (await services.directory.current()).teams:
            channel = team.channels.get("escalations")
            week = review_week(now, team.timezone, team.policy.hours.start)
            if not channel or week is None:
                continue
            start, end = week

            async def post(team: TeamProfile = team, channel: str = channel, start: datetime = start,
                           end: datetime = end) -> bool:
                figures = await escalations.stats(session, [team.id], start, end)
                before = await escalations.stats(session, [team.id], start - timedelta(days=7), start)
                late = await escalations.overdue(session, team.id, now)
                text, blocks = views.weekly_review(team.name, figures, before, late, now)
                await services.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
                return True

            if await once(session, claim_keys.weekly_review(team.key, end.date()), post, now=now):
                done += 1
    return done


TIMERS = Job("escalation-timers", "SLA reminders for open escalations (every minute)", run_timers)
REVIEW = Job("escalation-review", "last week's escalation review, Monday morning team time", run_review,
             trigger={"trigger": "interval", "minutes": 5})
