"""The `outbox` job: every minute, send what the outbox holds that is due (what a crash or an outage left;
`handlers.outbox` sends the rest as soon as it is committed)."""

from __future__ import annotations

from datetime import datetime

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job
from handlers.services import Services


async def run_outbox(services: Services, now: datetime) -> int:
    return await services.outbox.send_due(now)


OUTBOX = Job("outbox", "send the outbox's messages a crash or an outage left (every minute)", run_outbox)
COMMANDS: dict[str, str] = {}
JOBS: list[Job] = [OUTBOX]


def register(app: AsyncApp) -> None:
    """No listeners: the dispatcher is woken by commits."""
