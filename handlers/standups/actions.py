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
from bot.rules.roles import Can, may, refusal
from bot.rules.standups import parse_day
from bot.rules.team_config import TeamsFile
from handlers.escalations.views import escalation_form
from handlers.payloads import UNREADABLE, ButtonClick, ViewSubmission, parse
from handlers.people import person
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


async def _tell(respond: AsyncRespond, context: dict[str, Any], text: str) -> None:
    if context.get("response_url"):
        await respond(text=text, response_type="ephemeral", replace_original=False)


async def start(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any],
                respond: AsyncRespond) -> None:
    """Start (or Edit) on the DM: the form for the day the prompt was for, however late it is."""
    click = parse(ButtonClick, body)
    found = _team_day(click.action.value if click else None, context["directory"])
    if click is None or found is None or click.trigger_id is None:
        await ack()
        await _tell(respond, context, UNREADABLE)
        return
    team, day = found
    if not may(Can.ANSWER_STANDUP, team, click.user.id):
        await ack()
        await _tell(respond, context, refusal(Can.ANSWER_STANDUP, team))
        return
    await open_form(ack, client, context["services"], team, click.user.id, day, click.trigger_id)


async def skip(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any], respond: AsyncRespond) -> None:
    await ack()
    click = parse(ButtonClick, body)
    found = _team_day(click.action.value if click else None, context["directory"])
    if click is None or found is None:
        await _tell(respond, context, UNREADABLE)
        return
    team, day = found
    if not may(Can.ANSWER_STANDUP, team, click.user.id):
        await _tell(respond, context, refusal(Can.ANSWER_STANDUP, team))
        return
    await skip_day(context["services"], team, click.user.id, day, context["now"])


async def submit(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    """The answers: stored for the day the form was opened for, posted in the day's thread (an edit updates
    the same reply), and the DM says where they went."""
    submission = parse(ViewSubmission, body)
    meta = _metadata(submission.view.private_metadata if submission else "")
    team = context["directory"].find(meta.get("team", "")) if meta else None
    day = parse_day(meta.get("day", "")) if meta else None
    if submission is None or team is None or day is None or not may(Can.ANSWER_STANDUP, team, submission.user.id):
        await ack(response_action="errors", errors={ids.QUESTION.format(0): refusal(Can.ANSWER_STANDUP, team)[:150]
                                                    if team else NOT_YOURS})
        return
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


async def escalate_blocker(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any],
                           respond: AsyncRespond) -> None:
    """Escalate on a blocker: the `/escalate` form, prefilled with the blocker and who raised it."""
    await ack()
    click = parse(ButtonClick, body)
    value = click.action.value if click else None
    found = _team_day(value, context["directory"])
    author = (value or "").rpartition("|")[2]
    if click is None or found is None or click.trigger_id is None or not author:
        await _tell(respond, context, UNREADABLE)
        return
    team, day = found
    if not may(Can.WORK_ESCALATIONS, team, click.user.id):
        await _tell(respond, context, refusal(Can.WORK_ESCALATIONS, team))
        return
    routes = [(team.name, [(p.id, p.name) for p in team.active_paths])]
    routes = [(name, paths) for name, paths in routes if paths]
    if not routes:
        await _tell(respond, context, "You need to be in a team with escalation paths to escalate a blocker.")
        return
    services: Services = context["services"]
    async with services.db() as session:
        row = await stored.entry(session, team.id, author, day)
    blocker_at = schedule_of(team).blocker_question
    if row is None or blocker_at is None or len(row.answers) <= blocker_at:
        await _tell(respond, context, "That blocker is no longer in the stand-up.")
        return
    text, name = str(row.answers[blocker_at]), (await person(services, author, context["now"])).name
    details = f"Raised as a stand-up blocker by {name} ({team.name}, {views.day_label(day)}):\n{text}"
    with suppress(SlackApiError):
        await client.views_open(trigger_id=click.trigger_id, view=escalation_form(
            routes, summary=" ".join(text.split())[:150], details=details[:3000]))


async def submit_setup(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A manager's changes to the team's stand-up, validated as the YAML is, then live on every replica."""
    submission = parse(ViewSubmission, body)
    team = context["directory"].find(submission.view.private_metadata) if submission else None
    if submission is None or team is None or not may(Can.SET_UP_STANDUP, team, submission.user.id):
        await ack(response_action="errors", errors={ids.SETUP_TIME: refusal(Can.SET_UP_STANDUP, team)[:150]})
        return
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



