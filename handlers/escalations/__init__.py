"""Escalations: `/escalate` from modal to documented outcome (DESIGN.md 3.1)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.jobs import Job

COMMANDS = {"/escalate": "Log, track and resolve an escalation: `/escalate help`"}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    pass
