"""What the dispatcher sends that is not a plain Slack Web API call, by method name (`handlers.outbox.Transport`):
built here, in the composition, from the settings and the Slack client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from handlers import pagers
from handlers.escalations import tickets
from handlers.helpdesk import notes
from handlers.kpi import upload
from handlers.outbox import Transport, dispatch_client
from storage.db import SessionFactory


def transports(settings: Settings, client: AsyncWebClient, db: SessionFactory | None = None,
               clock: Callable[[], datetime] | None = None) -> dict[str, Transport]:
    """Every transport this deployment has."""
    found: dict[str, Transport] = {}
    found.update(pagers.pagerduty(settings.pagerduty_events_url))  # pages (handlers.escalations.paging)
    found.update(pagers.opsgenie(settings.opsgenie_api_url, settings.opsgenie_api_key))
    found[upload.METHOD] = upload.transport(dispatch_client(client))  # the digest's chart: three Slack calls
    found.update(tickets.assignee_dm(dispatch_client(client)))  # a linked ticket's assignee, found by email
    if db is not None and clock is not None:  # notes on linked helpdesk tickets
        found.update(notes.transports(db, clock))
    return found
