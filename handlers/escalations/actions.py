"""The buttons on an escalation card and the modals behind them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import TeamPolicy
from handlers.escalations import forms, ids, views
from handlers.escalations.announce import introduce, policy_of, publish
from storage import escalations, teams
from storage.db import SessionFactory
from storage.escalations import NewEscalation
from storage.models import Escalation, EscalationEvent

REFUSAL = ("Only members and managers of {team} can change {ref}. If you should be able to, ask your "
           "support manager to add you to the team.")


# --------------------------------------------------------------------------- logging an escalation

async def submit_escalation(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                            context: dict[str, Any]) -> None:
    form = forms.EscalationForm.from_view(body["view"])
    reporter = body["user"]["id"]
    db: SessionFactory = context["db"]
    async with db() as session:
        path = await teams.path(session, form.path_id) if form.path_id else None
        if form.path_id and (path is None or not teams.belongs(path.team, reporter)):
            form.errors[ids.PATH] = "That escalation path is no longer available: please choose another."
        if form.errors or path is None:
            await ack(response_action="errors", errors=form.errors)
            return
        await ack()
        now = context["now"]
        escalation, created = await escalations.create(session, NewEscalation(
            team_id=path.team_id, path_id=path.id, submission_key=f"view:{body['view']['id']}",
            reporter=reporter, owner=form.owner, customer=form.customer, summary=form.summary,
            details=form.details, tickets=[t.__dict__ for t in form.tickets], severity=form.severity,
            impact=form.impact, urgency=form.urgency, priority=form.priority,
        ), TeamPolicy.from_settings(path.team.settings, path.team.timezone), now=now)
        if not created:
            return  # a retried or double-clicked submission: the first one did the work
        await introduce(client, session, await _reload(session, escalation.id), now=now)


async def _reload(session: AsyncSession, escalation_id: int) -> Escalation:
    found = await escalations.get(session, escalation_id)
    assert found is not None
    await session.refresh(found, ["posts", "team", "path"])
    return found


# --------------------------------------------------------------------------- buttons

async def _for_action(body: dict[str, Any], session: AsyncSession,
                      respond: AsyncRespond) -> Escalation | None:
    """The escalation a button belongs to, if the person pressing it may act on it."""
    action = body["actions"][0]
    raw = action.get("value") or action.get("block_id", "").rpartition(":")[2]
    escalation = await escalations.get(session, int(raw)) if raw.isdigit() else None
    if escalation is None:
        await respond(text="That escalation no longer exists.", response_type="ephemeral",
                      replace_original=False)
        return None
    if not teams.belongs(escalation.team, body["user"]["id"]):
        await respond(text=REFUSAL.format(team=escalation.team.name, ref=views.ref(escalation)),
                      response_type="ephemeral", replace_original=False)
        return None
    return escalation


async def acknowledge(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond,
                      context: dict[str, Any]) -> None:
    await ack()
    async with context["db"]() as session:
        escalation = await _for_action(body, session, respond)
        if escalation is None:
            return
        event = await escalations.acknowledge(session, escalation, body["user"]["id"], now=context["now"])
        await publish(client, session, escalation, event, now=context["now"])


async def assign(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond,
                 context: dict[str, Any]) -> None:
    await ack()
    owner = body["actions"][0].get("selected_user")
    async with context["db"]() as session:
        escalation = await _for_action(body, session, respond)
        if escalation is None or not owner:
            return
        event = await escalations.assign(session, escalation, body["user"]["id"], owner, now=context["now"])
        await publish(client, session, escalation, event, now=context["now"])


def _opener(build: Any) -> Any:
    """A button that opens a follow-up modal about the escalation."""

    async def open_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond,
                         context: dict[str, Any]) -> None:
        await ack()
        async with context["db"]() as session:
            escalation = await _for_action(body, session, respond)
            if escalation is None:
                return
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=build(escalation))
            except SlackApiError as error:
                await respond(text=f"Slack would not open the form ({error.response.get('error')}). "
                                   "Please press the button again.", response_type="ephemeral",
                              replace_original=False)

    return open_modal


open_update_form = _opener(views.update_form)
open_priority_form = _opener(lambda e: views.priority_form(e, policy_of(e)))
open_resolve_form = _opener(views.resolve_form)
open_reopen_form = _opener(views.reopen_form)



# --------------------------------------------------------------------------- follow-up modals

async def _for_submission(ack: AsyncAck, body: dict[str, Any], session: AsyncSession, form: Any,
                          first_block: str) -> Escalation | None:
    """Inline errors for bad input or a person who may not act; otherwise ack and return it."""
    escalation_id = body["view"].get("private_metadata", "")
    escalation = await escalations.get(session, int(escalation_id)) if escalation_id.isdigit() else None
    if escalation is None:
        form.errors[first_block] = "That escalation no longer exists."
    elif not teams.belongs(escalation.team, body["user"]["id"]):
        form.errors[first_block] = REFUSAL.format(team=escalation.team.name, ref=views.ref(escalation))
    if form.errors:
        await ack(response_action="errors", errors=form.errors)
        return None
    await ack()
    return escalation


Change = Callable[[AsyncSession, Escalation, str, Any, datetime], Awaitable[EscalationEvent | None]]


def _follow_up(read: Callable[[dict[str, Any]], Any], first_block: str, change: Change) -> Any:
    """A follow-up modal's submission: read the form, check who submits it, make the change, show it."""

    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        form = read(body["view"])
        async with context["db"]() as session:
            escalation = await _for_submission(ack, body, session, form, first_block)
            if escalation is None:
                return
            event = await change(session, escalation, body["user"]["id"], form, context["now"])
            await publish(client, session, escalation, event, now=context["now"])

    return submit


submit_update = _follow_up(
    forms.UpdateForm.from_view, ids.UPDATE_TEXT,
    lambda session, escalation, actor, form, now: escalations.post_update(
        session, escalation, actor, form.text, policy_of(escalation), now=now))
submit_priority = _follow_up(
    forms.PriorityForm.from_view, ids.NEW_PRIORITY,
    lambda session, escalation, actor, form, now: escalations.change_priority(
        session, escalation, actor, form.priority, form.reason, policy_of(escalation), now=now))
submit_resolution = _follow_up(
    forms.ResolveForm.from_view, ids.OUTCOME,
    lambda session, escalation, actor, form, now: escalations.resolve(
        session, escalation, actor, outcome=form.outcome, root_cause=form.root_cause,
        customer_told=form.customer_told, now=now))
submit_reopen = _follow_up(
    forms.ReopenForm.from_view, ids.REASON,
    lambda session, escalation, actor, form, now: escalations.reopen(session, escalation, actor, form.reason,
                                                                     now=now))
