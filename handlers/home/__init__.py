"""App Home (DESIGN.md 3.5): one place that shows each person what needs them. Written to the outbox when they
open the tab, and again a few seconds after anything they do with supportbot (one Home for a burst); the
dispatcher publishes it (`views.publish`), only the latest of a person's Homes when several wait."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from pydantic import TypeAdapter, ValidationError
from slack_bolt.async_app import AsyncApp

from bot.rules import keys
from bot.rules.messages import Message
from handlers import people
from handlers.home import data, views
from handlers.jobs import Job
from handlers.payloads import UserId
from handlers.services import Services

log = logging.getLogger(__name__)
_USER: TypeAdapter[str] = TypeAdapter(UserId)
COMMANDS: dict[str, str] = {}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(opened)
    app.middleware(refresh_after)


def home_message(user: str, view: dict[str, Any], key: keys.Key) -> Message:
    """`views.publish` of one person's Home: of several waiting, only the latest goes."""
    return Message(key, "views.publish", {"user_id": user, "view": view}, group=f"home:{user}",
                   coalesce=f"home:{user}")


async def write(services: Services, user: str, now: datetime, *, refresh: str | None = None,
                day: date | None = None, learn: bool = True, unless: dict[str, Any] | None = None) -> None:
    """Write `user`'s Home as it is now to the outbox (`refresh` names what asked for it: written once; nothing
    when it would show `unless`). When the people cache does not know them (or knew them long ago), Slack is
    asked after the answer, and the Home written again if what Slack said changes it (a workspace admin's)."""
    found = await data.gather(services, user, now)
    view = views.home(found)
    if view == unless:
        return
    async with services.unit(now) as unit:
        unit.send(home_message(user, view, keys.home(user, day or now.date(), refresh or uuid4().hex[:16])))
        await unit.commit()
    if learn and found.stale:
        people.learn_later(services, [user], now, then=lambda: write(services, user, now, learn=False, unless=view))


async def publish(services: Services, user: str, now: datetime) -> None:
    """Write `user`'s Home and send what the outbox holds now (the demo's and the CLI's way, with no request)."""
    await write(services, user, now, learn=False)
    await services.outbox.send_due(now)


async def opened(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
    """Write the tab, once per delivery: Slack retries an event (`X-Slack-Retry-Num`) whose first delivery it
    thinks was not answered in time, and a retry of one that was handled writes nothing new (same key)."""
    user, delivery = event.get("user"), body.get("event_id")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not _is_user(user):
        return
    sent_at = body.get("event_time")  # the same in every retry, unlike our clock
    day = (datetime.fromtimestamp(sent_at, UTC).date() if isinstance(sent_at, int) and 0 < sent_at < 2**33
           else context["now"].date())
    refresh = delivery if isinstance(delivery, str) and delivery and ":" not in delivery else None
    await write(context["services"], user, context["now"], refresh=refresh and f"event-{refresh}", day=day)


async def refresh_after(body: dict[str, Any], context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    """After a command, a button or a form, the person's Home is written again a few seconds later (once for a
    burst of clicks in this process; the outbox sends only the latest when several processes wrote one)."""
    await next()
    raw = body.get("user")
    user = raw.get("id") if isinstance(raw, dict) else body.get("user_id")
    services: Services | None = context.get("services")
    if services is not None and body.get("type") != "event_callback" and isinstance(user, str) and _is_user(user):
        services.later.soon(f"home:{user}", lambda: write(services, user, services.clock()))


def _is_user(user: str) -> bool:
    try:
        _USER.validate_python(user)
    except ValidationError:
        return False
    return True
