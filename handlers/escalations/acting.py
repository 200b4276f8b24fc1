"""The escalation a click or a form acts on, and whether the person may: the escalations' part of the listener
preamble (`handlers.preamble`). A refusal is raised as `Refused` and said by the preamble the way the payload
is answered (privately after a click, inline on a form)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import TeamProfile
from bot.rules.escalation_changes import Change
from bot.rules.roles import Can
from handlers.escalations import announce, paging, tickets
from handlers.payloads import UNREADABLE
from handlers.preamble import Refused, require
from storage import escalations
from storage.models import Escalation, EscalationEvent
from storage.unit import UnitOfWork

GONE = "That escalation no longer exists."
log = logging.getLogger(__name__)


async def escalation_of(session: AsyncSession, context: dict[str, Any], number: int | None, user: str, *,
                        what: str = "") -> tuple[Escalation, TeamProfile]:
    """Escalation `number` and its team, if `user` may work it; else `Refused`: UNREADABLE without a number,
    GONE when it no longer exists, who can otherwise. `what` names the payload in the log when there is no
    number."""
    if number is None:
        log.warning("refused a %s Slack sent: it names no escalation number", what or "payload")
        raise Refused(UNREADABLE)
    escalation = await escalations.get(session, number)
    team: TeamProfile | None = context["directory"].team(escalation.team_id) if escalation else None
    if escalation is None or team is None:
        raise Refused(GONE)
    return escalation, require(Can.WORK_ESCALATIONS, team, user)


async def apply(unit: UnitOfWork, escalation: Escalation, team: TeamProfile, change: Change,
                now: datetime) -> EscalationEvent | None:
    """Save the change with every message it implies (the cards and their thread, pages, notes on the linked
    tickets), in one commit; the event, or None when the change changed nothing. A button, a form and the
    helpdesk sync's customer reply all go through here."""
    event = await escalations.save(unit.session, escalation, change, change.state.due(team.policy))
    if event is not None:
        unit.send(*announce.changed(escalation, team, event, now=now))
        unit.send(*await paging.changed(unit.session, escalation, team, event))
        unit.send(*await tickets.changed(unit.session, escalation, team, event))
        await unit.commit()
    return event
