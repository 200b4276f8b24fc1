"""`/standup`: answer today's, skip, go away and come back, read a day's report, set the team's stand-up up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.roles import Can, may, refusal, teams_where
from bot.rules.standups import Member, local_day, open_day, parse_away, parse_day
from handlers.blocks import escape
from handlers.payloads import SlashCommand
from handlers.people import people, person
from handlers.preamble import Refused, listener, require
from handlers.services import Services
from handlers.standups import dms, views
from handlers.standups.report import day_summary, schedule_of
from handlers.teams import team_for
from storage import standups as stored

USAGE = "I didn't understand that. " + views.HELP
VERBS = frozenset({"", "skip", "away", "back", "report", "setup", "help"})
DATE_LIKE = re.compile(r"[0-9][0-9./-]*")
"""A word meant as a day (digits and separators; a team key has letters), checked as a date afterwards."""
NO_TEAM = ("You're not in a team with a stand-up yet: ask your support manager to add you to a team "
           "with a stand-up channel (`channels.standup` in the teams configuration).")


def standup_teams(directory: Directory, user: str) -> list[TeamProfile]:
    """The person's teams that run a stand-up (those with a report channel), those they answer in first."""
    teams = [team for team in directory.teams_of(user) if team.channels.get("standup")]
    return sorted(teams, key=lambda team: user not in team.config.members)


async def today_for(services: Services, team: TeamProfile, user: str, now: datetime) -> date:
    """The member's stand-up day now: an open window's day (it may have begun yesterday), else their today."""
    zone = (await person(services, user, now)).zone(team.timezone)
    return open_day(schedule_of(team), Member(user, zone), now) or local_day(now, zone)


@listener(SlashCommand)
async def standup(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient, context: dict[str, Any]) -> None:
    """`/standup [TEAM] | skip [TEAM] | away FIRST [LAST] | back | report [YYYY-MM-DD] [TEAM] | setup [TEAM] |
    help`: TEAM (a key or name) for someone in several teams, else their default."""
    services: Services = context["services"]
    words = command.text.split()
    verb, rest = (words[0].lower(), words[1:]) if words else ("", [])
    if verb == "help" and not rest:
        await ack(text=views.HELP)
        return
    teams = standup_teams(context["directory"], command.user_id)
    if not teams:
        await ack(text=NO_TEAM)
        return
    user, now = command.user_id, context["now"]
    if verb not in VERBS:  # `/standup tier2`, `/standup Tier 2 Support`: today's form for that team
        verb, rest, named = "", [], words
    else:
        dated = verb == "report" and bool(rest) and DATE_LIKE.fullmatch(rest[0]) is not None
        named = rest[1:] if dated else [] if verb in ("away", "back", "help") else rest
        rest = rest[:1] if dated else rest if verb in ("away", "back", "help") else []
    role = Can.SET_UP_STANDUP if verb == "setup" else Can.ANSWER_STANDUP if verb in ("", "skip") else None
    among = (teams_where(role, teams, user) or teams) if role else teams
    team = await team_for(context, user, among, argument=" ".join(named))
    if not isinstance(team, TeamProfile):
        await ack(text=str(team) + (" " + USAGE if verb == "" and words else ""))
        return
    if verb in ("", "skip", "away", "back") and not may(Can.ANSWER_STANDUP, team, user):
        raise Refused(refusal(Can.ANSWER_STANDUP, team) + " `/standup report` shows the team's day.")
    match verb:
        case "" if not rest:
            await open_form(ack, client, services, team, user, await today_for(services, team, user, now),
                            command.trigger_id, among)
        case "skip" if not rest:
            await ack(text=await skip_day(services, team, user, await today_for(services, team, user, now), now))
        case "away":
            await ack(text=await go_away(services, user, rest, local_day(now, (await person(services, user, now))
                                                                           .zone(team.timezone)), now))
        case "back" if not rest:
            today = await today_for(services, team, user, now)
            async with services.db() as session:
                ended = await stored.come_back(session, user, today)
                await session.commit()
            await ack(text="Welcome back! You'll get your stand-up prompts again." if ended
                      else "You weren't away: your stand-up prompts are on.")
        case "report" if len(rest) <= 1:
            on = parse_day(rest[0]) if rest else await today_for(services, team, user, now)
            if on is None:
                await ack(text=f"`{escape(rest[0][:40])}` is not a date like 2026-11-24. " + USAGE)
                return
            await ack(**await report(services, team, on, now))
        case "setup" if not rest:
            await open_setup(ack, client, team, user, command.trigger_id, among)
        case _:
            await ack(text=USAGE)


