"""Getting started: the checklist a newcomer sees in the App Home before they are in a team, and the one a
team's creator gets by DM."""

from __future__ import annotations

from datetime import datetime

from bot.rules import keys
from bot.rules.messages import Message, post
from bot.rules.team_config import TeamConfig
from handlers.blocks import Block, button, context, escape, header, section
from handlers.supportbot import ids

HELPDESK_DOCS = "see the README's *Helpdesk tickets* section"
"""Where the import and the webhook are documented."""
ASK_FOR_HELPDESK = "ask your Slack admin to connect the helpdesk"


def import_tickets(admin: bool) -> str:
    """How tickets reach the KPI digest: the shell command for a workspace admin, a sentence for anyone else."""
    if admin:
        return ("`supportbot tickets import export.csv` on the server (Zendesk, Salesforce, Intercom, Freshdesk or "
                f"the generic CSV), or point your helpdesk at the tickets webhook: {HELPDESK_DOCS}")
    return ASK_FOR_HELPDESK + " (it imports a helpdesk export or sets up the tickets webhook)"


def checklist(team: TeamConfig | None = None, *, admin: bool = True) -> list[Block]:
    """What to do next, each step one line (with a button where one helps). The import step names the shell
    command only for a Slack workspace admin (`admin`; whoever creates a team is one)."""
    where = [getattr(team.channels, name) for name in ("escalations", "standup", "digest")] if team else []
    where += [path.channel for path in team.escalation_paths] if team else []
    channels = ", ".join(f"<#{c}>" for c in dict.fromkeys(c for c in where if c)) or "the team's channels"
    first = (section(f"✅ *{escape(team.name)}* is set up.") if team else
             section("1. *Create your support team*: its people, channels and escalation paths.",
                     accessory=button("Create a team", ids.OPEN_SETUP, "new", style="primary")))
    return [
        header("Getting started with supportbot"),
        first,
        section(f"2. *Invite the bot* to private channels it should post in: `/invite @supportbot` in {channels}."),
        section("3. *Try an escalation*: type `/escalate Checkout fails for ACME` and fill in the form."),
        section(f"4. *Import tickets* for the KPI digest: {import_tickets(admin)}."),
        section("5. *Set the rhythm*: `/standup setup`, `/pulse setup` and `/kpi targets`."),
        context("`/supportbot help` lists every command."),
    ]


def welcome_team(user: str, team: TeamConfig, now: datetime) -> Message:
    """The creator's DM once a team exists: the checklist, with the team's own channels (written with the team,
    sent by the outbox)."""
    return post(keys.request_message("setup", team.key, now.date(), "welcome", user), user,
                f"{escape(team.name)} is set up: here is what comes next.", blocks=checklist(team),
                group=f"setup:{team.key}")
