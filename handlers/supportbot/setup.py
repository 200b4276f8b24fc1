"""`/supportbot setup [new | KEY]`: create a team (workspace admins) or edit one (its managers, or admins) in a
modal, with the teams YAML's validation. Nothing asks Slack before the answer: who is an admin is read from
the people cache (Slack asked after the answer about someone it does not know), and the chosen channels are
checked after the team is saved; a channel the bot cannot post in is named in a DM to the person who saved."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules import keys
from bot.rules.directory import Directory, TeamProfile
from bot.rules.messages import post
from bot.rules.roles import Can, may, refusal, teams_where
from bot.rules.team_config import TeamConfig, TeamsFile
from handlers import people
from handlers.blocks import escape
from handlers.payloads import ViewSubmission
from handlers.preamble import Refused, listener
from handlers.services import Services
from handlers.supportbot import ids, onboarding
from handlers.supportbot.setup_form import read_team_form, team_form, unpostable_warning
from storage import teams

log = logging.getLogger(__name__)
ADMINS_ONLY = (refusal(Can.CREATE_TEAM, None) + " Ask one of them to run `/supportbot setup new`; a team's "
               "managers can then edit it with `/supportbot setup`.")
NOT_YET_KNOWN = "Slack has not told me yet whether you are a workspace admin: please save again in a moment."


async def is_workspace_admin(services: Services, user: str, now: datetime) -> bool | None:
    """Whether the people cache says `user` is a workspace admin or owner; None when it does not know them
    (Slack is then asked after the answer, for their next request). Never waits on Slack."""
    found = await people.cached(services, [user], now)
    if found.stale:
        people.learn_later(services, found.stale, now)
    return found.found[user].is_admin if user in found.found else None


def editable(directory: Directory, user: str, key: str, admin: bool) -> TeamProfile | str:
    """The team `user` may edit, or why not."""
    team = directory.find(key)
    if team is None:
        return f"There is no team `{escape(key)}`. Teams: {', '.join(t.key for t in directory.teams) or 'none yet'}."
    return team if may(Can.EDIT_TEAM, team, user, admin=admin) else refusal(Can.EDIT_TEAM, team)


async def form_for(services: Services, directory: Directory, user: str, argument: str,
                   now: datetime) -> dict[str, Any] | str:
    """The setup form `user` asked for (`new`, a team key, or their own team), or why they may not have it.
    Someone the cache does not know yet gets the form: saving it checks again, by then Slack has answered."""
    admin = await is_workspace_admin(services, user, now) is not False
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


@listener(ViewSubmission, field=ids.NAME)
async def submit_setup(ack: AsyncAck, submission: ViewSubmission, context: dict[str, Any]) -> None:
    directory: Directory = context["directory"]
    services: Services = context["services"]
    now: datetime = context["now"]
    try:
        key = json.loads(submission.view.private_metadata).get("team")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: nested past the JSON parser's depth
        key = None
    user = submission.user.id
    existing, refused = _may_save(directory, user, key, await is_workspace_admin(services, user, now))
    if refused is not None:
        raise Refused(refused)
    read = read_team_form(submission.view.values(), existing.config if existing else None)
    if read.team is not None and existing is None and directory.find(read.team.key) is not None:
        read.errors[ids.KEY] = f"A team `{read.team.key}` already exists: choose another key."
    if read.errors or read.team is None:
        await ack(response_action="errors", errors=read.errors)
        return
    team = read.team
    async with services.unit(now) as unit:
        await teams.apply(unit.session, TeamsFile(teams=[team]), now=now)
        if existing is None:
            unit.send(onboarding.welcome_team(user, team, now))
        await unit.commit()
    services.directory.invalidate()
    await ack()
    services.outbox.in_background(warn_of_channels(services, user, team, submission.view.id, now))


def _may_save(directory: Directory, user: str, key: Any, admin: bool | None) -> tuple[TeamProfile | None, str | None]:
    """The team the form edits (None: a new one), or why `user` may not save it. Someone the cache does not know
    yet (`admin` None) may be an admin: they are asked to save again once Slack has said."""
    existing = editable(directory, user, key, admin is True) if isinstance(key, str) else None
    if isinstance(existing, str):
        return None, NOT_YET_KNOWN if admin is None and directory.find(key) is not None else existing
    if existing is None and not may(Can.CREATE_TEAM, None, user, admin=admin is True):
        return None, NOT_YET_KNOWN if admin is None else ADMINS_ONLY
    return existing, None


async def warn_of_channels(services: Services, user: str, team: TeamConfig, view_id: str, now: datetime) -> None:
    """After the answer: the channels of the saved team the bot cannot post in, named in a DM to the person who
    saved it (through the outbox, once per saved form)."""
    chosen = [getattr(team.channels, name) for name in ids.CHANNELS] + [path.channel for path in team.escalation_paths]
    channels = list(dict.fromkeys(channel for channel in chosen if channel))
    refused = await asyncio.gather(*(unpostable(services.client, channel) for channel in channels))
    blocked = [channel for channel, no in zip(channels, refused, strict=True) if no]
    if not blocked:
        return
    log.info("team %s saved with channels the bot cannot post in: %s", team.key, ", ".join(blocked))
    async with services.unit(now) as unit:
        unit.send(post(keys.request_message("setup", team.key, now.date(), "unpostable", view_id), user,
                       unpostable_warning(team.name, blocked), group=f"setup:{team.key}"))
        await unit.commit()
