"""Stand-up buttons and forms: Start / Edit / Skip on the DM, the answer form, Escalate on a blocker,
and the managers' setup form."""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.roles import Can
from bot.rules.standups import parse_day
from bot.rules.team_config import TeamsFile
from handlers.escalations.views import escalation_form
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission
from handlers.people import person
from handlers.preamble import Refused, form_team, listener, tell
from handlers.services import Services
from handlers.standups import dms, forms, ids, views
from handlers.standups.commands import open_form, skip_day
from handlers.standups.report import members_of, schedule_of, stage_day
from storage import standups as stored
from storage import teams

log = logging.getLogger(__name__)
NOT_YOURS = "That stand-up isn't one of yours."


def _team_day(raw: str | None, directory: Directory) -> tuple[TeamProfile, date] | None:
    """`team|YYYY-MM-DD` (a button) → the team and the day it is for."""
    key, _, day = (raw or "").partition("|")
    team, on = directory.find(key), parse_day(day.partition("|")[0])
    return (team, on) if team is not None and on is not None else None


def _team_day_of(click: ButtonClick, context: dict[str, Any]) -> tuple[TeamProfile, date]:
    found = _team_day(click.action.value, context["directory"])
    if found is None:
        raise Refused(UNREADABLE)
    return found


def button_team(click: ButtonClick, context: dict[str, Any]) -> TeamProfile:
    """The team a stand-up button is for (its value: `team|YYYY-MM-DD[|author]`); UNREADABLE when none."""
    return _team_day_of(click, context)[0]


@listener(ButtonClick, may=Can.ANSWER_STANDUP, team=button_team)
async def start(ack: AsyncAck, click: ButtonClick, team: TeamProfile, client: AsyncWebClient,
                context: dict[str, Any]) -> None:
    """Start (or Edit) on the DM: the form for the day the prompt was for, however late it is."""
    _, day = _team_day_of(click, context)
    if click.trigger_id is None:
        raise Refused(UNREADABLE)
    await open_form(ack, client, context["services"], team, click.user.id, day, click.trigger_id)


@listener(ButtonClick, may=Can.ANSWER_STANDUP, team=button_team)
async def skip(ack: AsyncAck, click: ButtonClick, team: TeamProfile, context: dict[str, Any]) -> None:
    await ack()
    _, day = _team_day_of(click, context)
    await skip_day(context["services"], team, click.user.id, day, context["now"])


def _answered_day(submission: ViewSubmission, context: dict[str, Any]) -> tuple[TeamProfile, date]:
    """The team and day the answer form was opened for (its metadata); NOT_YOURS when it names none."""
    meta = _metadata(submission.view.private_metadata)
    team = context["directory"].find(meta.get("team", "")) if meta else None
    day = parse_day(meta.get("day", "")) if meta else None
    if team is None or day is None:
        raise Refused(NOT_YOURS)
    return team, day


def answer_team(submission: ViewSubmission, context: dict[str, Any]) -> TeamProfile:
    return _answered_day(submission, context)[0]


@listener(ViewSubmission, field=ids.QUESTION.format(0), may=Can.ANSWER_STANDUP, team=answer_team)
async def submit(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile, context: dict[str, Any]) -> None:
    """The answers: stored for the day the form was opened for, posted in the day's thread (an edit updates
    the same reply), and the DM says where they went."""
    _, day = _answered_day(submission, context)
    answer = forms.read_answer(submission.view.values(), schedule_of(team))
    if answer.errors:
        await ack(response_action="errors", errors=answer.errors)
        return
    await ack()
    services: Services = context["services"]
    user, now = submission.user.id, context["now"]
    members = await members_of(services, team, now, since=day)  # Slack asked before the transaction opens
    async with services.unit(now) as unit:
        current = await stored.entry(unit.session, team.id, user, day)
        if current is not None and current.status == "answered" and list(current.answers) == list(answer.answers) \
                and current.mood == answer.mood:
            return  # the same answers again (the form sent twice, or an edit that changed nothing)
        await stored.answer(unit.session, team.id, user, day, answer.answers, answer.mood, now=now)
        await stage_day(unit, team, day, members, now, only=user)
        await dms.show(unit, team, user, day, "answered")
        await unit.commit()


def _metadata(raw: str) -> dict[str, str] | None:
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: metadata nested past the JSON parser's depth
        return None
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else None


@listener(ButtonClick, may=Can.WORK_ESCALATIONS, team=button_team)
async def escalate_blocker(ack: AsyncAck, click: ButtonClick, team: TeamProfile, client: AsyncWebClient,
                           context: dict[str, Any], respond: AsyncRespond) -> None:
    """Escalate on a blocker: the `/escalate` form, prefilled with the blocker and who raised it."""
    await ack()
    _, day = _team_day_of(click, context)
    author = (click.action.value or "").rpartition("|")[2]
    if click.trigger_id is None or not author:
        raise Refused(UNREADABLE)
    routes = [(team.name, [(p.id, p.name) for p in team.active_paths])]
    routes = [(name, paths) for name, paths in routes if paths]
    if not routes:
        await tell(respond, context, "You need to be in a team with escalation paths to escalate a blocker.")
        return
    services: Services = context["services"]
    async with services.db() as session:
        row = await stored.entry(session, team.id, author, day)
    blocker_at = schedule_of(team).blocker_question
    if row is None or blocker_at is None or len(row.answers) <= blocker_at:
        await tell(respond, context, "That blocker is no longer in the stand-up.")
        return
    text, name = str(row.answers[blocker_at]), (await person(services, author, context["now"])).name
    details = f"Raised as a stand-up blocker by {name} ({team.name}, {views.day_label(day)}):\n{text}"
    with suppress(SlackApiError):
        await client.views_open(trigger_id=click.trigger_id, view=escalation_form(
            routes, summary=" ".join(text.split())[:150], details=details[:3000]))


@listener(ViewSubmission, field=ids.SETUP_TIME, may=Can.SET_UP_STANDUP, team=form_team)
async def submit_setup(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile, context: dict[str, Any]) -> None:
    """A manager's changes to the team's stand-up, validated as the YAML is, then live on every replica."""
    read = forms.read_setup(submission.view.values(), team.config.standup)
    if isinstance(read, dict):
        await ack(response_action="errors", errors=read)
        return
    updated = team.config.model_copy(update={"standup": read})
    try:
        checked = TeamsFile.model_validate({"teams": [updated.model_dump(mode="json")]})
    except ValidationError as error:
        await ack(response_action="errors", errors={ids.SETUP_TIME: str(error.errors()[0]["msg"])[:150]})
        return
    await ack()
    services: Services = context["services"]
    async with services.db() as session:
        await teams.apply(session, checked, now=context["now"])
        await session.commit()
    services.directory.invalidate()



