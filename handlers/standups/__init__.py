"""standups: (DESIGN.md 3). Being built."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job

COMMANDS = {"/standup": "Daily async stand-ups in your own timezone: `/standup help`"}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    pass
