"""`/kpi …`: the digest privately on demand, logged figures, targets and baselines.

Every answer is the slash command's own (private) response. On demand there is no chart: rendering it
would hold the acknowledgement; the daily digest carries it.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import TeamProfile
from bot.rules.kpi import BY_KEY, format_value, metric_of
from bot.rules.kpi_days import local_date
from bot.rules.kpi_plan import PLAN_DAYS, pin
from bot.rules.team_config import KpiTargets
from handlers.blocks import escape
from handlers.kpi import ids, report, views
from handlers.payloads import UNREADABLE, SlashCommand, ViewSubmission, parse
from storage import kpi

METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
USAGE = "I don't know that one. " + views.HELP
NOT_IN_A_TEAM = ("You're not in a support team yet, so I have no KPIs to show you. Ask your support manager "
                 "to add you to a team (the `members` list of the teams configuration).")
MANAGERS_ONLY = "Only the team's managers can {what}."


async def kpi_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
    """`/kpi [today|week] | log <metric> <value> [YYYY-MM-DD] | targets | baseline <metric> | help`."""
    command = parse(SlashCommand, body)
    if command is None:
        await ack(text=UNREADABLE)
        return
    word, *rest = command.text.lower().split() or [""]
    if word == "help" and not rest:
        await ack(text=views.HELP)
        return
    mine = context["directory"].teams_of(command.user_id)
    if not mine:
        await ack(text=NOT_IN_A_TEAM)
        return
    team, user = mine[0], command.user_id
    match word, rest:
        case ("" | "yesterday" | "today" | "week"), []:
            await ack(**await on_demand(context, team, word))
        case "log", [metric, value, *day] if len(day) <= 1:
            await ack(text=await log(context, team, user, metric, value, day[0] if day else None))
        case "targets", []:
            await targets(ack, client, team, user, command.trigger_id)
        case "baseline", [metric]:
            await ack(text=await baseline(context, team, user, metric))
        case _:
            await ack(text=USAGE)


async def on_demand(context: dict[str, Any], team: TeamProfile, which: str) -> dict[str, Any]:
    today = local_date(context["now"], team.timezone)
    async with context["db"]() as session:
        if which == "today":
            built = await report.daily(session, team, today, title=f"today so far ({views.short_day(today)})",
                                       monday_week=False, history_days=8)
        elif which == "week":
            first, last = today - timedelta(days=7), today - timedelta(days=1)
            built = await report.span(session, team, first, last,
                                      title=f"last 7 days ({views.short_day(first)} – {views.short_day(last)})")
        else:
            yesterday = today - timedelta(days=1)
            built = await report.daily(session, team, yesterday, title=views.day_title(yesterday), history_days=8)
    if built.figures.empty:
        return {"text": views.no_data(team, built.title)}
    text, blocks = views.digest(built)
    return {"text": text, "blocks": blocks}


def _day(raw: str | None, today: date) -> date | str:
    if raw is None:
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return f"`{escape(raw)}` is not a date: use YYYY-MM-DD, e.g. `{today.isoformat()}`."
    return day if day <= today else "That day hasn't happened yet: log figures for today or earlier."


async def log(context: dict[str, Any], team: TeamProfile, user: str, metric: str, raw_value: str,
              raw_day: str | None) -> str:
    if not team.is_manager(user):
        return MANAGERS_ONLY.format(what="log figures")
    if not METRIC_NAME.fullmatch(metric):
        return f"`{escape(metric[:64])}` can't be a metric name: use lowercase letters, digits and _, e.g. `nps`."
    if metric in BY_KEY:
        return f"`{metric}` is computed from your tickets and escalations; log only figures from elsewhere."
    try:
        value = float(raw_value.replace(",", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return f"`{escape(raw_value[:30])}` is not a number: try `/kpi log {metric} 42`."
    day = _day(raw_day, local_date(context["now"], team.timezone))
    if isinstance(day, str):
        return day
    async with context["db"]() as session:
        replaced = await kpi.log_metric(session, team.id, metric, day, value, by=user, now=context["now"])
    shown = format_value(metric_of(metric), value)
    return f"Logged *{metric}* = {shown} for {views.short_day(day)}" + (" (replacing the earlier figure)."
                                                                        if replaced else ".")


async def baseline(context: dict[str, Any], team: TeamProfile, user: str, metric: str) -> str:
    if not team.is_manager(user):
        return MANAGERS_ONLY.format(what="pin baselines")
    if not METRIC_NAME.fullmatch(metric):
        return USAGE
    today = local_date(context["now"], team.timezone)
    async with context["db"]() as session:
        pinned = pin(metric, await report.seven_days(session, team, metric, today), today)
        if pinned is None:
            return (f"There is no *{escape(metric)}* in the last 7 days, so there is nothing to pin. Metrics: "
                    + ", ".join(f"`{key}`" for key in BY_KEY) + ", or one you logged.")
        await kpi.pin_baseline(session, team.id, pinned, by=user, now=context["now"])
    shown = metric_of(metric)
    ends = today + timedelta(days=PLAN_DAYS - 1)
    return (f"Baseline pinned: *{escape(shown.label)}* {format_value(shown, pinned.value)} (the 7-day average). "
            f"For the next {PLAN_DAYS} days the digest shows it against this baseline; the digest for "
            f"{views.short_day(ends)} closes the plan with a summary.")


async def targets(ack: AsyncAck, client: AsyncWebClient, team: TeamProfile, user: str, trigger_id: str) -> None:
    if not team.is_manager(user):
        await ack(text=views.targets_text(team) + "\n_Only the team's managers can change them._")
        return
    try:
        await client.views_open(trigger_id=trigger_id, view=views.targets_form(team, team.config.kpi_targets))
    except SlackApiError as error:
        await ack(text=f"Slack would not open the targets form ({error.response.get('error')}). "
                       "Please type `/kpi targets` again.")
        return
    await ack()


async def submit_targets(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Managers' new targets, validated as the teams YAML validates them, saved in the team's settings."""
    submission = parse(ViewSubmission, body)
    team = context["directory"].find(submission.view.private_metadata) if submission else None
    if submission is None or team is None or not team.is_manager(submission.user.id):
        await ack(response_action="errors", errors={ids.FIRST_RESPONSE_MINUTES: "Only the team's managers can "
                                                                                 "change its targets."})
        return
    entered = submission.view.values()
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for block, _, _ in views.TARGET_FIELDS:
        try:
            numbers[block] = float(str(entered.get(block) or ""))
        except ValueError:
            errors[block] = "Enter a number, e.g. 60."
    try:
        targets = KpiTargets.model_validate(numbers) if not errors else None
    except ValidationError as error:
        errors = {str(item["loc"][0]): str(item["msg"]) for item in error.errors()}
        targets = None
    if targets is None:
        await ack(response_action="errors", errors=errors)
        return
    async with context["db"]() as session:
        await kpi.save_targets(session, team.id, targets, now=context["now"])
    context["services"].directory.invalidate()
    await ack()
