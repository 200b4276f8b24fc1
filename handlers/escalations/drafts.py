"""Draft customer update: an agent on an escalation card gets the message to send the customer, written from
the escalation's state, in the customer's timezone; marking it sent puts it on the timeline and restarts the
customer-update clock (the submission is `actions.submit_draft`, a follow-up modal like Post update)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import customer_updates as drafting
from bot.rules.directory import TeamProfile
from bot.rules.people import Person
from handlers import people
from handlers.blocks import modal, section
from handlers.escalations import forms, ids
from handlers.escalations.acting import escalation_of
from handlers.escalations.views import drafts as views
from handlers.escalations.views.card import ref
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission, as_number
from handlers.preamble import Refused, listener, tell
from handlers.services import Services
from storage import escalations
from storage.models import Escalation, EscalationEvent

UPDATES = ("update", "customer_update")
log = logging.getLogger(__name__)


@listener(ButtonClick)
async def open_draft(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond,
                     context: dict[str, Any]) -> None:
    """Draft customer update, pressed on a card: first, whom the message is for (the form opens just after the
    answer, with the owner's name as the people cache knows it; Slack is asked about who it does not know
    after that, so the draft can name them)."""
    async with context["db"]() as session:
        escalation, team = await escalation_of(session, context, click.number(), click.user.id,
                                               what=f"ButtonClick for {click.action.action_id!r}")
        stage = drafting.stage_of(escalation.status, len(await _updates(session, escalation.id)))
    if not click.trigger_id:
        raise Refused(UNREADABLE)
    context["services"].outbox.in_background(_open_choices(
        client, respond, context, click.trigger_id, click.user.id, escalation, team, stage))
    await ack()


async def _open_choices(client: AsyncWebClient, respond: AsyncRespond, context: dict[str, Any], trigger_id: str,
                        agent: str, escalation: Escalation, team: TeamProfile, stage: drafting.Stage) -> None:
    """Open the choices at once (the trigger is valid for 3 seconds); then learn from Slack the names the cache
    lacks, and show the owner's once it is known."""
    now, services = context["now"], context["services"]
    wanted = [agent, *([escalation.owner] if escalation.owner else [])]
    known = await people.cached(services, wanted, now)

    def choices(owner: str | None) -> dict[str, Any]:
        return views.draft_choices(escalation, stage, team_name=team.name, team_timezone=team.timezone,
                                   owner_name=owner, now=now)

    owner = known.found[escalation.owner].name if escalation.owner in known.found else None
    try:
        opened = await client.views_open(trigger_id=trigger_id, view=choices(owner))
    except SlackApiError as error:
        await tell(respond, context, f"Slack would not open the form ({error.response.get('error')}). "
                                     "Please press the button again.")
        return
    if not known.stale:
        return
    learnt = await people.people(services, known.stale, now, max_age=timedelta(0))
    if escalation.owner and owner is None and learnt[escalation.owner].name != escalation.owner:
        shown = opened.get("view") or {}
        try:
            await client.views_update(view_id=shown.get("id"), hash=shown.get("hash"),
                                      view=choices(learnt[escalation.owner].name))
        except SlackApiError as error:  # submitted or closed meanwhile: the draft names the team instead
            log.info("the draft choices were not updated with the owner's name (%s)", error.response.get("error"))


