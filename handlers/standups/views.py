"""Stand-up messages and modals: pure builders from stand-up data to Block Kit. Names are shown as plain
text (escaped), never as @-mentions: nobody is pinged by a stand-up report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.rules.directory import TeamProfile
from bot.rules.standups import PLAN, Schedule, Summary
from bot.rules.team_config import DAYS, StandupConfig
from handlers.blocks import (
    Block,
    button,
    checkbox_input,
    clip,
    context,
    divider,
    escape,
    header,
    modal,
    option,
    section,
    select_input,
    text_input,
)
from handlers.standups import ids
from handlers.teams import picker

ANSWER_MAX = 3000
BLOCKERS_SHOWN = 30
"""Blockers with their own Escalate button; more are listed in one section (Slack: 50 blocks a message)."""
MOODS = {1: "1 · rough", 2: "2 · meh", 3: "3 · okay", 4: "4 · good", 5: "5 · great"}
HELP = "\n".join([
    "*/standup* — your daily stand-up, in your own timezone:",
    "• `/standup` — answer today's stand-up (or edit today's answer)",
    "• `/standup skip` — skip today: no prompt, no reminder",
    "• `/standup away 2026-12-24 2027-01-02` — days off (one date, or first and last); `/standup back` ends them",
    "• `/standup report [YYYY-MM-DD]` — a day's summary, just for you",
    "• `/standup setup` — managers: time, days, questions, reminder, window, holidays",
    "In several teams? Name one last (its key or name): `/standup tier2`, `/standup report tier2`, "
    "`/standup setup tier2`, or choose it in the form's *Team* picker. It stays your default until you choose another.",
    "Your Slack status counts too: :palm_tree:, :face_with_thermometer:, or a status like “Vacation” or “OOO” "
    "means you are away that day, and you are not prompted.",
])


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def metadata(team_key: str, day: date) -> str:
    return json.dumps({"team": team_key, "day": day.isoformat()})


def button_value(team_key: str, day: date) -> str:
    return f"{team_key}|{day.isoformat()}"


def prompt(team_name: str, team_key: str, day: date, *, state: str = "open",
           channel: str | None = None) -> tuple[str, list[Block]]:
    """The DM: Start and Skip today; after an answer, Edit; after a skip, Answer anyway."""
    value = button_value(team_key, day)
    where = f" in <#{channel}>" if channel else ""
    if state == "answered":
        text = f"Thanks! Your {escape(team_name)} stand-up for {day_label(day)} is posted{where}."
        actions = [button("Edit", ids.EDIT, value)]
    elif state == "skipped":
        text = f"Skipped: no reminder today for your {escape(team_name)} stand-up ({day_label(day)})."
        actions = [button("Answer anyway", ids.START, value)]
    else:
        text = f"Time for your *{escape(team_name)}* stand-up for {day_label(day)}. It takes two minutes."
        actions = [button("Start", ids.START, value, style="primary"), button("Skip today", ids.SKIP, value)]
    return text, [section(text), {"type": "actions", "elements": actions}]


def reminder(team_name: str, team_key: str, day: date, nudge: str) -> tuple[str, list[Block]]:
    text = f"Reminder: your {escape(team_name)} stand-up for {day_label(day)} is open. {nudge}"
    value = button_value(team_key, day)
    return text, [section(text), {"type": "actions", "elements": [
        button("Start", ids.START, value, style="primary"), button("Skip today", ids.SKIP, value)]}]


def form(schedule: Schedule, team_key: str, team_name: str, day: date, *, previous_plan: str | None,
         answers: Sequence[str] = (), mood: int | None = None, teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """`teams`: those the member answers in (a team picker first, when several)."""
    chosen = [team for team in teams if team.key == team_key]
    blocks: list[Block] = [*(picker(ids.TEAM, teams, chosen[0]) if chosen else []),
                           context(f"*{escape(team_name)}* · {day_label(day)}")]
    if previous_plan:
        blocks.append(context(f"Your plan last time: {escape(clip(previous_plan, 2500))}"))
    for index, question in enumerate(schedule.questions):
        initial = answers[index] if index < len(answers) else None
        blocks.append(text_input(ids.QUESTION.format(index), question, multiline=True, initial=initial,
                                 optional=index == schedule.blocker_question, max_length=ANSWER_MAX))
    if schedule.mood:
        blocks.append(select_input(ids.MOOD, "How are you feeling? (optional)",
                                   [option(text, str(value)) for value, text in MOODS.items()],
                                   initial=str(mood) if mood else None, optional=True))
    return modal(ids.FORM, "Stand-up", blocks, submit="Post" if not answers else "Save",
                 private_metadata=metadata(team_key, day))


def reply(name: str, questions: Sequence[str], answers: Sequence[str], mood: int | None) -> tuple[str, list[Block]]:
    """One member's answers, a thread reply under the day's parent message."""
    blocks: list[Block] = [section(f"*{escape(name)}*")]
    for question, answer in zip(questions, answers, strict=False):
        if answer.strip():
            blocks.append(section(f"*{escape(question)}*\n{escape(clip(answer, ANSWER_MAX - 200))}"))
    if mood:
        blocks.append(context(f"Mood: {MOODS.get(mood, str(mood))}"))
    return f"{escape(name)} answered the stand-up", blocks


def parent(team_key: str, team_name: str, day: date, summary: Summary, names: Mapping[str, str], *,
           closed: bool) -> tuple[str, list[Block]]:
    """The day's message in the report channel: progress while open, the summary once the window closed."""
    title = f"Stand-up · {day_label(day)}"
    text = f"{escape(team_name)} {title}: {summary.progress}"
    blocks: list[Block] = [header(title), context(f"{escape(team_name)} · {summary.progress}")]
    if not closed:
        blocks.append(context("Answers are in the thread."))
        return text, blocks
    return text, blocks + summary_blocks(summary, names, team_key)


