"""`/prioritize`: propose, score, rank, share and close the team's improvement initiatives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules import keys
from bot.rules.directory import Directory, TeamProfile
from bot.rules.kpi_days import local_date
from bot.rules.messages import post
from bot.rules.roles import Can, may, may_track_initiative, refusal, teams_where
from bot.rules.scorecard import SCORES, Scored, ranked, summarise, weights_of
from bot.rules.team_config import CRITERIA
from handlers.blocks import escape
from handlers.payloads import SlashCommand, ViewSubmission, as_number
from handlers.preamble import Refused, form_team, listener, require
from handlers.prioritize import ids, views
from handlers.prioritize.tracking import listing, read_form
from handlers.services import Services
from handlers.teams import team_for
from storage import scorecard
from storage.db import SessionFactory

USAGE = "I didn't understand that. " + views.HELP
VERBS = frozenset({"", "score", "edit", "list", "share", "done", "drop", "help"})


@listener(SlashCommand)
async def prioritize(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient, context: dict[str, Any]) -> None:
    words = command.text.split()
    verb, rest = (words[0].lower(), words[1:]) if words else ("", [])
    if verb == "help" and not rest:
        await ack(text=views.HELP)
        return
    directory, user, db, now = context["directory"], command.user_id, context["db"], context["now"]
    teams = directory.teams_of(user)
    if not teams:
        raise Refused(refusal(Can.PRIORITIZE, None))
    number = as_number(rest[0].lstrip("#")) if rest else None
    if verb in ("score", "edit", "done", "drop") and number:  # the initiative's own team, when it is one of theirs
        team: TeamProfile | str | None = await _team_of(db, directory, user, number) or \
            await team_for(context, user, teams)
    else:
        bare = verb not in VERBS  # `/prioritize tier2`: the proposal form for that team
        verb, rest, named = ("", [], words) if bare else (verb, [], rest) if verb in ("", "list", "share") \
            else (verb, rest, [])
        among = teams_where(Can.PRIORITIZE, teams, user) or teams
        team = await team_for(context, user, among, argument=" ".join(named))
    if not isinstance(team, TeamProfile):
        await ack(text=str(team) + (" " + USAGE if verb == "" and words else ""))
        return
    weights = weights_of(team.config.scorecard)
    match verb:
        case "" if not rest:
            await _open(ack, client, command.trigger_id, views.propose_form(
                team.key, weights, teams_where(Can.PRIORITIZE, teams, user)))
        case "score" if len(rest) == 1 and number:
            await ack(**await _score_form(client, db, team, user, number, command.trigger_id))
        case "edit" if len(rest) == 1 and number:
            await ack(**await _track_form(client, db, team, user, number, command.trigger_id))
        case "list" if not rest:
            listed, tracking = await listing(db, team, now, views.LIST_SHOWN)
            text, blocks = views.ranked_list(team.name, listed, weights, tracking)
            await ack(text=text, blocks=blocks)
        case "share" if not rest:
            await ack(text=await share(context["services"], team, user, command.channel_id, now,
                                       request=command.trigger_id))
        case "done" | "drop" if len(rest) >= 2 and number:
            await ack(text=await close(db, team, user, number, "done" if verb == "done" else "dropped",
                                       " ".join(rest[1:]), now))
        case _:
            await ack(text=USAGE)


async def _team_of(db: SessionFactory, directory: Directory, user: str, number: int) -> TeamProfile | None:
    """The team of initiative `number`, if the person belongs to it."""
    async with db() as session:
        initiative = await scorecard.get(session, number)
    mine = {team.id: team for team in directory.teams_of(user)}
    return mine.get(initiative.team_id) if initiative is not None else None


def proposing(directory: Directory, user: str) -> list[TeamProfile]:
    """The teams the person may propose initiatives to: the proposal form's team picker."""
    return teams_where(Can.PRIORITIZE, directory.teams_of(user), user)


async def propose_view(context: dict[str, Any], team: TeamProfile, user: str) -> dict[str, Any] | str:
    if not may(Can.PRIORITIZE, team, user):
        return refusal(Can.PRIORITIZE, team)
    return views.propose_form(team.key, weights_of(team.config.scorecard), proposing(context["directory"], user))


