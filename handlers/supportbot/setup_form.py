"""The team setup modal of `/supportbot setup`: built from a team's configuration, and read back into one,
validated by the same pydantic model as the teams YAML (the same messages, mapped to the form's fields)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.rules.team_config import MESSAGES, TeamConfig, TeamsFile
from handlers.blocks import Block, context, escape, modal, plain, text_input
from handlers.supportbot import ids

Values = dict[str, str | list[str] | None]
PURPOSES = {"escalations": "Escalations channel (every card of the team)", "standup": "Stand-up report channel",
            "digest": "KPI digest channel"}
TIMEZONE_MAX = 64
"""The timezone input's max_length: Slack lets nobody type more."""


def _pickers(block_id: str, label: str, kind: str, initial: Sequence[str] | str | None, *,
             optional: bool = True) -> Block:
    element: Block = {"type": kind, "action_id": block_id, "placeholder": plain("Choose…")}
    if kind == "multi_users_select" and initial:
        element["initial_users"] = list(initial)
    if kind == "conversations_select":
        element["filter"] = {"include": ["public", "private"], "exclude_bot_users": True}
        if initial:
            element["initial_conversation"] = initial
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}


def team_form(team: TeamConfig | None) -> dict[str, Any]:
    """A new team's form (`team` None) or one team's, prefilled."""
    blocks: list[Block] = []
    if team is None:
        blocks.append(text_input(ids.KEY, "Key (short, lowercase: used in commands and the YAML)", max_length=64,
                                 placeholder="tier1"))
    else:
        blocks.append(context(f"Team key `{team.key}` · the stand-up, the pulse and KPI targets have their own forms: "
                              "`/standup setup`, `/pulse setup`, `/kpi targets`."))
    channels = team.channels.model_dump() if team else {}
    blocks += [
        text_input(ids.NAME, "Team name", initial=team.name if team else None, max_length=200),
        text_input(ids.TIMEZONE, "Timezone (IANA, e.g. America/New_York)", initial=team.timezone if team else None,
                   max_length=64, hint="Business hours and the digest use it; each member's own Slack timezone "
                                       "is used for their stand-up and pulse."),
        _pickers(ids.MEMBERS, "Members (agents)", "multi_users_select", team.members if team else None),
        _pickers(ids.MANAGERS, "Managers", "multi_users_select", team.managers if team else None),
    ]
    blocks += [_pickers(block, PURPOSES[name], "conversations_select", channels.get(name))
               for name, block in ids.CHANNELS.items()]
    blocks.append(text_input(ids.DIGEST_TIME, "KPI digest time (HH:MM, team timezone)", max_length=5,
                             initial=team.digest.time if team else "09:00"))
    paths = list(team.escalation_paths) if team else []
    for index in range(ids.PATHS_SHOWN):
        path = paths[index] if index < len(paths) else None
        blocks.append(text_input(ids.PATH_NAME.format(index), f"Escalation path {index + 1}: name", optional=True,
                                 initial=path.name if path else None, max_length=75,
                                 placeholder="Engineering" if index == 0 else None))
        blocks.append(_pickers(ids.PATH_CHANNEL.format(index), f"Escalation path {index + 1}: channel",
                               "conversations_select", path.channel if path else None))
    title = "New support team" if team is None else "Support team"
    return modal(ids.SETUP_FORM, title, blocks, submit="Save",
                 private_metadata=json.dumps({"team": team.key if team else None}))


def path_key(name: str) -> str:
    """"Billing & Refunds" -> "billing-refunds": a path's stable key from its name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "path"


@dataclass
class Read:
    team: TeamConfig | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _one(values: Values, block: str) -> str:
    got = values.get(block)
    return got.strip() if isinstance(got, str) else ""


def _many(values: Values, block: str) -> list[str]:
    got = values.get(block)
    return list(got) if isinstance(got, list) else []


def read_team_form(values: Values, existing: TeamConfig | None) -> Read:
    """The team as the form describes it; everything the form does not show is kept from `existing`."""
    read = Read()
    paths: list[dict[str, str]] = []
    old = {p.name: p.key for p in existing.escalation_paths} if existing else {}
    for index in range(ids.PATHS_SHOWN):
        name, channel = _one(values, ids.PATH_NAME.format(index)), _one(values, ids.PATH_CHANNEL.format(index))
        if name and not channel:
            read.errors[ids.PATH_CHANNEL.format(index)] = "Choose the channel this path's escalations go to."
        elif channel and not name:
            read.errors[ids.PATH_NAME.format(index)] = "Give the path a name, e.g. Engineering."
        elif name:
            paths.append({"key": old.get(name) or path_key(name), "name": name, "channel": channel})
    kept = existing.model_dump(mode="json", exclude={"key", "name", "timezone", "members", "managers", "channels",
                                                     "escalation_paths"}) if existing else {}
    kept["digest"] = {**kept.get("digest", {}), "time": _one(values, ids.DIGEST_TIME) or "09:00"}
    timezone = _one(values, ids.TIMEZONE) or "UTC"
    if len(timezone) > TIMEZONE_MAX:  # more than the form lets anyone type; the zone lookup fails on a long name
        read.errors[ids.TIMEZONE] = "Type an IANA timezone name, e.g. America/New_York."
    raw = {**kept, "key": existing.key if existing else _one(values, ids.KEY), "name": _one(values, ids.NAME),
           "timezone": timezone[:TIMEZONE_MAX], "members": _many(values, ids.MEMBERS),
           "managers": _many(values, ids.MANAGERS),
           "channels": {name: got for name, block in ids.CHANNELS.items() if (got := _one(values, block))},
           "escalation_paths": paths}
    try:
        read.team = TeamsFile.model_validate({"teams": [raw]}).teams[0]
    except ValidationError as error:
        for problem in error.errors():
            block = _block_of(problem["loc"][2:])
            message = MESSAGES.get(problem["type"], str(problem["msg"]).removeprefix("Value error, "))
            read.errors.setdefault(block, message[:150])
    if read.errors:
        read.team = None
    return read


def _block_of(loc: Sequence[int | str]) -> str:
    """The form field a validation error belongs to ('channels', 'standup') -> the stand-up channel picker."""
    match list(loc):
        case ["key", *_]:
            return ids.KEY
        case ["timezone", *_]:
            return ids.TIMEZONE
        case ["digest", *_]:
            return ids.DIGEST_TIME
        case ["members", *_]:
            return ids.MEMBERS
        case ["managers", *_]:
            return ids.MANAGERS
        case ["channels", str(name), *_] if name in ids.CHANNELS:
            return ids.CHANNELS[name]
        case ["escalation_paths", int(index), "channel", *_]:
            return ids.PATH_CHANNEL.format(index)
        case ["escalation_paths", int(index), *_]:
            return ids.PATH_NAME.format(index)
        case _:
            return ids.NAME


def unpostable_warning(team_name: str, channels: Sequence[str]) -> str:
    """The DM to whoever saved a team with channels the bot cannot post in (private ones it was not invited to,
    archived or unknown ones): nothing goes there until they invite it."""
    where = ", ".join(f"<#{channel}>" for channel in channels)
    return (f"⚠️ {escape(team_name)} is saved, but supportbot can't post in {where} yet: nothing the team "
            "expects there (cards, reports, digests) will arrive. Open each channel and type `/invite @supportbot`.")