def summary_blocks(summary: Summary, names: Mapping[str, str], team_key: str) -> list[Block]:
    def who(users: Sequence[str]) -> str:
        return clip(", ".join(escape(names.get(user, user)) for user in users), 2900) or "nobody"

    blocks: list[Block] = []
    if summary.blockers:
        blocks.append(section(f":warning: *Blockers ({len(summary.blockers)})*"))
        for index, blocker in enumerate(summary.blockers[:BLOCKERS_SHOWN]):
            text = f"*{escape(names.get(blocker.user_id, blocker.user_id))}*: {escape(clip(blocker.text, 2500))}"
            blocks.append(section(text, accessory=button("Escalate", ids.ESCALATE_BLOCKER,
                                                         f"{team_key}|{summary.day.isoformat()}|{blocker.user_id}"),
                                  block_id=f"blocker_{index}"))
        rest = summary.blockers[BLOCKERS_SHOWN:]
        if rest:
            blocks.append(section(clip("\n".join(
                f"*{escape(names.get(b.user_id, b.user_id))}*: {escape(clip(b.text, 200))}" for b in rest), 2900)))
        blocks.append(divider())
    else:
        blocks.append(section(":white_check_mark: No blockers."))
    lines = [f"*Answered ({len(summary.answered)})*: {who(summary.answered)}"]
    if summary.skipped:
        lines.append(f"*Skipped ({len(summary.skipped)})*: {who(summary.skipped)}")
    if summary.away:
        lines.append(f"*Away ({len(summary.away)})*: {who(summary.away)}")
    if summary.missed:
        lines.append(f"*Missed ({len(summary.missed)})*: {who(summary.missed)}")
    reasons: dict[str, list[str]] = {}
    for why in summary.not_asked:
        reasons.setdefault(why.why, []).append(why.user_id)
    for reason, users in reasons.items():
        lines.append(f"*Not asked ({len(users)})*: {who(users)} ({escape(reason)})")
    blocks += [section(clip(line, 3000)) for line in lines]
    if summary.mood is not None:
        blocks.append(context(f"Average mood {summary.mood:.1f} / 5 from {summary.moods} people"))
    return blocks


def setup_form(team_key: str, team_name: str, config: StandupConfig, questions: Sequence[str], *,
               teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """`teams`: those whose stand-up the manager runs (a team picker first, when several)."""
    chosen = [team for team in teams if team.key == team_key]
    blocks: list[Block] = [
        *(picker(ids.SETUP_TEAM, teams, chosen[0]) if chosen else []),
        context(f"Stand-up for *{escape(team_name)}*. Times are each member's own, from their Slack timezone."),
        text_input(ids.SETUP_TIME, "Time (HH:MM)", initial=config.time, max_length=5),
        checkbox_input(ids.SETUP_DAYS, "Days", [option(day.capitalize(), day) for day in DAYS],
                       initial=config.days, optional=False),
        text_input(ids.SETUP_REMINDER, "Reminder after (minutes, 0 for none)", initial=str(config.reminder_minutes),
                   max_length=4),
        text_input(ids.SETUP_WINDOW, "Window (hours)", initial=str(config.window_hours), max_length=2),
        text_input(ids.SETUP_QUESTIONS, "Questions, one a line", multiline=True, initial="\n".join(questions),
                   max_length=1500),
        text_input(ids.SETUP_HOLIDAYS, "Team holidays (YYYY-MM-DD, one a line)", multiline=True, optional=True,
                   initial="\n".join(day.isoformat() for day in config.holidays), max_length=3000),
        checkbox_input(ids.SETUP_MOOD, "Mood", [option("Ask for an optional mood 1–5", "mood")],
                       initial=["mood"] if config.mood else []),
    ]
    return modal(ids.SETUP_FORM, "Stand-up setup", blocks, submit="Save", private_metadata=team_key)


def plan_of(answers: Sequence[str]) -> str | None:
    return answers[PLAN] if len(answers) > PLAN else None
