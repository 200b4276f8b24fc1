"""A customer's reply in a linked ticket ends a wait on the customer (issue 22, item 3).

After the helpdesk sync commits, each open escalation that waits on the customer is checked against its linked
tickets (the source each link goes to: `handlers.escalations.tickets.linked`, the one home of that rule): the
stored time of each ticket's latest customer reply (`tickets.customer_replied_at`, which the sync records) decides
(`bot.rules.customer_replies.ending_reply`); a reply later than the pause resumes it
(`bot.rules.escalation_changes.customer_replied`: a "resumed" event, the due times moved by the paused span), and
the change is shown as a card button's is (`handlers.escalations.actions`): the cards updated, the threads told,
through the outbox, one unit of work per escalation. The escalation is read again under its lock before the
change, so two replicas syncing at once resume it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.rules import escalation_changes as rules
from bot.rules.customer_replies import Reply, ending_reply
from bot.rules.directory import Directory
from handlers.escalations import acting, tickets
from storage import escalations
from storage import tickets as stored_tickets
from storage.db import SessionFactory
from storage.unit import unit_of_work

log = logging.getLogger(__name__)


async def resume_replied(db: SessionFactory, directory: Directory, now: datetime, *,
                         on_commit: Callable[[], None] | None = None) -> int:
    """Resume every paused escalation whose linked ticket's customer replied after the pause; how many."""
    async with db() as session:
        waiting = [escalation.id for escalation in await escalations.paused(session)]
    resumed = 0
    for number in waiting:
        try:
            resumed += await _resume_one(db, directory, number, now, on_commit)
        except Exception:  # one escalation's failure must not keep the others waiting
            log.exception("ESC-%s: could not check the customer's replies", number)
    return resumed


async def _resume_one(db: SessionFactory, directory: Directory, number: int, now: datetime,
                      on_commit: Callable[[], None] | None) -> int:
    async with unit_of_work(db, now=now, on_commit=on_commit) as unit:
        escalation = (await escalations.locked(unit.session, [number])).get(number)
        if escalation is None or escalation.paused_at is None or escalation.status == "resolved":
            return 0
        team = directory.team(escalation.team_id)
        found = tickets.linked(escalation, team)
        replied = await stored_tickets.customer_replies(unit.session, [(t.kind, t.ticket) for t in found])
        reply = ending_reply(escalation.paused_at, [Reply(tickets.label(t), replied.get((t.kind, t.ticket)))
                                                    for t in found], now)
        if reply is None or reply.at is None:
            return 0
        change = rules.customer_replied(escalations.state_of(escalation), reply.ticket, reply.at)
        event = await acting.apply(unit, escalation, team, change, now)
        if event is None:
            return 0
        log.info("ESC-%s: resumed, %s", number, event.note)
        return 1
