"""The Answer button, the answer form's submission, and the setup form's.

Answering: the round comes from the button's value and the modal's metadata, so an answer counts in
the round it was asked for. The Answer button is answered first; the form opens just after (its trigger is
valid for 3 seconds), and a refusal is said through the click's `response_url` after the answer too.
Participation is recorded and committed first (a second answer is refused there), then the answers are cast
in a transaction of their own. Answering writes nothing to the outbox: no row there tells when anyone
answered. Nothing here logs an answer.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.pulse import questions_from_json
from bot.rules.roles import Can
from bot.rules.team_config import TeamsFile
from handlers.blocks import modal, section
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission, as_number
from handlers.preamble import Refused, listener, open_view, require
from handlers.pulse import forms, ids, views
from handlers.pulse.results import team_of
from storage import pulse, teams
from storage.pulse_models import PulseRound

log = logging.getLogger(__name__)
GONE = "That pulse round no longer exists."


def _answerable(of: PulseRound | None, team: TeamProfile | None, person: str, now: datetime) -> PulseRound:
    """The round, if the person may answer it now; else `Refused` saying why."""
    if of is None or team is None:
        raise Refused(GONE)
    require(Can.ANSWER_PULSE, team, person)
    if of.closes_at <= now:
        raise Refused(views.closed_text(of.week, of.closes_at))
    return of


@listener(ButtonClick)
async def open_answer_form(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient, respond: AsyncRespond,
                           context: dict[str, Any]) -> None:
    await ack()
    round_id = as_number(click.action.value)
    if round_id is None or not click.trigger_id:
        raise Refused(UNREADABLE)
    async with context["db"]() as session:
        found = await pulse.get(session, round_id)
        team = team_of(context["directory"], found) if found else None
        of = _answerable(found, team, click.user.id, context["now"])
        if await pulse.has_answered(session, of.id, click.user.id):
            raise Refused(views.already_text(of.week))
        if not await pulse.first_click(session, of.id, click.trigger_id, now=context["now"]):
            return  # the same click delivered again: its form is open already
        await session.commit()  # at once: the lock a second delivery of the click waits on
    assert team is not None
    view = views.answer_form(of.id, team.name, of.week, questions_from_json(of.questions), of.min_responses)
    context["services"].outbox.in_background(open_view(client, respond, context, click.trigger_id, view,
                                                             again="Please press Answer again."))


def _thanks() -> dict[str, Any]:
    return modal(ids.ANSWER_FORM + ".thanks", "Weekly pulse", [section(views.THANKS)], submit=None, close="Close")


@listener(ViewSubmission, field=ids.question(0))
async def submit_answers(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    round_id = as_number(submission.view.private_metadata)
    if round_id is None:
        raise Refused(UNREADABLE)
    first = ids.question(0)
    person, now = submission.user.id, context["now"]
    async with context["db"]() as session:
        found = await pulse.get(session, round_id)
        of = _answerable(found, team_of(context["directory"], found) if found else None, person, now)
        form = forms.AnswerForm.from_view(submission.view, questions_from_json(of.questions))
        if form.errors:
            await ack(response_action="errors", errors=form.errors)
            return
        round_id, week = of.id, of.week
        took_part = await pulse.take_part(session, round_id, person)
        await session.commit()  # on its own, before the answers: a second submission finds it
        if not took_part:
            raise Refused(views.already_text(week))
        try:
            await pulse.cast(session, round_id, form.answers, form.comment)
            await session.commit()
        except Exception:
            await session.rollback()
            await pulse.withdraw(session, round_id, person)
            await session.commit()
            log.warning("pulse answers for round %s could not be stored; the person may answer again", round_id)
            await ack(response_action="errors", errors={first: "Sorry, your answers could not be stored: "
                                                               "please send them again."})
            return
    await ack(response_action="update", view=_thanks())


def setup_team(submission: ViewSubmission, context: dict[str, Any]) -> TeamProfile | None:
    """The team the setup form is for (its picker, else the team it was opened for)."""
    key = forms.SetupForm.from_view(submission.view).team_key
    directory: Directory = context["directory"]
    return directory.find(key) if key else None


@listener(ViewSubmission, field=ids.SETUP_TIME, may=Can.SET_UP_PULSE, team=setup_team)
async def submit_setup(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile, context: dict[str, Any]) -> None:
    form = forms.SetupForm.from_view(submission.view)
    if form.errors or form.config is None:
        await ack(response_action="errors", errors=form.errors)
        return
    async with context["db"]() as session:
        await teams.apply(session, TeamsFile(teams=[team.config.model_copy(update={"pulse": form.config})]),
                          now=context["now"])
        await session.commit()
    context["services"].directory.invalidate()
    await ack()