def answering(directory: Directory, user: str) -> list[TeamProfile]:
    """The teams whose stand-up the person answers: the answer form's team picker."""
    return teams_where(Can.ANSWER_STANDUP, standup_teams(directory, user), user)


def running(directory: Directory, user: str) -> list[TeamProfile]:
    """The teams whose stand-up the person may change: the setup form's team picker."""
    return teams_where(Can.SET_UP_STANDUP, standup_teams(directory, user), user)


async def answer_form(context: dict[str, Any], team: TeamProfile, user: str) -> dict[str, Any] | str:
    """Today's form for `team` (the answer form's picker chose it)."""
    if not may(Can.ANSWER_STANDUP, team, user):
        return refusal(Can.ANSWER_STANDUP, team)
    services: Services = context["services"]
    day = await today_for(services, team, user, context["now"])
    return await form_view(services, team, user, day, answering(context["directory"], user))


async def setup_view(context: dict[str, Any], team: TeamProfile, user: str) -> dict[str, Any] | str:
    if not may(Can.SET_UP_STANDUP, team, user):
        return refusal(Can.SET_UP_STANDUP, team)
    return views.setup_form(team.key, team.name, team.config.standup, list(schedule_of(team).questions),
                            teams=running(context["directory"], user))


async def form_view(services: Services, team: TeamProfile, user: str, day: date,
                    teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """The day's form, with yesterday's plan as context and the day's answer to edit if there is one; a team
    picker first when `teams` (those the person answers in) are several."""
    schedule = schedule_of(team)
    async with services.db() as session:
        mine = await stored.entry(session, team.id, user, day)
        plan = await stored.previous_plan(session, team.id, user, day, question=1)
    answers = [str(a) for a in mine.answers] if mine is not None and mine.status == "answered" else []
    return views.form(schedule, team.key, team.name, day, previous_plan=plan, answers=answers,
                      mood=mine.mood if mine is not None else None, teams=teams)


async def open_form(ack: AsyncAck, client: AsyncWebClient, services: Services, team: TeamProfile, user: str,
                    day: date, trigger_id: str, teams: Sequence[TeamProfile] = ()) -> None:
    """The day's form (`form_view`), opened in a modal."""
    view = await form_view(services, team, user, day, [t for t in teams if may(Can.ANSWER_STANDUP, t, user)])
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await ack(text=f"Slack would not open the stand-up form ({error.response.get('error')}). Please try again.")
        return
    await ack()


async def skip_day(services: Services, team: TeamProfile, user: str, day: date, now: datetime) -> str:
    async with services.unit(now) as unit:
        before = await stored.entry(unit.session, team.id, user, day)
        was = before.status if before is not None else None
        row = await stored.skip(unit.session, team.id, user, day, now=now)
        if row.status == "answered":
            return f"You already answered your stand-up for {views.day_label(day)}: there is nothing to skip."
        if was != "skipped":  # skipped twice: the prompt says so already
            await dms.show(unit, team, user, day, "skipped")
        await unit.commit()
    return f"Skipped your stand-up for {views.day_label(day)}: no prompt or reminder today."


async def go_away(services: Services, user: str, words: list[str], today: date, now: datetime) -> str:
    found = parse_away(words, today)
    if isinstance(found, str):
        return f"I couldn't set your days away: {escape(found)}."
    first, last = found
    async with services.db() as session:
        await stored.go_away(session, user, first, last, now=now)
        await session.commit()
    span = views.day_label(first) if first == last else f"{views.day_label(first)} to {views.day_label(last)}"
    return f"Away {span} ({first:%Y}): no stand-up prompts those days. `/standup back` ends it early."


async def report(services: Services, team: TeamProfile, on: date, now: datetime) -> dict[str, Any]:
    summary, rows = await day_summary(services, team, on, now)
    if not rows:
        return {"text": f"No stand-up for {team.name} on {views.day_label(on)} ({on.isoformat()})."}
    shown = [r.user_id for r in rows] + [why.user_id for why in summary.not_asked] + summary.away
    names = {u: p.name for u, p in (await people(services, shown, now)).items()}
    text, blocks = views.parent(team.key, team.name, on, summary, names, closed=True)
    return {"text": text, "blocks": blocks}


async def open_setup(ack: AsyncAck, client: AsyncWebClient, team: TeamProfile, user: str, trigger_id: str,
                     teams: Sequence[TeamProfile] = ()) -> None:
    require(Can.SET_UP_STANDUP, team, user)
    config = team.config.standup
    view = views.setup_form(team.key, team.name, config, list(schedule_of(team).questions),
                            teams=[t for t in teams if may(Can.SET_UP_STANDUP, t, user)])
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await ack(text=f"Slack would not open the setup form ({error.response.get('error')}). Please try again.")
        return
    await ack()

