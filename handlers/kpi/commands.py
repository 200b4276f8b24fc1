"""`/kpi …`: the digest privately on demand, logged figures, targets and baselines.

Every answer is private. The digest on demand reads about eight days of figures (some 200 queries, 0.2-0.5 s
at 100,000 tickets on SQLite), so Slack gets its acknowledgement first and the digest follows through the
command's response_url; the other answers are the acknowledgement itself. On demand there is no chart: the
daily digest carries it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine, Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.directory import Directory, TeamProfile
from bot.rules.kpi import BY_KEY, format_value, metric_of, parse_figure
from bot.rules.kpi_days import local_date
from bot.rules.kpi_plan import PLAN_DAYS, pin
from bot.rules.roles import Can, may, refusal, teams_where
from bot.rules.team_config import KpiTargets, TeamsFile
from handlers.blocks import escape
from handlers.kpi import ids, report, views
from handlers.payloads import SlashCommand, ViewSubmission
from handlers.preamble import form_team, listener, require
from handlers.teams import team_for
from storage import kpi, teams

logger = logging.getLogger(__name__)

METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
USAGE = "I don't know that one. " + views.HELP
NOT_IN_A_TEAM = ("You're not in a support team yet, so I have no KPIs to show you. Ask your support manager "
                 "to add you to a team (the `members` list of the teams configuration).")
TRY_AGAIN = "Sorry, I couldn't work out the KPIs just now. Please try `/kpi` again in a minute."
SUB_COMMANDS = frozenset({"", "yesterday", "today", "week", "log", "baseline", "targets", "help"})
DATE_LIKE = re.compile(r"[0-9][0-9./-]*")
"""A word meant as a day (digits and separators; a team key has letters), checked as a date afterwards."""
_after_ack: set[asyncio.Task[None]] = set()
"""Digests being worked out for `/kpi` after its acknowledgement (the loop keeps only weak references)."""


@listener(SlashCommand)
async def kpi_command(ack: AsyncAck, command: SlashCommand, client: AsyncWebClient, respond: AsyncRespond,
                      context: dict[str, Any]) -> None:
    """`/kpi [today|week] [TEAM] | log <metric> <value> [YYYY-MM-DD] [TEAM] | targets [TEAM] |
    baseline <metric> [TEAM] | help`: TEAM (a key or name) for someone in several teams, else their default."""
    words = command.text.split()
    word, rest = (words[0].lower(), words[1:]) if words else ("", [])
    if word == "help" and not rest:
        await ack(text=views.HELP)
        return
    mine = context["directory"].teams_of(command.user_id)
    if not mine:
        await ack(text=NOT_IN_A_TEAM)
        return
    user = command.user_id
    parsed = _parse(word, [w.lower() for w in rest], rest, words)
    if parsed is None:
        await ack(text=USAGE)
        return
    verb, args, named = parsed
    among = (teams_where(Can.MANAGE_KPIS, mine, user) or mine) if verb in ("log", "baseline", "targets") else mine
    team = await team_for(context, user, among, argument=" ".join(named))
    if not isinstance(team, TeamProfile):
        bare = word not in SUB_COMMANDS  # `/kpi sideways`: neither a command nor one of their teams
        await ack(text=f"I don't know that one. {team}\n\n{views.HELP}" if bare else str(team))
        return
    match verb, args:
        case ("" | "yesterday" | "today" | "week"), []:
            await ack()
            _later(send_on_demand(respond, context, team, verb))
        case "log", [metric, value, *day]:
            await ack(text=await log(context, team, user, metric, value, day[0] if day else None))
        case "targets", []:
            await targets(ack, client, team, user, command.trigger_id, mine)
        case "baseline", [metric]:
            await ack(text=await baseline(context, team, user, metric))


def _parse(word: str, rest: list[str], typed: list[str], words: list[str]
           ) -> tuple[str, list[str], list[str]] | None:
    """(sub-command, its arguments, the words naming a team) of `/kpi …`; None when it is not one. The team
    comes last (`/kpi week tier2`, `/kpi log nps 42 tier2`), or alone (`/kpi tier2`)."""
    match word, rest:
        case ("" | "yesterday" | "today" | "week"), _:
            return word, [], typed
        case "log", [metric, value, *more]:
            if more and DATE_LIKE.fullmatch(more[0]):
                return word, [metric, value, more[0]], typed[3:]
            return word, [metric, value], typed[2:]
        case "baseline", [metric, *_]:
            return word, [metric], typed[1:]
        case "targets", _:
            return word, [], typed
        case _, _ if word not in SUB_COMMANDS:
            return "", [], words
    return None


def _later(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _after_ack.add(task)
    task.add_done_callback(_after_ack.discard)


async def send_on_demand(respond: AsyncRespond, context: dict[str, Any], team: TeamProfile, which: str) -> None:
    """The digest on demand, privately through the command's response_url (after the acknowledgement)."""
    try:
        message = await on_demand(context, team, which)
    except Exception:
        logger.exception("/kpi %s for team %s failed", which, team.key)
        message = {"text": TRY_AGAIN}
    try:
        await respond(response_type="ephemeral", **message)
    except Exception as error:  # an expired or missing response_url: nobody is left to tell
        logger.warning("/kpi %s for team %s not delivered: %s", which, team.key, error)


