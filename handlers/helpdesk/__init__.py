"""Helpdesk sync: no Slack surface, one job (`helpdesk-sync`) that pulls each configured helpdesk's changed
tickets into the tickets table (DESIGN.md 3.3)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.helpdesk import jobs
from handlers.jobs import Job

COMMANDS: dict[str, str] = {}
JOBS: list[Job] = [jobs.HELPDESK_SYNC]


def register(app: AsyncApp) -> None:
    """Nothing to listen to."""
