"""Pulse surveys: the weekly anonymous check-in (DESIGN.md 3.4)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job
from handlers.pulse import actions, commands, ids, jobs
from handlers.teams import answer_picker

COMMANDS = {"/pulse": "The weekly anonymous pulse check-in: `/pulse help`"}
JOBS: list[Job] = [jobs.PULSE]


def register(app: AsyncApp) -> None:
    app.command("/pulse")(commands.pulse_command)
    app.action(ids.ANSWER)(actions.open_answer_form)
    app.view(ids.ANSWER_FORM)(actions.submit_answers)
    app.view(ids.SETUP_FORM)(actions.submit_setup)
    app.action(ids.SETUP_TEAM)(answer_picker(commands.running, commands.setup_view))
