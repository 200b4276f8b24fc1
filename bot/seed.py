"""One way to make teams and escalations without Slack: for the tests, the benchmarks and `supportbot demo`.

It goes through the same rules and storage as the listeners (`escalation_changes`, `storage.escalations`),
so what it makes is exactly what a person using Slack would have made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import escalation_changes as rules
from bot.rules.directory import Directory, TeamProfile
from bot.rules.escalation_changes import Change, EscalationState
from bot.rules.sla import priority as priority_of
from bot.rules.team_config import parse_teams
from storage import directory, escalations, teams
from storage.escalations import NewEscalation
from storage.models import Escalation, EscalationEvent


async def seed_teams(session: AsyncSession, yaml_text: str, *, now: datetime) -> Directory:
    """Apply a teams YAML document, committed; the directory it makes."""
    await teams.apply(session, parse_teams(yaml_text), now=now)
    await session.commit()
    return await directory.load(session)


async def seed_escalation(
    session: AsyncSession, team: TeamProfile, *, now: datetime, path: str | None = None, reporter: str = "",
    customer: str = "ACME Corp", summary: str = "Checkout fails", details: str = "", severity: str = "high",
    impact: str = "several", urgency: str = "today", priority: str | None = None, owner: str | None = None,
    tickets: Sequence[dict[str, Any]] = (), key: str | None = None,
) -> Escalation:
    """An escalation logged at `now`, as the form would log it (its priority from the matrix unless given)."""
    route = next(p for p in team.active_paths if path in (None, p.key))
    reporter = reporter or sorted(team.config.members or team.config.managers)[0]
    chosen = priority or priority_of(severity, impact, urgency)
    opening = EscalationState(id=0, priority=chosen, status="open", owner=owner, opened_at=now,
                              priority_changed_at=now)
    escalation, _ = await escalations.create(session, NewEscalation(
        team_id=team.id, path_id=route.id, submission_key=key or f"seed:{team.key}:{now.isoformat()}:{summary}",
        reporter=reporter, owner=owner, customer=customer, summary=summary, details=details, tickets=list(tickets),
        severity=severity, impact=impact, urgency=urgency, priority=chosen,
    ), due=opening.due(team.policy), events=rules.opened(opening, reporter, summary), now=now)
    await session.commit()
    await session.refresh(escalation, ["posts", "path"])
    return escalation


async def act(session: AsyncSession, escalation: Escalation, team: TeamProfile,
              change: Change) -> EscalationEvent | None:
    """Save a change made by one of the rules, as the listener would: its event, or None."""
    event = await escalations.save(session, escalation, change, change.state.due(team.policy))
    await session.commit()
    return event


def state(escalation: Escalation) -> EscalationState:
    return escalations.state_of(escalation)
