"""`/pulse`, `/pulse results [2026-W45] [TEAM]`, `/pulse setup [TEAM]`, `/pulse help`: TEAM (a key or name)
for a manager of several teams."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import Directory, TeamProfile
from bot.rules.pulse import questions_from_json
from bot.rules.pulse_results import TeamRound
from bot.rules.roles import Can, refusal, teams_where
from handlers.blocks import MESSAGE_BLOCKS_MAX, Block, escape
from handlers.payloads import SlashCommand
from handlers.preamble import listener
from handlers.pulse import views
from handlers.pulse.results import rollup_results, round_results, team_round
from handlers.teams import team_for
from storage import pulse
from storage.db import SessionFactory
from storage.pulse_models import PulseRound

WEEK = re.compile(r"([0-9]{4})-?W([0-9]{2})", re.IGNORECASE)
RECENT = timedelta(days=3)
"""How long after its close `/pulse` still tells a member about a round (then about the next one)."""
NOT_A_MEMBER = ("You're not asked in any team's pulse: the pulse goes to the `members` of a team. "
                "Ask your support manager if you should be.")


def usage(word: str) -> str:
    return f"I don't know `/pulse {escape(word)}`.\n\n{views.HELP}"


@listener(SlashCommand)
async def pulse_command(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient,
                        context: dict[str, Any]) -> None:
    word, _, rest = " ".join(command.text.split()).partition(" ")
    person, directory, now, db = command.user_id, context["directory"], context["now"], context["db"]
    match word.lower():
        case "help" if not rest:
            await ack(text=views.HELP)
        case "results":
            await ack(**await results_answer(context, directory, person, rest, now))
        case "setup":
            await open_setup(ack, client, context, person, command.trigger_id, rest)
        case "":
            await status(ack, client, db, directory, person, command.trigger_id, now)
        case _:
            await ack(text=usage(command.text.strip()))


# --------------------------------------------------------------------------- a member: have I answered?

async def status(ack: AsyncAck, client: AsyncWebClient, db: SessionFactory, directory: Directory, person: str,
                 trigger_id: str, now: datetime) -> None:
    """Whether the person answered each of their teams' current rounds; the form of the first open one
    they have not answered."""
    mine = [team for team in directory.teams_of(person) if person in team.config.members]
    if not mine:
        await ack(text=NOT_A_MEMBER)
        return
    lines: list[str] = []
    form: dict[str, Any] | None = None
    async with db() as session:
        for team in mine:
            of = await pulse.latest(session, team.id)
            if of is None or of.closes_at + RECENT <= now:
                lines.append(views.next_pulse_text(team.name, team.config.pulse))
                continue
            answered = await pulse.has_answered(session, of.id, person)
            lines.append(views.status_text(team.name, of.week, of.closes_at, answered=answered, now=now))
            if form is None and not answered and of.opens_at <= now < of.closes_at:
                form = views.answer_form(of.id, team.name, of.week, questions_from_json(of.questions),
                                         of.min_responses)
    if form is not None:
        try:
            await client.views_open(trigger_id=trigger_id, view=form)
        except SlackApiError as error:
            lines.append(f"Slack would not open the form ({error.response.get('error')}): type `/pulse` again.")
    await ack(text="\n".join(lines))


# --------------------------------------------------------------------------- managers: results

def refused(directory: Directory, person: str, can: Can) -> str:
    """Why not, for each of the person's teams, and who can."""
    teams = directory.teams_of(person)
    return " ".join(refusal(can, team) for team in teams) if teams else refusal(can, None)


