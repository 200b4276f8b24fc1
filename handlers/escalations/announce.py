"""Putting an escalation in front of people, as outbox messages: the channel cards, their updates, thread
replies and DMs. A card is *posted* once per channel (its key is the channel's card) and *updated* in place
(only the latest waiting update of a card goes); a thread reply or a DM is keyed by its timeline event, a
reminder by its SLA clock run and stage. These are plans: the escalation, its team and `now` in, the messages
that should exist out; the flow writes them with its change (`storage.unit`), the dispatcher sends them
(`handlers.outbox`) in order per card: a card before its updates and thread replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.rules import keys
from bot.rules.directory import TeamProfile
from bot.rules.escalations import Reminder
from bot.rules.messages import LINK, Message, post, update
from handlers.escalations import views
from storage.models import Escalation, EscalationEvent


def card_channels(escalation: Escalation, team: TeamProfile) -> list[str]:
    """The escalation path's channel first (its thread gets the reminders), then the team's channel."""
    wanted = [escalation.path.channel, team.channels.get("escalations")]
    return [c for i, c in enumerate(wanted) if c and c not in wanted[:i]]


def _card(escalation: Escalation, channel: str) -> str:
    return str(keys.card(escalation.id, channel))


def _group(escalation: Escalation, where: str) -> str:
    """Messages of one card (or one person's DMs) about one escalation go out in the order written."""
    return f"esc:{escalation.id}@{where}"


def cards(escalation: Escalation, team: TeamProfile, *, event_id: int, now: datetime) -> list[Message]:
    """The card in every channel that should show it (written once per channel: a card already there stays)."""
    blocks = views.escalation_card(escalation, team.policy, now)
    return [post(keys.card(escalation.id, channel), channel, views.card_text(escalation), blocks=blocks,
                 group=_group(escalation, channel),
                 then={"card_posted": {"escalation": escalation.id, "event": event_id}})
            for channel in card_channels(escalation, team)]


def card_updates(escalation: Escalation, team: TeamProfile, *, version: str, event_id: int,
                 now: datetime, channels: Sequence[str] | None = None) -> list[Message]:
    """Every card brought to the escalation's state now (`version` names this state: an event, a breach), in
    the card channels, or in `channels`."""
    blocks = views.escalation_card(escalation, team.policy, now)
    return [update(keys.card_update(escalation.id, channel, version), _card(escalation, channel),
                   views.card_text(escalation), blocks=blocks, group=_group(escalation, channel),
                   coalesce=f"{_card(escalation, channel)}:update",
                   then={"card_shows": {"escalation": escalation.id, "channel": channel, "event": event_id}})
            for channel in (card_channels(escalation, team) if channels is None else channels)]


def news(escalation: Escalation, team: TeamProfile, event: EscalationEvent) -> list[Message]:
    """Who hears about `event`: every card's thread, and by DM a new owner, and the reporter and owner when it
    is resolved."""
    found = [post(keys.event_reply(escalation.id, event.id, channel), channel, views.describe(event),
                  group=_group(escalation, channel), thread_of=_card(escalation, channel))
             for channel in card_channels(escalation, team)]
    return found + _dms(escalation, team, event)


def _dms(escalation: Escalation, team: TeamProfile, event: EscalationEvent) -> list[Message]:
    people: list[tuple[str | None, str]] = []
    if event.kind == "assigned" and event.new != event.actor:
        people.append((event.new, views.handed_over(escalation, by=event.actor)))
    elif event.kind == "resolved":
        notice = views.resolved_notice(escalation, by=event.actor)
        merged = [duplicate["reporter"] for duplicate in escalation.merged_from or []]  # their reporters too
        people += [(person, notice) for person in dict.fromkeys((escalation.reporter, escalation.owner, *merged))
                   if person != event.actor]
    found = [post(keys.event_dm(escalation.id, event.id, person), person, text, group=_group(escalation, person))
             for person, text in people if person]
    if event.kind == "opened":
        first = card_channels(escalation, team)[0]
        found.append(post(keys.event_dm(escalation.id, event.id, escalation.reporter), escalation.reporter,
                          views.confirmation(escalation, LINK), group=_group(escalation, escalation.reporter),
                          link_to=_card(escalation, first), fallback=views.confirmation(escalation, None)))
    return found


def opened(escalation: Escalation, team: TeamProfile, events: Sequence[EscalationEvent], *,
           now: datetime) -> list[Message]:
    """A new escalation (with the events it was logged with): its cards, then the reporter's confirmation
    with a link to the first card (and the owner's DM, if named)."""
    found = cards(escalation, team, event_id=events[-1].id, now=now)
    return found + [m for event in events for m in _dms(escalation, team, event)]


def changed(escalation: Escalation, team: TeamProfile, event: EscalationEvent | None, *,
            now: datetime) -> list[Message]:
    """A change, shown: the cards updated in place, the threads and the people concerned told. Nothing
    changed (a double click): nothing to say."""
    if event is None:
        return []
    return [*cards(escalation, team, event_id=event.id, now=now),
            *card_updates(escalation, team, version=str(event.id), event_id=event.id, now=now),
            *news(escalation, team, event)]


def reminder(escalation: Escalation, team: TeamProfile, due: Reminder) -> Message:
    """An SLA reminder in the thread of the path channel's card."""
    channel = card_channels(escalation, team)[0]
    return post(keys.sla_reminder(escalation.id, due.clock, due.due, due.stage), channel,
                views.reminder_text(due, escalation, team.managers), group=_group(escalation, channel),
                thread_of=_card(escalation, channel))
