"""`/supportbot`: what the bot can do, and setting a team up from Slack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.blocks import escape
from handlers.jobs import Job
from handlers.payloads import UNREADABLE, ButtonClick, SlashCommand
from handlers.preamble import Refused, listener
from handlers.supportbot import ids, setup

COMMANDS = {"/supportbot": "What supportbot can do, and setting up a team: `/supportbot help`"}
JOBS: list[Job] = []
GROUPS = (
    ("Escalations", "/escalate", "`/escalate [summary]` log one · `list` · `mine` · `ESC-42` · `stats [7d|30d|90d]`"),
    ("Stand-ups", "/standup", "`/standup` answer today's · `skip` · `away FIRST [LAST]` · `back` · "
                              "`report [YYYY-MM-DD]` · `setup`"),
    ("Pulse", "/pulse", "`/pulse` answer this week's (or see that you did) · `results [round]` · `setup`"),
    ("KPIs", "/kpi", "`/kpi` yesterday's digest · `today` · `week` · `log <metric> <value> [YYYY-MM-DD]` · "
                     "`targets` · `baseline <metric>`"),
    ("Priorities", "/prioritize", "`/prioritize` propose an initiative · `score <id>` · `list` · `share` · "
                                  "`done|drop <id> <outcome>`"),
    ("Your team", "/supportbot", "`/supportbot setup` edit your team · `/supportbot setup new` create one "
                                 "(workspace admins) · `/supportbot setup KEY` edit team KEY"),
)
HELP = "\n".join(["*supportbot* runs your support team's rhythm in Slack:",
                  *[f"*{name}*: {usage}" for name, _, usage in GROUPS],
                  "Every command answers `help` with its usage, e.g. `/escalate help`. "
                  "The *Home* tab shows what needs you today."])


def register(app: AsyncApp) -> None:
    app.command("/supportbot")(supportbot)
    app.view(ids.SETUP_FORM)(setup.submit_setup)
    app.action(ids.OPEN_SETUP)(open_setup_from_button)


@listener(SlashCommand)
async def supportbot(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient, context: dict[str, Any]) -> None:
    word, _, rest = " ".join(command.text.split()).partition(" ")
    match word.lower():
        case "" | "help" if not rest:
            await ack(text=HELP)
        case "setup" if " " not in rest:
            form = await setup.form_for(context["services"], context["directory"], command.user_id, rest.lower(),
                                        context["now"])
            opened = form if isinstance(form, str) else await setup.open_form(client, form, command.trigger_id)
            await ack(text=opened or "")
        case _:
            await ack(text=f"I don't know `{escape(command.text.strip()[:50])}`. Here is what I can do:\n{HELP}")


@listener(ButtonClick)
async def open_setup_from_button(ack: AsyncAck, click: ButtonClick, client: AsyncWebClient,
                                 context: dict[str, Any]) -> None:
    """"Create a team" on the getting-started checklist."""
    await ack()
    if click.trigger_id is None:
        raise Refused(UNREADABLE)
    form = await setup.form_for(context["services"], context["directory"], click.user.id, "new", context["now"])
    refusal = form if isinstance(form, str) else await setup.open_form(client, form, click.trigger_id)
    if refusal:
        raise Refused(refusal)