async def on_demand(context: dict[str, Any], team: TeamProfile, which: str) -> dict[str, Any]:
    today = local_date(context["now"], team.timezone)
    async with context["db"]() as session:
        if which == "today":
            built = await report.daily(session, team, today, title=f"today so far ({views.short_day(today)})",
                                       monday_week=False, history_days=8, now=context["now"])
        elif which == "week":
            first, last = today - timedelta(days=7), today - timedelta(days=1)
            built = await report.span(session, team, first, last,
                                      title=f"last 7 days ({views.short_day(first)} – {views.short_day(last)})",
                                      now=context["now"])
        else:
            yesterday = today - timedelta(days=1)
            built = await report.daily(session, team, yesterday, title=views.day_title(yesterday), history_days=8,
                                       now=context["now"])
    if built.figures.empty:
        return {"text": views.no_data(team, built.title, built.freshness)}
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
    require(Can.MANAGE_KPIS, team, user)
    if not METRIC_NAME.fullmatch(metric):
        return f"`{escape(metric[:64])}` can't be a metric name: use lowercase letters, digits and _, e.g. `nps`."
    if metric in BY_KEY:
        return f"`{metric}` is computed from your tickets and escalations; log only figures from elsewhere."
    value = parse_figure(raw_value)
    if isinstance(value, str):
        return f"{escape(value)}: try `/kpi log {metric} 42`."
    day = _day(raw_day, local_date(context["now"], team.timezone))
    if isinstance(day, str):
        return day
    async with context["db"]() as session:
        replaced = await kpi.log_metric(session, team.id, metric, day, value, by=user, now=context["now"])
        await session.commit()
    shown = format_value(metric_of(metric), value)
    return f"Logged *{metric}* = {shown} for {views.short_day(day)}" + (" (replacing the earlier figure)."
                                                                        if replaced else ".")


async def baseline(context: dict[str, Any], team: TeamProfile, user: str, metric: str) -> str:
    require(Can.MANAGE_KPIS, team, user)
    if not METRIC_NAME.fullmatch(metric):
        return USAGE
    today = local_date(context["now"], team.timezone)
    async with context["db"]() as session:
        pinned = pin(metric, await report.seven_days(session, team, metric, today), today)
        if pinned is None:
            return (f"There is no *{escape(metric)}* in the last 7 days, so there is nothing to pin. Metrics: "
                    + ", ".join(f"`{key}`" for key in BY_KEY) + ", or one you logged.")
        await kpi.pin_baseline(session, team.id, pinned, by=user, now=context["now"])
        await session.commit()
    shown = metric_of(metric)
    ends = today + timedelta(days=PLAN_DAYS - 1)
    return (f"Baseline pinned: *{escape(shown.label)}* {format_value(shown, pinned.value)} (the 7-day average). "
            f"For the next {PLAN_DAYS} days the digest shows it against this baseline; the digest for "
            f"{views.short_day(ends)} closes the plan with a summary.")


def managed(directory: Directory, user: str) -> list[TeamProfile]:
    """The teams whose targets the person may change: the targets form's team picker."""
    return teams_where(Can.MANAGE_KPIS, directory.teams_of(user), user)


async def targets_form(context: dict[str, Any], team: TeamProfile, user: str) -> dict[str, Any] | str:
    if not may(Can.MANAGE_KPIS, team, user):
        return refusal(Can.MANAGE_KPIS, team)
    return views.targets_form(team, team.config.kpi_targets, managed(context["directory"], user))


async def targets(ack: AsyncAck, client: AsyncWebClient, team: TeamProfile, user: str, trigger_id: str,
                  mine: Sequence[TeamProfile]) -> None:
    if not may(Can.MANAGE_KPIS, team, user):
        await ack(text=views.targets_text(team) + f"\n_{refusal(Can.MANAGE_KPIS, team)}_")
        return
    try:
        await client.views_open(trigger_id=trigger_id, view=views.targets_form(
            team, team.config.kpi_targets, teams_where(Can.MANAGE_KPIS, mine, user)))
    except SlackApiError as error:
        await ack(text=f"Slack would not open the targets form ({error.response.get('error')}). "
                       "Please type `/kpi targets` again.")
        return
    await ack()


@listener(ViewSubmission, field=ids.FIRST_RESPONSE_MINUTES, may=Can.MANAGE_KPIS, team=form_team)
async def submit_targets(ack: AsyncAck, submission: ViewSubmission, team: TeamProfile,
                         context: dict[str, Any]) -> None:
    """Managers' new targets, validated as the teams YAML validates them, saved in the team's settings."""
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
    updated = team.config.model_copy(update={"kpi_targets": targets})
    async with context["db"]() as session:
        await teams.apply(session, TeamsFile(teams=[updated]), now=context["now"])
        await session.commit()
    context["services"].directory.invalidate()
    await ack()
