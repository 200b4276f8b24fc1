"""The on-call chain, as outbox DMs: each level due (`bot.rules.oncall`) becomes one DM per person, with the
card and its buttons, keyed by escalation, round, level and person (`keys.oncall_dm`): the timers' plan
writes them, and a key written before (by another tick, a restarted process, a second replica) is not
written again.

A level naming a user group is expanded with `usergroups.users.list` (scope `usergroups:read`), here in the
job and never in a request; members are cached for `GROUP_TTL`. When Slack cannot say who is in a group and
nothing is cached, that level waits for the next tick (nobody is told twice, nobody is skipped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules import keys, oncall
from bot.rules.directory import TeamProfile
from bot.rules.messages import Message, post
from handlers.blocks import escape, section
from handlers.escalations import views
from storage.models import Escalation

log = logging.getLogger(__name__)

GROUP_TTL = timedelta(minutes=15)
LEVEL_MEMORY = timedelta(days=1)


@dataclass
class GroupMembers:
    """User group members as Slack last said, and when; and who each level was found to mean (a level stays
    due for the rest of its round: Slack is asked once for it, not at every tick)."""

    found: dict[str, tuple[datetime, tuple[str, ...]]] = field(default_factory=dict)
    levels: dict[tuple[int, int, int, str], tuple[datetime, tuple[str, ...]]] = field(default_factory=dict)

    async def of_level(self, client: AsyncWebClient, escalation: int, notice: oncall.Notice, group: str,
                       now: datetime) -> tuple[str, ...] | None:
        """The group's members for one level of one round of one escalation's chain."""
        place = (escalation, notice.round, notice.level, group)
        if place not in self.levels:
            members = await self.members(client, group, now)
            if members is None:
                return None
            self.levels = {k: v for k, v in self.levels.items() if now - v[0] < LEVEL_MEMORY}
            self.levels[place] = (notice.at, members)
        return self.levels[place][1]

    async def members(self, client: AsyncWebClient, group: str, now: datetime) -> tuple[str, ...] | None:
        """The group's members (cached for `GROUP_TTL`; a stale list when Slack fails; None when nothing)."""
        cached = self.found.get(group)
        if cached is not None and now - cached[0] < GROUP_TTL:
            return cached[1]
        try:
            answer = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as error:
            log.warning("usergroups.users.list on %s failed (%s): %s", group, error.response.get("error"),
                        "using the members last seen" if cached else "its level waits for the next tick")
            return cached[1] if cached else None
        people = tuple(str(person) for person in answer.get("users") or [])
        self.found[group] = (now, people)
        return people


_GROUPS: WeakKeyDictionary[AsyncWebClient, GroupMembers] = WeakKeyDictionary()


def groups_for(client: AsyncWebClient) -> GroupMembers:
    """The member cache of this app's Slack client."""
    return _GROUPS.setdefault(client, GroupMembers())


async def chain(client: AsyncWebClient, escalation: Escalation, team: TeamProfile, now: datetime) -> list[Message]:
    """The on-call DMs due now for an escalation nobody has acknowledged (none when the team has no chain)."""
    config = team.config.escalation_policy.on_call
    if config is None:
        return []
    state = oncall.ChainState(priority=escalation.priority, status=escalation.status, owner=escalation.owner,
                              opened_at=escalation.opened_at)
    found: list[Message] = []
    for notice in oncall.due(config, state, team.policy.tz, now):
        people = list(notice.people)
        for group in notice.groups:
            members = await groups_for(client).of_level(client, escalation.id, notice, group, now)
            if members is None:
                break
            people += members
        else:
            found += [dm(escalation, team, notice, person, now) for person in dict.fromkeys(people)]
    return found


def dm(escalation: Escalation, team: TeamProfile, notice: oncall.Notice, person: str, now: datetime) -> Message:
    """The card, in a DM, with a line saying why this person is told."""
    again = f" (round {notice.round + 1})" if notice.round else ""
    text = (f"📟 You're on call for {escalation.ref} ({escalation.priority}, {escape(escalation.customer)}): "
            f"nobody has acknowledged it yet{again}.")
    blocks = [section(text), *views.escalation_card(escalation, team.policy, now)]
    return post(keys.oncall_dm(escalation.id, notice.round, notice.level, person), person, text, blocks=blocks,
                group=f"esc:{escalation.id}@{person}")
