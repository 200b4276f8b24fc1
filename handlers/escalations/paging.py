"""Pages about an escalation, as outbox messages: which ones (`bot.rules.paging`) and what each carries.

A page is a message like a card's, sent once by the dispatcher through a transport (`handlers.pagers`): the
trigger keyed `esc:N:page:trigger`, its acknowledgement and resolution after it, in that order (one group: a
parked trigger holds them back). The escalation's reference (`ESC-42`) is PagerDuty's `dedup_key` and
Opsgenie's `alias`, so a page sent again after a lost answer opens no second incident. When a page is parked,
the escalation keeps why (`storage.paging`) and its cards say so until a page goes (`watch`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules import paging as rules
from bot.rules.directory import TeamProfile
from bot.rules.escalations import Reminder
from bot.rules.messages import Message, post
from bot.rules.paging import SERVICE_NAMES, Action, PagingConfig
from handlers.escalations import announce
from handlers.outbox import Settled
from handlers.services import Services
from storage import escalations, paging
from storage.models import Escalation, EscalationEvent

log = logging.getLogger(__name__)
SOURCE = "supportbot"
OPSGENIE_METHODS: dict[Action, str] = {"trigger": "opsgenie.create", "acknowledge": "opsgenie.acknowledge",
                                       "resolve": "opsgenie.close"}


def _config(team: TeamProfile) -> PagingConfig | None:
    return team.config.escalation_policy.paging


def opened(escalation: Escalation, team: TeamProfile) -> list[Message]:
    """A new escalation pages now if its priority pages at creation."""
    config = _config(team)
    if config is None:
        return []
    action = rules.on_change(config.when(escalation.priority), kind="opened", status=escalation.status, paged=False)
    return _pages(escalation, team, config, action, actor=escalation.reporter)


async def changed(session: AsyncSession, escalation: Escalation, team: TeamProfile,
                  event: EscalationEvent | None) -> list[Message]:
    """An acknowledgement or a resolution is passed on if the escalation was paged; a priority raised to one
    that pages at creation pages now."""
    config = _config(team)
    if config is None or event is None or event.kind not in ("acknowledged", "resolved", "priority"):
        return []
    action = rules.on_change(config.when(escalation.priority), kind=event.kind, status=escalation.status,
                             paged=await paging.paged(session, escalation.id))
    return _pages(escalation, team, config, action, actor=event.actor)


def breached(escalation: Escalation, team: TeamProfile, due: Reminder) -> list[Message]:
    """The acknowledgement's breach pages a priority that pages at the breach (written once: a plan)."""
    config = _config(team)
    if config is None or not due.is_breach:
        return []
    action = rules.at_breach(config.when(escalation.priority), clock=due.clock, status=escalation.status)
    return _pages(escalation, team, config, action, actor=None)


def _pages(escalation: Escalation, team: TeamProfile, config: PagingConfig, action: Action | None, *,
           actor: str | None) -> list[Message]:
    if action is None:
        return []
    key = keys.page(escalation.id, action)
    group = f"esc:{escalation.id}@page"
    where = config.credential(escalation.path.key)
    if config.service == "pagerduty":
        return [Message(key, "pagerduty.enqueue", {"key": where, "event": _pagerduty_event(escalation, team, action)},
                        group)]
    return [Message(key, OPSGENIE_METHODS[action], _opsgenie_args(escalation, team, action, where, actor), group)]


def _summary(escalation: Escalation) -> str:
    return f"{escalation.ref} {escalation.priority} · {escalation.customer}: {escalation.summary}"


def _details(escalation: Escalation, team: TeamProfile) -> dict[str, str]:
    return {"escalation": escalation.ref, "priority": escalation.priority, "customer": escalation.customer,
            "team": team.name, "escalation path": escalation.path.name, "reported by": escalation.reporter,
            "details": escalation.details[:2000]}


def _pagerduty_event(escalation: Escalation, team: TeamProfile, action: Action) -> dict[str, Any]:
    """PagerDuty's event without its routing key: a trigger carries the alert's payload, the others only the
    `dedup_key` that names it."""
    event: dict[str, Any] = {"event_action": action, "dedup_key": escalation.ref}
    if action == "trigger":
        event["payload"] = {"summary": _summary(escalation)[:1024], "source": f"{SOURCE}/{team.key}",
                            "severity": rules.SEVERITIES.get(escalation.priority, "error"),
                            "component": escalation.path.name, "group": team.name, "class": escalation.severity,
                            "custom_details": _details(escalation, team)}
        event["client"] = SOURCE
    return event


def _opsgenie_args(escalation: Escalation, team: TeamProfile, action: Action, where: dict[str, str] | None,
                   actor: str | None) -> dict[str, Any]:
    """Opsgenie's request: a new alert by its alias, or the alias to acknowledge or close."""
    if action == "trigger":
        body: dict[str, Any] = {
            "message": _summary(escalation)[:130], "alias": escalation.ref, "description": escalation.details[:15000],
            "priority": rules.OPSGENIE_PRIORITIES.get(escalation.priority, "P3"), "source": SOURCE,
            "entity": escalation.customer[:512], "tags": [t[:50] for t in (SOURCE, team.key, escalation.path.key)],
            "details": _details(escalation, team)}
        return {"key": where, "body": body}
    what = "Acknowledged" if action == "acknowledge" else "Resolved"
    note = f"{what} in Slack" + (f" by {actor}" if actor else "")
    return {"key": where, "alias": escalation.ref, "body": {"source": SOURCE, "user": actor or SOURCE, "note": note}}


# --------------------------------------------------------------------------- a page that could not be delivered

def failure_text(method: str, key: str, code: str) -> str:
    """What the card says of a parked page."""
    service = SERVICE_NAMES.get(method.split(".")[0], method)
    action = key.rsplit(":", 1)[-1]
    return f"Paging {service} failed ({action}: {code}); `supportbot jobs retry {key}` sends it again"


def watch(services: Services) -> Settled:
    """Told by the dispatcher when a page is parked or sent: the escalation keeps why its page failed (or
    forgets it) and, when that changes, its cards are updated and the path channel's thread told."""

    async def settled(key: str, method: str, code: str | None) -> None:
        parsed = keys.parse(key)
        if not isinstance(parsed, keys.EscalationKey) or parsed.part[:1] != ("page",):
            return
        now = services.clock()
        directory = await services.directory.current()
        async with services.unit(now) as unit:
            escalation = await escalations.get(unit.session, parsed.escalation)
            if escalation is None:
                return
            failure = failure_text(method, key, code) if code else None
            if not paging.record_failure(escalation, failure):
                return
            team = directory.team(escalation.team_id)
            shown = (await escalations.latest_event_ids(unit.session, [escalation.id])).get(escalation.id, 0)
            version = f"page-{parsed.part[-1]}-{'failed' if code else 'sent'}"
            unit.send(*announce.card_updates(escalation, team, version=version, event_id=shown, now=now))
            if failure:
                log.warning("ESC-%s: %s", escalation.id, failure)
                channel = announce.card_channels(escalation, team)[0]
                unit.send(post(keys.EscalationKey(escalation.id, (*parsed.part, "failed", channel)), channel,
                               f"⚠️ {failure}.", group=f"esc:{escalation.id}@{channel}",
                               thread_of=str(keys.card(escalation.id, channel))))
            await unit.commit()

    return settled
