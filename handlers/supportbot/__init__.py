"""`/supportbot`: what the bot can do."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from handlers.jobs import Job

COMMANDS = {"/supportbot": "What supportbot can do: `/supportbot help`"}
JOBS: list[Job] = []


def register(app: AsyncApp) -> None:
    app.command("/supportbot")(show_help)


async def show_help(ack: AsyncAck, command: dict[str, Any]) -> None:
    from handlers import all_commands  # the catalogue of every feature, built after all are imported

    argument = command.get("text", "").strip().lower()
    lines = ["*supportbot* runs your support team's rhythm in Slack:"]
    lines += [f"• `{name}` — {text}" for name, text in all_commands().items() if name != "/supportbot"]
    lines.append("Type `help` after any command for its usage, e.g. `/escalate help`.")
    if argument not in ("", "help"):
        lines.insert(0, f"I don't know `{argument}`. Here is what I can do:")
    await ack(text="\n".join(lines))  # a slash command's ack body is shown only to the caller