async def _open(ack: AsyncAck, client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await ack(text=f"Slack would not open the form ({error.response.get('error')}). Please try again.")
        return
    await ack()


async def ranked_of(db: SessionFactory, team: TeamProfile) -> list[Scored]:
    async with db() as session:
        found = await scorecard.open_for_team(session, team.id)
    people = [*team.config.members, *team.config.managers]
    return ranked([summarise(i.id, i.title, i.created_at, scores, weights_of(team.config.scorecard), people)
                   for i, scores in found])


async def _score_form(client: AsyncWebClient, db: SessionFactory, team: TeamProfile, user: str, number: int,
                      trigger_id: str) -> dict[str, Any]:
    require(Can.PRIORITIZE, team, user)
    async with db() as session:
        found = [(i, s) for i, s in await scorecard.open_for_team(session, team.id) if i.id == number]
    if not found:
        return {"text": f"{team.name} has no open initiative #{number}: `/prioritize list` shows them."}
    initiative, scores = found[0]
    try:
        await client.views_open(trigger_id=trigger_id, view=views.score_form(
            initiative.id, initiative.title, scores.get(user), weights_of(team.config.scorecard)))
    except SlackApiError as error:
        return {"text": f"Slack would not open the form ({error.response.get('error')}). Please try again."}
    return {}


async def _track_form(client: AsyncWebClient, db: SessionFactory, team: TeamProfile, user: str, number: int,
                      trigger_id: str) -> dict[str, Any]:
    async with db() as session:
        initiative = await scorecard.get(session, number)
    if initiative is None or initiative.team_id != team.id or initiative.status != "open":
        return {"text": f"{team.name} has no open initiative #{number}: `/prioritize list` shows them."}
    if not may_track_initiative(team, user, initiative.proposer):
        raise Refused(refusal(Can.TRACK_INITIATIVES, team))
    try:
        await client.views_open(trigger_id=trigger_id, view=views.track_form(
            initiative.id, initiative.title, initiative.owner, initiative.target_date, initiative.kpi))
    except SlackApiError as error:
        return {"text": f"Slack would not open the form ({error.response.get('error')}). Please try again."}
    return {}


SHARING = ("Sharing the ranked list here. If it does not appear, supportbot is not in this channel: "
           "`/invite @supportbot`, then share again.")


async def share(services: Services, team: TeamProfile, user: str, channel: str | None, now: datetime, *,
                request: str) -> str:
    """The ranked list, posted in `channel` by the outbox after the answer (once per command: `request`)."""
    require(Can.PRIORITIZE, team, user)
    if not channel:
        return "I don't know which channel you typed this in: try again from the channel."
    listed, tracking = await listing(services.db, team, now, views.LIST_SHOWN)
    text, blocks = views.ranked_list(team.name, listed, weights_of(team.config.scorecard), tracking)
    key = keys.request_message("prioritize", team.key, now.date(), "share", channel, request.replace(":", "-"))
    async with services.unit(now) as unit:
        unit.send(post(key, channel, text, blocks=blocks, group=f"prioritize:{team.key}:{channel}"))
        await unit.commit()
    return SHARING


async def close(db: SessionFactory, team: TeamProfile, user: str, number: int, status: str, outcome: str,
                now: datetime) -> str:
    require(Can.DECIDE_INITIATIVES, team, user)
    async with db() as session:
        initiative = await scorecard.get(session, number)
        if initiative is None or initiative.team_id != team.id or initiative.status != "open":
            return f"{team.name} has no open initiative #{number}."
        await scorecard.close(session, initiative, status=status, outcome=outcome[:2000], now=now)
        await session.commit()
    return f"#{number} {escape(initiative.title)} is {status}: {escape(outcome[:200])}"


def _scores(values: dict[str, str | list[str] | None]) -> tuple[dict[str, int], dict[str, str]]:
    chosen, errors = {}, {}
    for criterion in CRITERIA:
        value = values.get(criterion)
        if isinstance(value, str) and value.isdigit() and int(value) in SCORES:
            chosen[criterion] = int(value)
        else:
            errors[criterion] = "Choose a score from 1 to 5."
    return chosen, errors


@listener(ViewSubmission, field=ids.TITLE, may=Can.PRIORITIZE, team=form_team)
async def submit_proposal(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile,
                          context: dict[str, Any]) -> None:
    values = submission.view.values()
    scores, errors = _scores(values)
    (owner, target, kpi), wrong = read_form(values, local_date(context["now"], team.timezone))
    errors.update(wrong)
    title = values.get(ids.TITLE)
    if not isinstance(title, str) or not title.strip():
        errors[ids.TITLE] = "Name the initiative in a few words."
    link = values.get(ids.LINK)
    if isinstance(link, str) and link and not link.startswith(("https://", "http://")):
        errors[ids.LINK] = "A link starts with https://"
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    description = values.get(ids.DESCRIPTION)
    async with context["db"]() as session:
        initiative = await scorecard.propose(
            session, team.id, title=str(title).strip()[:150], description=str(description or "")[:2000],
            link=str(link) if link else None, proposer=submission.user.id, now=context["now"], owner=owner,
            target_date=target, kpi=kpi)
        await scorecard.score(session, initiative.id, submission.user.id, scores, now=context["now"])
        await session.commit()


async def open_initiative_team(submission: ViewSubmission, context: dict[str, Any]) -> TeamProfile | None:
    """The team of the open initiative a form is about (its number in the view's metadata); None when there is
    none, or it is closed."""
    number = as_number(submission.view.private_metadata)
    async with context["db"]() as session:
        initiative = await scorecard.get(session, number) if number else None
    team: TeamProfile | None = context["directory"].team(initiative.team_id) if initiative else None
    if initiative is not None and initiative.status != "open":
        raise Refused(refusal(Can.PRIORITIZE, team))
    return team


@listener(ViewSubmission, field="csat", may=Can.PRIORITIZE, team=open_initiative_team)
async def submit_score(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    number = as_number(submission.view.private_metadata)
    assert number is not None  # the team was found by it
    scores, errors = _scores(submission.view.values())
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    async with context["db"]() as session:
        await scorecard.score(session, number, submission.user.id, scores, now=context["now"])
        await session.commit()


@listener(ViewSubmission, field=ids.OWNER)
async def submit_tracking(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    """The owner, target date and KPI of an open initiative, from its proposer or a manager of its team."""
    number = as_number(submission.view.private_metadata)
    async with context["db"]() as session:
        initiative = await scorecard.get(session, number) if number else None
        team = context["directory"].team(initiative.team_id) if initiative else None
        if initiative is None or team is None or initiative.status != "open" or \
                not may_track_initiative(team, submission.user.id, initiative.proposer):
            raise Refused(refusal(Can.TRACK_INITIATIVES, team))
        (owner, target, kpi), errors = read_form(submission.view.values(), local_date(context["now"], team.timezone),
                                                 kept=initiative.target_date)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await scorecard.track(session, initiative, owner=owner, target_date=target, kpi=kpi)
        await session.commit()
