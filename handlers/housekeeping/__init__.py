"""Housekeeping: no Slack surface, one daily job (`housekeeping`) that keeps the database from growing
without bound: it forgets completed claims and sent outbox messages that no job could ever want again
(`bot.rules.retention`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.housekeeping import jobs
from handlers.jobs import Job

COMMANDS: dict[str, str] = {}
JOBS: list[Job] = [jobs.HOUSEKEEPING]


def register(app: AsyncApp) -> None:
    """Nothing to listen to."""
