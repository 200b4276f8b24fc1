"""Putting an escalation in front of people: the channel cards, thread replies and DMs.

Nothing here is fire-and-forget. Each card, thread reply and DM is a unit of work with a claim key, and
each card remembers the last timeline event it shows. When Slack refuses something (an outage), the
`escalation-timers` job finds what is missing on its next tick — a card never posted, a card behind the
timeline, a reply or DM never delivered — and sends it then, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import TeamPolicy
from handlers.escalations import views
from storage import claims
from storage import escalations as store
from storage.models import Escalation, EscalationEvent, EscalationPost

log = logging.getLogger(__name__)


def policy_of(escalation: Escalation) -> TeamPolicy:
    return TeamPolicy.from_settings(escalation.team.settings, escalation.team.timezone)


def card_channels(escalation: Escalation) -> list[str]:
    """The escalation path's channel first (its thread gets the reminders), then the team's channel."""
    wanted = [escalation.path.channel, escalation.team.channels.get("escalations")]
    return [c for i, c in enumerate(wanted) if c and c not in wanted[:i]]


async def announce(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, *,
                   latest_event_id: int, now: datetime) -> int:
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
        await store.add_post(session, escalation, channel, str(reply["ts"]), latest_event_id)
        await claims.complete(session, key, now=now)
        count += 1
    return count


async def refresh(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, *,
                  latest_event_id: int, now: datetime, every_card: bool = False) -> None:
    """Bring every card that is behind the timeline up to date (or every card, e.g. to show a breach)."""
    stale = [post for post in escalation.posts if every_card or post.shown_event_id < latest_event_id]
    if not stale:
        return
    blocks = views.escalation_card(escalation, policy_of(escalation), now)
    for post in stale:
        try:
            await client.chat_update(channel=post.channel, ts=post.ts, text=views.card_text(escalation),
                                     blocks=blocks)
        except SlackApiError as error:
            log.warning("could not update %s in %s (%s); will retry", views.ref(escalation), post.channel,
                        error.response.get("error"))
            continue
        await store.shown(session, post, latest_event_id)


@dataclass(frozen=True)
class Delivery:
    """One message about one timeline event: a thread reply under a card, or a DM."""

    key: str
    channel: str  # a channel, or a person's ID for a DM
    compose: Callable[[str | None], str]  # the text, given the card's permalink when `link` asks for it
    thread_ts: str | None = None
    link: EscalationPost | None = None


def deliveries(escalation: Escalation, event: EscalationEvent) -> list[Delivery]:
    """Who hears about `event`: every card's thread (if the card was posted before it happened), and by DM
    the reporter when it is logged, a new owner, and the reporter and owner when it is resolved."""
    def text(message: str) -> Callable[[str | None], str]:
        return lambda _link: message

    prefix = f"esc:{escalation.id}:event:{event.id}"
    found = [Delivery(f"{prefix}:reply:{post.channel}", post.channel, text(views.describe(event)), post.ts)
             for post in escalation.posts if event.id > post.posted_event_id]
    people: list[tuple[str | None, Callable[[str | None], str]]] = []
    if event.kind == "opened" and escalation.posts:
        people.append((escalation.reporter, lambda link: views.confirmation(escalation, link)))
    elif event.kind == "assigned" and event.new != event.actor:
        people.append((event.new, text(views.handed_over(escalation, by=event.actor))))
    elif event.kind == "resolved":
        notice = text(views.resolved_notice(escalation, by=event.actor))
        people += [(person, notice) for person in dict.fromkeys((escalation.reporter, escalation.owner))
                   if person != event.actor]
    found += [Delivery(f"{prefix}:dm:{person}", person, compose,
                       link=escalation.posts[0] if event.kind == "opened" else None)
              for person, compose in people if person]
    return found


async def deliver(client: AsyncWebClient, session: AsyncSession, wanted: Sequence[Delivery], *,
                  now: datetime) -> list[Delivery]:
    """Send what has not been sent yet, and say what was; what Slack refuses is released for the next tick."""
    sent_already = await claims.taken(session, [d.key for d in wanted], now=now)
    sent: list[Delivery] = []
    for delivery in wanted:
        if delivery.key in sent_already or not await claims.claim(session, delivery.key, now=now):
            continue
        try:
            link = await permalink(client, delivery.link) if delivery.link else None
            await client.chat_postMessage(channel=delivery.channel, thread_ts=delivery.thread_ts,
                                          text=delivery.compose(link), unfurl_links=False)
        except SlackApiError as error:
            log.warning("%s not delivered (%s); will retry", delivery.key, error.response.get("error"))
            await claims.release(session, delivery.key)
            continue
        await claims.complete(session, delivery.key, now=now)
        sent.append(delivery)
    return sent


async def introduce(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, *,
                    now: datetime) -> None:
    """A new escalation: its cards, then the reporter's confirmation (and the owner's DM, if named)."""
    events = await store.timeline(session, escalation.id)
    await announce(client, session, escalation, latest_event_id=events[-1].id, now=now)
    await deliver(client, session, [d for event in events for d in deliveries(escalation, event)], now=now)


async def publish(client: AsyncWebClient, session: AsyncSession, escalation: Escalation,
                  event: EscalationEvent | None, *, now: datetime) -> None:
    """Show a change at once: the cards are updated in place, the threads and the people concerned
    hear about it. (Anything Slack refuses now, the timers job sends later.)"""
    if event is None:
        return  # nothing changed (a double click): nothing to say
    await refresh(client, session, escalation, latest_event_id=event.id, now=now)
    await deliver(client, session, deliveries(escalation, event), now=now)


async def permalink(client: AsyncWebClient, post: EscalationPost) -> str | None:
    try:
        found = await client.chat_getPermalink(channel=post.channel, message_ts=post.ts)
    except SlackApiError:
        return None
    return str(found["permalink"])
