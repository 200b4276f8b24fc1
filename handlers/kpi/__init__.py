"""kpi: (DESIGN.md 3). Being built."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job

COMMANDS = {"/kpi": "Support KPIs against targets: `/kpi help`"}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    pass
