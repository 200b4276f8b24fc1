"""Escalations: `/escalate` from modal to documented outcome (DESIGN.md 3.1)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.escalations import actions, commands, drafts, ids, jobs, merge
from handlers.jobs import Job

COMMANDS = {"/escalate": "Log, track and resolve an escalation: `/escalate help`"}
JOBS: list[Job] = [jobs.TIMERS, jobs.REVIEW]


def register(app: AsyncApp) -> None:
    app.command("/escalate")(commands.escalate)
    app.view(ids.ESCALATION_FORM)(actions.submit_escalation)

    app.action(ids.ACKNOWLEDGE)(actions.acknowledge)
    app.action(ids.ASSIGN)(actions.assign)
    app.action(ids.POST_UPDATE)(actions.open_update_form)
    app.action(ids.CHANGE_PRIORITY)(actions.open_priority_form)
    app.action(ids.RESOLVE)(actions.open_resolve_form)
    app.action(ids.REOPEN)(actions.open_reopen_form)
    app.action(ids.DRAFT_UPDATE)(drafts.open_draft)
    app.action(ids.WAIT_ON_CUSTOMER)(actions.wait_on_customer)
    app.action(ids.RESUME)(actions.resume)
    app.action(ids.MERGE)(merge.open_merge_form)

    app.view(ids.UPDATE_FORM)(actions.submit_update)
    app.view(ids.PRIORITY_FORM)(actions.submit_priority)
    app.view(ids.RESOLVE_FORM)(actions.submit_resolution)
    app.view(ids.REOPEN_FORM)(actions.submit_reopen)
    app.view(ids.DRAFT_SETUP_FORM)(drafts.write_draft)
    app.view(ids.DRAFT_FORM)(actions.submit_draft)
    app.view(ids.MERGE_FORM)(merge.submit_merge)
