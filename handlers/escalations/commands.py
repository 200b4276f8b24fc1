"""`/escalate …`: open the form, or answer privately with lists, one escalation, or stats."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.roles import Can, may
from handlers.blocks import escape
from handlers.escalations import views
from handlers.payloads import SlashCommand
from handlers.preamble import listener
from storage import escalations
from storage.db import SessionFactory

REF = re.compile(r"ESC-([0-9]{1,9})", re.IGNORECASE)
PERIODS = {"7d": 7, "30d": 30, "90d": 90}
NOT_IN_A_TEAM = ("You're not in a support team yet, so I don't know where to route escalations. "
                 "Ask your support manager to add you to a team (the `members` list of the teams "
                 "configuration, applied with `supportbot config apply`).")


@listener(SlashCommand)
async def escalate(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient, respond: AsyncRespond,
                   context: dict[str, Any]) -> None:
    """`/escalate [summary] | list | mine | ESC-42 | stats [7d|30d|90d] | help`."""
    text = " ".join(command.text.split())
    word, _, rest = text.partition(" ")
    user, db, now, mine = command.user_id, context["db"], context["now"], context["directory"].teams_of(command.user_id)
    reference = REF.fullmatch(text)
    match word.lower():
        case "help" if not rest:
            await ack(text=views.HELP)
        case "list" if not rest:
            await ack(**await team_list(db, mine, now))
        case "mine" if not rest:
            await ack(**await my_list(db, user, now))
        case "stats":
            await ack(**await stats(db, mine, rest.lower() or "7d", now))
        case _ if reference:
            await ack(**await one(db, context["directory"], user, now, int(reference.group(1))))
        case _:
            await open_form(ack, client, respond, context, mine, command.trigger_id, summary=text)


async def open_form(ack: AsyncAck, client: AsyncWebClient, respond: AsyncRespond, context: dict[str, Any],
                    mine: Sequence[TeamProfile], trigger_id: str, *, summary: str) -> None:
    """The escalation form, with the paths of every team the reporter is in: no database round trip. It is
    opened just after the answer, so a slow Slack never holds the answer (the trigger is valid for 3 s)."""
    routes = [(team.name, [(p.id, p.name) for p in team.active_paths]) for team in mine]
    routes = [(name, paths) for name, paths in routes if paths]
    if not mine:
        await ack(text=NOT_IN_A_TEAM)
        return
    if not routes:
        await ack(text="Your team has no escalation paths yet: ask your support manager to add "
                       "some (`escalation_paths` in the teams configuration).")
        return
    context["services"].outbox.in_background(
        _open(client, respond, trigger_id, views.escalation_form(routes, summary=summary[:150])))
    await ack()


async def _open(client: AsyncWebClient, respond: AsyncRespond, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await respond(text=f"Slack would not open the escalation form ({error.response.get('error')}). "
                           "Please type `/escalate` again.", response_type="ephemeral")


async def team_list(db: SessionFactory, mine: Sequence[TeamProfile], now: datetime) -> dict[str, Any]:
    if not mine:
        return {"text": NOT_IN_A_TEAM}
    async with db() as session:
        found = await escalations.open_for_teams(session, [t.id for t in mine], limit=views.LIST_MAX)
    title = "Open escalations · " + ", ".join(t.name for t in mine)
    return {"text": f"{found.total} open escalations", "blocks": views.escalation_list(title, found, now)}


async def my_list(db: SessionFactory, user: str, now: datetime) -> dict[str, Any]:
    async with db() as session:
        found = await escalations.mine(session, user, limit=views.LIST_MAX)
    return {"text": f"{found.total} open escalations you reported or own",
            "blocks": views.escalation_list("Your open escalations", found, now)}


async def one(db: SessionFactory, directory: Directory, user: str, now: datetime, number: int) -> dict[str, Any]:
    async with db() as session:
        escalation = await escalations.get(session, number)
        if escalation is None or not may(Can.WORK_ESCALATIONS, directory.team(escalation.team_id), user):
            return {"text": f"I can't find ESC-{number} in your teams."}
        events = await escalations.timeline(session, escalation.id)
    policy = directory.team(escalation.team_id).policy
    return {"text": views.card_text(escalation), "blocks": views.escalation_detail(escalation, events, policy, now)}


async def stats(db: SessionFactory, mine: Sequence[TeamProfile], period: str, now: datetime) -> dict[str, Any]:
    days = PERIODS.get(period)
    if days is None:
        return {"text": f"I don't know the period `{escape(period)}`. Try `/escalate stats 7d`, `30d` or `90d`."}
    if not mine:
        return {"text": NOT_IN_A_TEAM}
    async with db() as session:
        figures = await escalations.stats(session, [t.id for t in mine], now - timedelta(days=days), now)
    title = f"Escalations · last {days} days"
    return {"text": f"{title}: {figures.opened} opened", "blocks": views.stats_blocks(figures, title)}
