"""A member's stand-up DMs as outbox messages: the prompt, the reminder, and the prompt shown answered or
skipped. One member's DMs of one day go out in the order written (the prompt before its update or reminder)."""

from __future__ import annotations

from datetime import date

from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.messages import Message, post, update
from handlers.standups import views
from storage import standup_sends
from storage.unit import UnitOfWork


def _group(team: TeamProfile, user: str, day: date) -> str:
    return f"standup:{team.key}:{day.isoformat()}@{user}"


def prompt(team: TeamProfile, user: str, day: date) -> Message:
    """Start and Skip today; once sent, where it is is kept on the member's row (for nothing but the record)."""
    text, blocks = views.prompt(team.name, team.key, day)
    return post(keys.standup_prompt(team.key, user, day), user, text, blocks=blocks, group=_group(team, user, day),
                then={"standup_prompted": {"team": team.id, "user": user, "day": day.isoformat()}})


def reminder(team: TeamProfile, user: str, day: date, nudge: str) -> Message:
    text, blocks = views.reminder(team.name, team.key, day, nudge)
    return post(keys.standup_reminder(team.key, user, day), user, text, blocks=blocks,
                group=_group(team, user, day))


async def show(unit: UnitOfWork, team: TeamProfile, user: str, day: date, state: str) -> None:
    """The prompt, if one was written, updated to say `state` (answered: where the answer went; skipped)."""
    asked = str(keys.standup_prompt(team.key, user, day))
    if asked not in await standup_sends.written(unit.session, [asked]):
        return
    channel = team.channels.get("standup") if state == "answered" else None
    text, blocks = views.prompt(team.name, team.key, day, state=state, channel=channel)
    unit.send(update(keys.standup_prompt_update(team.key, user, day, state), asked, text, blocks=blocks,
                     group=_group(team, user, day), coalesce=f"{asked}:update"))
