"""The team a listener acts on, for people in several teams: `bot.rules.team_choice` decides; this reads and
stores the person's remembered default, and builds and answers the team picker of a form.

A form whose content depends on the team (its questions, its targets) puts `picker(...)` first; choosing
another team there re-renders the form for it (`views.update`) and remembers the choice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError

from bot.rules.directory import Directory, TeamProfile
from bot.rules.team_choice import Chosen, NotChosen, choose
from handlers.blocks import Block, option, select_input
from handlers.payloads import Payload, Short, SlackUser
from handlers.preamble import listener
from storage import team_choices

log = logging.getLogger(__name__)
PICKER_LABEL = "Team"

Candidates = Callable[[Directory, str], Sequence[TeamProfile]]
"""The person's teams a form may act on."""
Rebuild = Callable[[dict[str, Any], TeamProfile, str], Awaitable[dict[str, Any] | str]]
"""The form for (context, team, user), or why it cannot be shown."""


async def team_for(context: dict[str, Any], user: str, teams: Sequence[TeamProfile], *,
                   argument: str | None = None, picked: str | None = None) -> TeamProfile | str | None:
    """The team to act on among `teams`, or a message (an unknown or ambiguous team name), or None when
    `teams` is empty (the listener's own refusal applies). A team named or picked becomes the default."""
    if not teams:
        return None
    remembered = None
    named = bool(argument and argument.strip()) or picked in {team.key for team in teams}
    if not named and len(teams) > 1:
        async with context["db"]() as session:
            remembered = await team_choices.remembered(session, user)
    found = choose(teams, argument=argument, picked=picked, remembered=remembered)
    if found is None:
        return None
    if isinstance(found, NotChosen):
        return found.text
    await _remember(context, user, found)
    return found.team


async def _remember(context: dict[str, Any], user: str, found: Chosen) -> None:
    if found.explicit:
        async with context["db"]() as session:
            await team_choices.remember(session, user, found.team.key, now=context["now"])
            await session.commit()


def picker(block_id: str, teams: Sequence[TeamProfile], selected: TeamProfile) -> list[Block]:
    """The form's first block when the person has several teams to choose from; none otherwise."""
    if len(teams) < 2:
        return []
    block = select_input(block_id, PICKER_LABEL, [option(team.name[:75], team.key) for team in teams[:100]],
                         initial=selected.key)
    block["dispatch_action"] = True
    return [block]


class _Option(Payload):
    value: Annotated[str, StringConstraints(max_length=150)]


class _PickerAction(Payload):
    action_id: Short
    selected_option: _Option


class _PickerView(Payload):
    id: Short
    hash: Short = ""


class _Picked(Payload):
    user: SlackUser
    actions: Annotated[list[_PickerAction], Field(min_length=1)]
    view: _PickerView


def answer_picker(candidates: Candidates, rebuild: Rebuild) -> Callable[..., Awaitable[None]]:
    """A listener for a form's team picker: the form again, for the team chosen."""

    @listener(_Picked)
    async def picked(ack: AsyncAck, found: _Picked, context: dict[str, Any]) -> None:
        await ack()
        user, key = found.user.id, found.actions[0].selected_option.value
        teams = candidates(context["directory"], user)
        if key not in {team.key for team in teams}:  # not a team of theirs (any more): the form stays as it is
            return
        team = await team_for(context, user, teams, picked=key)
        if not isinstance(team, TeamProfile):
            return
        view = await rebuild(context, team, user)
        if isinstance(view, str):
            log.info("team picker: no form for %s in %s (%s)", user, team.key, view[:80])
            return
        try:
            await context["services"].client.views_update(view_id=found.view.id, hash=found.view.hash or None,
                                                          view=view)
        except SlackApiError as error:  # the person closed the form, or changed it again meanwhile
            log.info("team picker: form not updated (Slack said %s)", error.response.get("error"))

    return picked
