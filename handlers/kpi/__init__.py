"""KPI digests (DESIGN.md 3.3): `/kpi` on demand, logged figures, targets and baselines; the daily digest,
its chart, alerts on change and the 30-day baseline summaries (job `digest`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job
from handlers.kpi import commands, ids, jobs
from handlers.teams import answer_picker

COMMANDS = {"/kpi": "Support KPIs against targets: `/kpi help`"}
JOBS: list[Job] = [jobs.DIGEST]


def register(app: AsyncApp) -> None:
    app.command("/kpi")(commands.kpi_command)
    app.view(ids.TARGETS_FORM)(commands.submit_targets)
    app.action(ids.TEAM)(answer_picker(commands.managed, commands.targets_form))
