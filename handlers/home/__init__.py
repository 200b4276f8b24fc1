"""App Home (DESIGN.md 3.5): one place that shows each person what needs them. Published when they open
the tab, and again a few seconds after anything they do with supportbot (one `views.publish` for a burst)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.rules import claim_keys
from handlers.delivery import once
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


async def publish(services: Services, user: str, now: datetime) -> None:
    view = views.home(await data.gather(services, user, now))
    try:
        await services.client.views_publish(user_id=user, view=view)
    except SlackApiError as error:
        log.warning("App Home for %s not published (Slack said %s)", user, error.response.get("error"))


async def opened(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
    """Publish the tab, once per delivery: Slack retries an event (`X-Slack-Retry-Num`) whose first
    delivery it thinks was not answered in time, and a retry of one that was handled changes nothing."""
    user, delivery = event.get("user"), body.get("event_id")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not _is_user(user):
        return
    services: Services = context["services"]
    if not isinstance(delivery, str) or not delivery:
        await publish(services, user, context["now"])
        return

    async def send() -> bool:
        await publish(services, user, context["now"])
        return True

    sent_at = body.get("event_time")  # the same in every retry, unlike our clock
    day = (datetime.fromtimestamp(sent_at, UTC).date() if isinstance(sent_at, int) and 0 < sent_at < 2**33
           else context["now"].date())
    async with services.db() as session:
        await once(session, claim_keys.slack_event(delivery, day), send, now=context["now"])


async def refresh_after(body: dict[str, Any], context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    """After a command, a button or a form, the person's App Home is republished a few seconds later."""
    await next()
    raw = body.get("user")
    user = raw.get("id") if isinstance(raw, dict) else body.get("user_id")
    services: Services | None = context.get("services")
    if services is not None and body.get("type") != "event_callback" and isinstance(user, str) and _is_user(user):
        services.later.soon(f"home:{user}", lambda: publish(services, user, services.clock()))


def _is_user(user: str) -> bool:
    try:
        _USER.validate_python(user)
    except ValidationError:
        return False
    return True
