"""`/supportbot setup [new | KEY]`: create a team (workspace admins) or edit one (its managers, or admins) in a
modal, with the teams YAML's validation; every chosen channel is checked before anything is saved."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.roles import Can, may, refusal, teams_where
from bot.rules.team_config import TeamConfig, TeamsFile
from handlers.blocks import escape
from handlers.payloads import ViewSubmission, parse
from handlers.services import Services
from handlers.supportbot import ids, onboarding
from handlers.supportbot.setup_form import not_postable, read_team_form, team_form
from storage import teams

log = logging.getLogger(__name__)
ADMINS_ONLY = (refusal(Can.CREATE_TEAM, None) + " Ask one of them to run `/supportbot setup new`; a team's "
               "managers can then edit it with `/supportbot setup`.")


async def is_workspace_admin(client: AsyncWebClient, user: str) -> bool:
    try:
        found = (await client.users_info(user=user)).get("user") or {}
    except SlackApiError:
        return False
    return bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner"))


def editable(directory: Directory, user: str, key: str, admin: bool) -> TeamProfile | str:
    """The team `user` may edit, or why not."""
    team = directory.find(key)
    if team is None:
        return f"There is no team `{escape(key)}`. Teams: {', '.join(t.key for t in directory.teams) or 'none yet'}."
    return team if may(Can.EDIT_TEAM, team, user, admin=admin) else refusal(Can.EDIT_TEAM, team)


async def form_for(client: AsyncWebClient, directory: Directory, user: str, argument: str) -> dict[str, Any] | str:
    """The setup form `user` asked for (`new`, a team key, or their own team), or why they may not have it."""
    admin = await is_workspace_admin(client, user)
    managed = teams_where(Can.EDIT_TEAM, directory.teams, user)
    if argument == "new" or (not argument and not managed):
        return team_form(None) if may(Can.CREATE_TEAM, None, user, admin=admin) else ADMINS_ONLY
    found = editable(directory, user, argument or managed[0].key, admin)
    return found if isinstance(found, str) else team_form(found.config)


async def open_form(client: AsyncWebClient, view: dict[str, Any], trigger_id: str) -> str | None:
    """None once the form is open, else what to tell the person."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        return f"Slack would not open the setup form ({error.response.get('error')}). Please try again."
    return None


async def unpostable(client: AsyncWebClient, channel: str) -> bool:
    """The bot cannot post in `channel`: a private channel it was not invited to (public ones it can post in
    with `chat:write.public`), or one Slack will not show it."""
    try:
        found = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as error:
        return error.response.get("error") in ("channel_not_found", "not_in_channel", "is_archived")
    return bool(found.get("is_archived")) or (bool(found.get("is_private")) and not found.get("is_member"))


async def submit_setup(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
    submission = parse(ViewSubmission, body)
    directory: Directory = context["directory"]
    try:
        key = json.loads(submission.view.private_metadata).get("team") if submission else None
    except (ValueError, AttributeError, RecursionError):  # RecursionError: nested past the JSON parser's depth
        key = None
    user = submission.user.id if submission else ""
    admin = submission is not None and await is_workspace_admin(client, user)
    existing = editable(directory, user, key, admin) if isinstance(key, str) else None
    if submission is None or isinstance(existing, str) or \
            (existing is None and not may(Can.CREATE_TEAM, None, user, admin=admin)):
        refusal = existing if isinstance(existing, str) else ADMINS_ONLY
        await ack(response_action="errors", errors={ids.NAME: refusal[:150]})
        return
    read = read_team_form(submission.view.values(), existing.config if existing else None)
    if read.team is not None and existing is None and directory.find(read.team.key) is not None:
        read.errors[ids.KEY] = f"A team `{read.team.key}` already exists: choose another key."
    if read.team is not None and not read.errors:
        read.errors.update(await channel_errors(client, read.team))
    if read.errors or read.team is None:
        await ack(response_action="errors", errors=read.errors)
        return
    await ack()
    services: Services = context["services"]
    async with services.db() as session:
        await teams.apply(session, TeamsFile(teams=[read.team]), now=context["now"])
    services.directory.invalidate()
    if existing is None:
        await onboarding.welcome_team(client, user, read.team)


async def channel_errors(client: AsyncWebClient, team: TeamConfig) -> dict[str, str]:
    chosen = {block: got for name, block in ids.CHANNELS.items() if (got := getattr(team.channels, name))}
    chosen |= {ids.PATH_CHANNEL.format(index): path.channel for index, path in enumerate(team.escalation_paths)}
    refused = await asyncio.gather(*(unpostable(client, channel) for channel in chosen.values()))  # within the ack
    return {block: not_postable(channel) for (block, channel), no in zip(chosen.items(), refused, strict=True) if no}