async def results_answer(context: dict[str, Any], directory: Directory, person: str, argument: str,
                         now: datetime) -> dict[str, Any]:
    """`/pulse results [WEEK] [TEAM]`: every team the person manages, or the one named."""
    db: SessionFactory = context["db"]
    managed = teams_where(Can.SEE_PULSE_RESULTS, directory.teams_of(person), person)
    if not managed:
        return {"text": refused(directory, person, Can.SEE_PULSE_RESULTS)}
    week: str | None = None
    first, _, named = argument.strip().partition(" ")
    found = WEEK.fullmatch(first)
    if found is not None:
        week = f"{found.group(1)}-W{found.group(2)}"
    else:
        named = argument
    if named.strip():
        team = await team_for(context, person, managed, argument=named)
        if not isinstance(team, TeamProfile):
            round_too = "" if week else (f"I don't know the round `{escape(named.strip()[:40])}`: name it by its "
                                         "week, e.g. `/pulse results 2026-W45`, or name a team. ")
            return {"text": round_too + str(team)}
        managed = [team]
    blocks: list[Block] = []
    lines: list[str] = []
    shown: list[tuple[str, TeamRound]] = []
    async with db() as session:
        for team in managed:
            of = await _closed_round(session, team, week, now, lines)
            if of is None:
                continue
            counted = await team_round(session, of, team)
            blocks += views.results_blocks(await round_results(session, of, counted))
            shown.append((of.week, counted))
    weeks = {shown_week for shown_week, _ in shown}
    if len(shown) > 1 and len(weeks) == 1:
        blocks += views.results_blocks(rollup_results(weeks.pop(), [counted for _, counted in shown]))
    return _answer(lines, blocks)


async def _closed_round(session: AsyncSession, team: TeamProfile, week: str | None, now: datetime,
                        lines: list[str]) -> PulseRound | None:
    """The team's round of `week` (else its latest) if it has closed; a line in `lines` saying why not."""
    of = await pulse.round_of_week(session, team.id, week) if week else await pulse.latest(session, team.id)
    if of is not None and of.closes_at > now:
        lines.append(views.still_open_text(team.name, of.week))
        of = None if week else await pulse.latest_closed(session, team.id, now)
        if of is None:
            return None
    if of is None:
        lines.append(views.no_round_text(team.name, week))
    return of


def _answer(lines: Sequence[str], blocks: list[Block]) -> dict[str, Any]:
    text = "\n".join(lines) or "Pulse results"
    if not blocks:
        return {"text": text}
    return {"text": text, "blocks": _fit([{"type": "section", "text": {"type": "mrkdwn", "text": t}}
                                          for t in lines] + blocks)}


def _fit(blocks: list[Block]) -> list[Block]:
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    return [*blocks[:MESSAGE_BLOCKS_MAX - 1],
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "More than one message holds: ask for "
                                              "one round at a time, e.g. `/pulse results 2026-W45`."}]}]


# --------------------------------------------------------------------------- managers: setup

def running(directory: Directory, person: str) -> list[TeamProfile]:
    """The teams whose pulse the person may change: the setup form's team picker."""
    return teams_where(Can.SET_UP_PULSE, directory.teams_of(person), person)


async def setup_view(context: dict[str, Any], team: TeamProfile, person: str) -> dict[str, Any] | str:
    managed = running(context["directory"], person)
    if team not in managed:
        return refusal(Can.SET_UP_PULSE, team)
    return views.setup_form([(t.key, t.name) for t in managed], team.config.pulse, team.key)


async def open_setup(ack: AsyncAck, client: AsyncWebClient, context: dict[str, Any], person: str,
                     trigger_id: str, named: str = "") -> None:
    directory: Directory = context["directory"]
    managed = running(directory, person)
    if not managed:
        await ack(text=refused(directory, person, Can.SET_UP_PULSE))
        return
    team = await team_for(context, person, managed, argument=named)
    if not isinstance(team, TeamProfile):
        await ack(text=str(team))
        return
    view = views.setup_form([(t.key, t.name) for t in managed], team.config.pulse, team.key)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await ack(text=f"Slack would not open the setup form ({error.response.get('error')}). "
                       "Please type `/pulse setup` again.")
        return
    await ack()
