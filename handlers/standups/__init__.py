"""Stand-ups (DESIGN.md 3.2): async daily check-ins in each member's own timezone."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job
from handlers.standups import actions, commands, ids, jobs
from handlers.teams import answer_picker

COMMANDS = {"/standup": "Daily async stand-ups in your own timezone: `/standup help`"}
JOBS: list[Job] = [jobs.STANDUPS]


def register(app: AsyncApp) -> None:
    app.command("/standup")(commands.standup)
    app.action(ids.START)(actions.start)
    app.action(ids.EDIT)(actions.start)
    app.action(ids.SKIP)(actions.skip)
    app.action(ids.ESCALATE_BLOCKER)(actions.escalate_blocker)
    app.view(ids.FORM)(actions.submit)
    app.view(ids.SETUP_FORM)(actions.submit_setup)
    app.action(ids.TEAM)(answer_picker(commands.answering, commands.answer_form))
    app.action(ids.SETUP_TEAM)(answer_picker(commands.running, commands.setup_view))
