"""Slack surface, one folder per feature. Each feature module offers:

- `register(app)`: wire its listeners (commands, actions, views, events);
- `COMMANDS`: slash command -> one-line description, for `/supportbot help`;
- `JOBS`: its scheduled jobs.
"""

from __future__ import annotations

from types import ModuleType

from slack_bolt.async_app import AsyncApp

from handlers import dispatch, escalations, helpdesk, home, housekeeping, kpi, prioritize, pulse, standups, supportbot
from handlers.jobs import Job

FEATURES: tuple[ModuleType, ...] = (supportbot, escalations, standups, pulse, kpi, prioritize, home, housekeeping,
                                    helpdesk, dispatch)


def register_all(app: AsyncApp) -> None:
    for feature in FEATURES:
        feature.register(app)


def all_jobs() -> list[Job]:
    return [job for feature in FEATURES for job in feature.JOBS]


def all_commands() -> dict[str, str]:
    return {command: text for feature in FEATURES for command, text in feature.COMMANDS.items()}
