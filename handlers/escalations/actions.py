"""Logging an escalation, the buttons on its card and the modals behind them.

Each listener reads its payload (typed), checks who is acting against the team directory, applies the rule
for the change (`bot.rules.escalation_changes`), saves it with the messages that show it (outbox rows, one
commit: `storage.unit`) and answers. Nothing waits on Slack: the dispatcher sends the messages after the
answer, and a form a button opens is opened after it too (its trigger stays valid for 3 seconds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules import escalation_changes as rules
from bot.rules.directory import TeamProfile
from bot.rules.escalation_changes import Change, EscalationState
from handlers import people
from handlers.escalations import acting, announce, forms, ids, paging, tickets, views
from handlers.escalations.acting import escalation_of
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission, as_number
from handlers.preamble import FORM_ERROR_MAX, Refused, listener, open_view, tell
from storage import escalations
from storage.escalations import NewEscalation
from storage.models import Escalation

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- logging an escalation

@listener(ViewSubmission, field=ids.SUMMARY)
async def submit_escalation(ack: AsyncAck, submission: ViewSubmission, client: AsyncWebClient,
                            context: dict[str, Any]) -> None:
    form = forms.EscalationForm.from_view(submission.view)
    reporter, directory = submission.user.id, context["directory"]
    path = directory.route(form.path_id, reporter) if form.path_id else None
    if form.path_id and path is None:
        form.errors[ids.PATH] = "That escalation path is no longer available: please choose another."
    if form.owner and not form.errors and not await _known_person(client, context, form.owner):
        form.errors[ids.OWNER] = "Slack doesn't know that person: please choose the owner from the list."
    if form.errors or path is None:
        await ack(response_action="errors", errors=form.errors)
        return
    now, team = context["now"], directory.team(path.team_id)
    opening = EscalationState(id=0, priority=form.priority, status="open", owner=form.owner, opened_at=now,
                              priority_changed_at=now)
    async with context["services"].unit(now) as unit:
        session = unit.session
        escalation, events = await escalations.create(session, NewEscalation(
            team_id=path.team_id, path_id=path.id, submission_key=f"view:{submission.view.id}",
            reporter=reporter, owner=form.owner, customer=form.customer, summary=form.summary,
            details=form.details, tickets=[t.__dict__ for t in form.tickets], severity=form.severity,
            impact=form.impact, urgency=form.urgency, priority=form.priority,
        ), due=opening.due(team.policy), events=rules.opened(opening, reporter, form.summary), now=now)
        if events is not None:  # else a retried or double-clicked submission: the first one did the work
            await session.refresh(escalation, ["path"])
            unit.send(*announce.opened(escalation, team, events, now=now), *paging.opened(escalation, team))
            unit.send(*await tickets.opened(session, escalation, team, events))  # notes on the linked tickets
            await unit.commit()
    await ack()


async def _known_person(client: AsyncWebClient, context: dict[str, Any], user_id: str) -> bool:
    """The person is in a team, or the people cache knows them as a real person (an owner typed or forged
    rather than picked is refused once Slack has told the cache so). Slack is never asked before the answer:
    someone the cache does not know is taken (Slack's user picker offers only real people) and looked up
    after it, for the next pick."""
    if context["directory"].teams_of(user_id):
        return True
    services, now = context["services"], context["now"]
    found = await people.cached(services, [user_id], now)
    if found.stale:
        people.learn_later(services, found.stale, now)
    if user_id not in found.found:
        log.info("%s is not in the people cache yet: the pick is taken, and Slack asked after the answer", user_id)
        return True
    return found.found[user_id].real


# --------------------------------------------------------------------------- buttons

def _what(click: ButtonClick) -> str:
    return f"ButtonClick for {click.action.action_id!r}"


@listener(ButtonClick)
async def acknowledge(ack: AsyncAck, click: ButtonClick, context: dict[str, Any]) -> None:
    await _button(ack, click, context, rules.acknowledge)


@listener(ButtonClick)
async def wait_on_customer(ack: AsyncAck, click: ButtonClick, context: dict[str, Any]) -> None:
    """**Waiting on customer**: the update and resolution clocks pause (`rules.wait_on_customer`)."""
    await _button(ack, click, context, lambda state, by, now: rules.wait_on_customer(state, by, now))


@listener(ButtonClick)
async def resume(ack: AsyncAck, click: ButtonClick, context: dict[str, Any]) -> None:
    """**Resume**: the clocks run again, their due times moved by the pause (`rules.resume`)."""
    await _button(ack, click, context, lambda state, by, now: rules.resume(state, by, now))


async def _button(ack: AsyncAck, click: ButtonClick, context: dict[str, Any],
                  change: Callable[[EscalationState, str, datetime], Change]) -> None:
    """A card button that changes the escalation at once (no form): apply the rule, save and show it."""
    async with context["services"].unit(context["now"]) as unit:
        escalation, team = await escalation_of(unit.session, context, click.number(), click.user.id,
                                               what=_what(click))
        made = change(escalations.state_of(escalation), click.user.id, context["now"])
        await acting.apply(unit, escalation, team, made, context["now"])
    await ack()


@listener(ButtonClick)
async def assign(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond,
                 context: dict[str, Any]) -> None:
    async with context["services"].unit(context["now"]) as unit:
        escalation, team = await escalation_of(unit.session, context, click.number(), click.user.id,
                                               what=_what(click))
        owner = click.action.selected_user
        if not owner or not forms.OWNER.fullmatch(owner):
            pass  # the picker was cleared
        elif not await _known_person(client, context, owner):  # a forged pick: the picker offers only real people
            await tell(respond, context, "Slack doesn't know that person: please pick the owner from the list.")
        else:
            change = rules.assign(escalations.state_of(escalation), click.user.id, owner, context["now"])
            await acting.apply(unit, escalation, team, change, context["now"])
    await ack()


def _opener(build: Callable[[Escalation, TeamProfile], dict[str, Any]]) -> Any:
    """A button that opens a follow-up modal about the escalation."""

    @listener(ButtonClick)
    async def open_modal(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond,
                         context: dict[str, Any]) -> None:
        async with context["db"]() as session:
            escalation, team = await escalation_of(session, context, click.number(), click.user.id,
                                                   what=_what(click))
        if not click.trigger_id:
            raise Refused(UNREADABLE)
        context["services"].outbox.in_background(
            open_view(client, respond, context, click.trigger_id, build(escalation, team)))
        await ack()

    return open_modal


open_update_form = _opener(lambda escalation, _team: views.update_form(escalation))
open_priority_form = _opener(lambda escalation, team: views.priority_form(escalation, team.policy))
open_resolve_form = _opener(lambda escalation, _team: views.resolve_form(escalation))
open_reopen_form = _opener(lambda escalation, _team: views.reopen_form(escalation))


# --------------------------------------------------------------------------- follow-up modals

def _follow_up(read: Callable[[Any], Any], first_block: str,
               change: Callable[[EscalationState, str, Any, datetime], Change]) -> Any:
    """A follow-up modal's submission: read the form, check who submits it, make the change, show it.
    Bad input, or a person who may not act, comes back inline on the form."""

    @listener(ViewSubmission, field=first_block)
    async def submit(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
        form = read(submission.view)
        async with context["services"].unit(context["now"]) as unit:
            try:  # the form's own errors are shown with the refusal, which comes first on its block
                found = await escalation_of(unit.session, context, as_number(submission.view.private_metadata),
                                            submission.user.id,
                                            what=f"ViewSubmission for {submission.view.callback_id!r}")
            except Refused as refused:
                form.errors[first_block] = refused.text[:FORM_ERROR_MAX]
            if form.errors:
                await ack(response_action="errors", errors=form.errors)
                return
            escalation, team = found
            now = context["now"]
            made = change(escalations.state_of(escalation), submission.user.id, form, now)
            await acting.apply(unit, escalation, team, made, now)
        await ack()

    return submit


submit_update = _follow_up(forms.UpdateForm.from_view, ids.UPDATE_TEXT,
                           lambda state, by, form, now: rules.post_update(
                               state, by, form.text, now, customer_visible=form.customer_visible))
submit_priority = _follow_up(
    forms.PriorityForm.from_view, ids.NEW_PRIORITY,
    lambda state, by, form, now: rules.change_priority(state, by, form.priority, form.reason, now))
submit_resolution = _follow_up(
    forms.ResolveForm.from_view, ids.OUTCOME,
    lambda state, by, form, now: rules.resolve(state, by, outcome=form.outcome, root_cause=form.root_cause,
                                               customer_told=form.customer_told, now=now))
submit_draft = _follow_up(forms.DraftForm.from_view, ids.DRAFT_TEXT,
                          lambda state, by, form, now: rules.customer_updated(state, by, form.text, now))
submit_reopen = _follow_up(forms.ReopenForm.from_view, ids.REASON,
                           lambda state, by, form, now: rules.reopen(state, by, form.reason, now))