@listener(ViewSubmission, field=ids.CUSTOMER_TZ)
async def write_draft(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    """The choices, submitted: the draft replaces them in the same modal. Names come from the people cache;
    when it lacks one (Slack was slow to say), a moment's "writing" view replaces them first and the draft
    follows once Slack has answered (views.update, after the answer)."""
    choices = forms.DraftChoices.from_view(submission.view)
    now, services = context["now"], context["services"]
    async with context["db"]() as session:
        escalation, team = await escalation_of(session, context, as_number(submission.view.private_metadata),
                                               submission.user.id, what="draft choices")
        if choices.timezone not in views.zones(team.timezone):
            raise Refused("Please choose the customer's timezone from the list.")
        wanted = _named(escalation, submission.user.id, choices.name_owner)
        known = await people.cached(services, wanted, now)
        if all(user in known.found for user in wanted):
            stage, text, due = await draft_for(services, session, escalation, team, agent=submission.user.id,
                                               name_owner=choices.name_owner, tz=ZoneInfo(choices.timezone),
                                               now=now, names=known.found)
            await ack(response_action="update",
                      view=views.draft_form(escalation, stage, text, next_update=due, tz=ZoneInfo(choices.timezone)))
            return
    await ack(response_action="update", view=WRITING)
    services.outbox.in_background(_draft_when_named(services, submission.view.id, escalation, team,
                                                    submission.user.id, choices.name_owner,
                                                    ZoneInfo(choices.timezone), now))


WRITING = modal(ids.DRAFT_SETUP_FORM, "Customer update", [section("✍️ Writing the draft…")], submit=None)
"""What the modal shows for the moment it takes Slack to say who the people named in a draft are."""


def _named(escalation: Escalation, agent: str, name_owner: bool) -> list[str]:
    return [agent, *([escalation.owner] if escalation.owner and name_owner else [])]


async def _draft_when_named(services: Services, view_id: str, escalation: Escalation, team: TeamProfile,
                            agent: str, name_owner: bool, tz: ZoneInfo, now: datetime) -> None:
    """After the answer: ask Slack who is named (cached), then show the draft in place of `WRITING`."""
    names = await people.people(services, _named(escalation, agent, name_owner), now)
    async with services.db() as session:
        stage, text, due = await draft_for(services, session, escalation, team, agent=agent, name_owner=name_owner,
                                           tz=tz, now=now, names=names)
    try:
        await services.client.views_update(view_id=view_id, view=views.draft_form(escalation, stage, text,
                                                                                   next_update=due, tz=tz))
    except SlackApiError as error:  # closed meanwhile
        log.info("the customer-update draft was not shown (%s)", error.response.get("error"))


async def _updates(session: AsyncSession, escalation_id: int) -> list[EscalationEvent]:
    """The escalation's updates so far, oldest first: a customer update counts for the stage, but only the
    team's own updates say what was done."""
    return [e for e in await escalations.timeline(session, escalation_id) if e.kind in UPDATES]


async def draft_for(services: Services, session: AsyncSession, escalation: Escalation, team: TeamProfile, *,
                    agent: str, name_owner: bool, tz: ZoneInfo, now: datetime,
                    names: Mapping[str, Person] | None = None) -> tuple[drafting.Stage, str, datetime | None]:
    """The escalation's stage, the draft's text, and when the next update is due once it is sent (None when
    resolved). The people named come from `names` when given, else from Slack (through the cache)."""
    updates = await _updates(session, escalation.id)
    stage = drafting.stage_of(escalation.status, len(updates))
    notes = [event.note or "" for event in updates if event.kind == "update"]
    shared = [event.note or "" for event in updates if event.kind == "update" and event.customer_visible]
    wanted = _named(escalation, agent, name_owner)
    found = names if names is not None else await people.people(services, wanted, now)
    shown = {user: found[user].name if user in found else user for user in wanted}
    priority = escalation.priority
    due = None if stage == "resolved" else team.policy.due(now, team.policy.of(priority).update_every, priority)
    owner = shown.get(escalation.owner or "") if name_owner else None
    facts = drafting.Facts(
        customer=drafting.addressed(escalation.customer), summary=drafting.clause(escalation.summary),
        ref=ref(escalation), team=team.name, owner=drafting.owner_phrase(team.name, owner),
        done=drafting.done_lines(shared), agent=shown.get(agent, agent),
        next_update=drafting.when(due, tz) if due is not None else "", outcome=escalation.outcome or "",
        customer_as_logged=escalation.customer, all_updates=drafting.done_lines(notes))
    template = drafting.template_for(team.config.customer_updates.templates(), priority, stage)
    return stage, drafting.draft(template, facts), due
