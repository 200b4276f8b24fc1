"""**Merge into…** on a card: close a duplicate escalation as merged into another open escalation of the same
team. The button opens a modal listing the team's other open escalations (the most urgent 100); its
submission applies the rule (`escalation_changes.merge`: refused for the escalation itself, a resolved one or
another team's, with the reason on the form), stores the merge (`storage.escalations.merge`: the duplicate's
reporter, tickets and timeline move to the target) and writes what shows it in one commit: every card of both
escalations, in every channel that shows one, updated; a thread reply under each; a DM to the duplicate's
reporter. Un-merging is not offered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules import escalation_changes as rules
from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.messages import Message, post
from bot.rules.roles import Can
from handlers.blocks import user
from handlers.escalations import announce, ids, views
from handlers.escalations.acting import GONE, escalation_of
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission, as_number
from handlers.preamble import Refused, listener, open_view, require
from storage import escalations
from storage.models import Escalation, EscalationEvent

LISTED = 100
"""A static select holds at most 100 options."""


@listener(ButtonClick)
async def open_merge_form(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond,
                          context: dict[str, Any]) -> None:
    async with context["db"]() as session:
        escalation, team = await escalation_of(session, context, click.number(), click.user.id,
                                               what=f"ButtonClick for {click.action.action_id!r}")
        listed = await escalations.open_for_teams(session, [team.id], limit=LISTED + 1)
        candidates = [e for e in listed.escalations if e.id != escalation.id][:LISTED]
        others = listed.total - (escalation.status != "resolved")
        view = views.merge_form(escalation, candidates, more=max(others - len(candidates), 0))
    if not click.trigger_id:
        raise Refused(UNREADABLE)
    context["services"].outbox.in_background(open_view(client, respond, context, click.trigger_id, view))
    await ack()


@listener(ViewSubmission, field=ids.MERGE_TARGET)
async def submit_merge(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    number = as_number(submission.view.private_metadata)
    chosen = as_number(submission.view.values().get(ids.MERGE_TARGET))
    by, now = submission.user.id, context["now"]
    async with context["services"].unit(now) as unit:
        found = await escalations.locked(unit.session, [n for n in (number, chosen) if n])
        duplicate, target = found.get(number or 0), found.get(chosen or 0)
        team: TeamProfile | None = context["directory"].team(duplicate.team_id) if duplicate else None
        if number is None:
            raise Refused(UNREADABLE)
        if duplicate is None or team is None:
            raise Refused(GONE)
        require(Can.WORK_ESCALATIONS, team, by)
        made = rules.merge(rules.Mergeable(escalations.state_of(duplicate), duplicate.team_id, duplicate.summary),
                           rules.Mergeable(escalations.state_of(target), target.team_id) if target else None,
                           by, now)
        if isinstance(made, str):
            raise Refused(made)
        assert target is not None
        closed, taken = await escalations.merge(unit.session, duplicate, target, made,
                                                (made[0].state.due(team.policy), made[1].state.due(team.policy)))
        unit.send(*merged(duplicate, target, team, (closed, taken), now))
        await unit.commit()
    await ack()


def shown_in(escalation: Escalation, team: TeamProfile) -> list[str]:
    """Every channel with a card of the escalation: its card channels now, and any it was posted in before."""
    return list(dict.fromkeys([*announce.card_channels(escalation, team), *(p.channel for p in escalation.posts)]))


def merged(duplicate: Escalation, target: Escalation, team: TeamProfile,
           events: tuple[EscalationEvent, EscalationEvent], now: datetime) -> list[Message]:
    """Both escalations' cards updated wherever they are shown, a thread reply on each, and the duplicate's
    reporter told where their escalation went."""
    found: list[Message] = []
    for escalation, event in zip((duplicate, target), events, strict=True):
        found += announce.card_updates(escalation, team, version=f"merge-{event.id}", event_id=event.id, now=now,
                                       channels=shown_in(escalation, team))
        found += announce.news(escalation, team, event)
    closed = events[0]
    if duplicate.reporter != closed.actor:
        found.append(post(keys.event_dm(duplicate.id, closed.id, duplicate.reporter), duplicate.reporter,
                          f"🔀 {duplicate.ref}, which you reported, was merged into ESC-{target.id} by "
                          f"{user(closed.actor)}: you'll hear from me when ESC-{target.id} is resolved.",
                          group=f"esc:{duplicate.id}@{duplicate.reporter}"))
    return found
