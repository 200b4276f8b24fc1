"""Putting an escalation in front of people: the channel cards, thread replies and DMs.

The words mean one thing each: a card is *posted* once per channel and *updated* in place; a thread
reply, a DM or a reminder is *delivered* once (claimed, see `handlers.delivery`); to *show* a change is
to update the cards and deliver what the change tells people.

Nothing here is fire-and-forget. When Slack refuses something (an outage), the `escalation-timers`
job finds what is missing on its next tick — a card never posted, a card behind the timeline, a reply
or DM never delivered — and sends it then, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import claim_keys
from bot.rules.directory import TeamProfile
from handlers.delivery import claimed
from handlers.escalations import views
from storage import claims
from storage import escalations as store
from storage.models import Escalation, EscalationEvent, EscalationPost

log = logging.getLogger(__name__)


def card_channels(escalation: Escalation, team: TeamProfile) -> list[str]:
    """The escalation path's channel first (its thread gets the reminders), then the team's channel."""
    wanted = [escalation.path.channel, team.channels.get("escalations")]
    return [c for i, c in enumerate(wanted) if c and c not in wanted[:i]]


async def post_cards(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, team: TeamProfile,
                     *, latest_event_id: int, now: datetime) -> int:
    """Post the card in every channel that should show it and does not yet. Returns how many. The cards are
    claimed together; each card's row is written with its claim's completion."""
    posted = {post.channel for post in escalation.posts}
    missing = {claim_keys.card(escalation.id, channel): channel
               for channel in card_channels(escalation, team) if channel not in posted}
    if not missing:
        return 0
    blocks = views.escalation_card(escalation, team.policy, now)
    count = 0
    for key, failed_before in (await claims.claim_all(session, list(missing), now=now)).items():
        async def post(channel: str = missing[key]) -> bool:
            reply = await client.chat_postMessage(channel=channel, text=views.card_text(escalation),
                                                  blocks=blocks, unfurl_links=False)
            store.add_post(escalation, channel, str(reply["ts"]), latest_event_id)
            return True

        if await claimed(session, key, post, now=now, failed_before=failed_before):
            count += 1
    return count


async def update_cards(client: AsyncWebClient, session: AsyncSession, escalation: Escalation,
                       team: TeamProfile, *, latest_event_id: int, now: datetime, every_card: bool = False) -> None:
    """Bring every card that is behind the timeline up to date (or every card, e.g. to show a breach). What
    each card now shows is staged in `session`: the caller's next commit writes it (until then a replica's
    timers job may update a card once more, which shows the same)."""
    stale = [post for post in escalation.posts if every_card or post.shown_event_id < latest_event_id]
    if not stale:
        return
    blocks = views.escalation_card(escalation, team.policy, now)
    for post in stale:
        try:
            await client.chat_update(channel=post.channel, ts=post.ts, text=views.card_text(escalation),
                                     blocks=blocks)
        except SlackApiError as error:
            log.warning("could not update %s in %s (Slack said %s); the next tick retries it",
                        views.ref(escalation), post.channel, error.response.get("error"))
            continue
        store.shown(post, latest_event_id)


@dataclass(frozen=True)
class Delivery:
    """One message about one timeline event (a thread reply under a card, or a DM), or a reminder."""

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

    found = [Delivery(claim_keys.event_reply(escalation.id, event.id, post.channel), post.channel,
                      text(views.describe(event)), post.ts)
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
    found += [Delivery(claim_keys.event_dm(escalation.id, event.id, person), person, compose,
                       link=escalation.posts[0] if event.kind == "opened" else None)
              for person, compose in people if person]
    return found


async def deliver(client: AsyncWebClient, session: AsyncSession, wanted: Sequence[Delivery], *,
                  now: datetime) -> list[Delivery]:
    """Send what has not been sent yet, and say what was; what Slack refuses waits for the next tick. The
    units are claimed in one statement (whose commit also writes what the session had staged), then each is
    sent and its claim completed, one after another."""
    by_key = {delivery.key: delivery for delivery in wanted}
    sent: list[Delivery] = []
    for key, failed_before in (await claims.claim_all(session, list(by_key), now=now)).items():
        delivery = by_key[key]

        async def send(delivery: Delivery = delivery) -> bool:
            link = await permalink(client, delivery.link) if delivery.link else None
            await client.chat_postMessage(channel=delivery.channel, thread_ts=delivery.thread_ts,
                                          text=delivery.compose(link), unfurl_links=False)
            return True

        if await claimed(session, key, send, now=now, failed_before=failed_before):
            sent.append(delivery)
    return sent


async def show_new(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, team: TeamProfile,
                   events: Sequence[EscalationEvent], *, now: datetime) -> None:
    """A new escalation (with the events it was logged with): its cards, then the reporter's confirmation
    (and the owner's DM, if named)."""
    await post_cards(client, session, escalation, team, latest_event_id=events[-1].id, now=now)
    await deliver(client, session, [d for event in events for d in deliveries(escalation, event)], now=now)


async def show_change(client: AsyncWebClient, session: AsyncSession, escalation: Escalation, team: TeamProfile,
                      event: EscalationEvent | None, *, now: datetime) -> None:
    """Show a change at once: the cards are updated in place, the threads and the people concerned
    hear about it (their claims' commit also records what the cards show). Anything Slack refuses now, the
    timers job sends later."""
    if event is None:
        return  # nothing changed (a double click): nothing to say
    await update_cards(client, session, escalation, team, latest_event_id=event.id, now=now)
    await deliver(client, session, deliveries(escalation, event), now=now)


async def permalink(client: AsyncWebClient, post: EscalationPost) -> str | None:
    try:
        found = await client.chat_getPermalink(channel=post.channel, message_ts=post.ts)
    except SlackApiError:
        return None
    return str(found["permalink"])
