"""The prioritisation scorecard (the manager's playbook): `/prioritize`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.jobs import Job
from handlers.prioritize import commands, ids
from handlers.teams import answer_picker

COMMANDS = {"/prioritize": "Score and rank the team's improvement initiatives: `/prioritize help`"}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    app.command("/prioritize")(commands.prioritize)
    app.view(ids.PROPOSE_FORM)(commands.submit_proposal)
    app.view(ids.SCORE_FORM)(commands.submit_score)
    app.view(ids.TRACK_FORM)(commands.submit_tracking)
    app.action(ids.TEAM)(answer_picker(commands.proposing, commands.propose_view))
