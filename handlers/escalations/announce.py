"""Putting an escalation in front of people: the channel cards, thread replies and DMs.

Posting a card is claimed like any scheduled work, so a card that could not be posted (Slack down)
is posted by the next `escalation-timers` tick, and a card is never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import TeamPolicy
from handlers.escalations import views
from storage import claims
from storage import escalations as store
from storage.models import Escalation

log = logging.getLogger(__name__)


def policy_of(escalation: Escalation) -> TeamPolicy:
    return TeamPolicy.from_settings(escalation.team.settings, escalation.team.timezone)


def card_channels(escalation: Escalation) -> list[str]:
    """The escalation path's channel first (its thread gets the reminders), then the team's channel."""
    wanted = [escalation.path.channel, escalation.team.channels.get("escalations")]
    return [c for i, c in enumerate(wanted) if c and c not in wanted[:i]]


async def announce(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, *,
                   now: datetime) -> int:
    """Post the card in every channel that should show it and does not yet. Returns how many."""
    posted = {post.channel for post in escalation.posts}
    missing = [channel for channel in card_channels(escalation) if channel not in posted]
    if not missing:
        return 0
    blocks = views.escalation_card(escalation, policy_of(escalation), now)
    count = 0
    for channel in missing:
        key = f"esc:{escalation.id}:card:{channel}"
        if not await claims.claim(session, key, now=now):
            continue
        try:
            reply = await client.chat_postMessage(channel=channel, text=views.card_text(escalation),
                                                  blocks=blocks, unfurl_links=False)
        except SlackApiError as error:
            log.warning("could not post %s in %s (%s); will retry", views.ref(escalation), channel,
                        error.response.get("error"))
            await claims.release(session, key)
            continue
        await store.add_post(session, escalation, channel, str(reply["ts"]))
        await claims.complete(session, key, now=now)
        count += 1
    return count


async def refresh(client: AsyncWebClient, escalation: Escalation, *, now: datetime) -> None:
    """Keep every posted card current."""
    blocks = views.escalation_card(escalation, policy_of(escalation), now)
    for post in escalation.posts:
        try:
            await client.chat_update(channel=post.channel, ts=post.ts, text=views.card_text(escalation),
                                     blocks=blocks)
        except SlackApiError as error:
            log.warning("could not update %s in %s: %s", views.ref(escalation), post.channel,
                        error.response.get("error"))


async def reply(client: AsyncWebClient, escalation: Escalation, text: str, *,
                channels: Sequence[str] | None = None) -> None:
    """A thread reply under the card (in `channels`, or under every card)."""
    for post in escalation.posts:
        if channels is not None and post.channel not in channels:
            continue
        await client.chat_postMessage(channel=post.channel, thread_ts=post.ts, text=text, unfurl_links=False)


async def tell(client: AsyncWebClient, people: Sequence[str | None], text: str) -> None:
    """A direct message from the bot to each person (once each)."""
    for person in dict.fromkeys(p for p in people if p):
        try:
            await client.chat_postMessage(channel=person, text=text, unfurl_links=False)
        except SlackApiError as error:
            log.warning("could not DM %s: %s", person, error.response.get("error"))


async def permalink(client: AsyncWebClient, escalation: Escalation) -> str | None:
    if not escalation.posts:
        return None
    post = escalation.posts[0]
    try:
        found = await client.chat_getPermalink(channel=post.channel, message_ts=post.ts)
    except SlackApiError:
        return None
    return str(found["permalink"])
