"""Block Kit for what members see of the pulse: the DM that asks, the reminder, the answer form, the
setup form, and the command's short answers. Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.rules.pulse import COMMENT_MAX, DEFAULT_QUESTIONS, Question
from bot.rules.team_config import DAYS, PulseConfig
from handlers.blocks import (
    Block,
    button,
    context,
    date,
    escape,
    modal,
    option,
    radio_input,
    section,
    select_input,
    text_input,
)
from handlers.pulse import ids

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
SCALE_HINT = "1 = not at all / strongly disagree · 5 = very much / strongly agree"
ENPS_HINT = "0 = not at all likely · 10 = extremely likely"

HELP = "\n".join([
    "*`/pulse`* — the weekly anonymous check-in. Every member is asked once a week by DM; it takes two minutes.",
    "• `/pulse` — whether you have answered this week's pulse (and the form, while it is open)",
    "• `/pulse results [2026-W45] [team]` — managers: a closed round's anonymous results (the latest by "
    "default), for each team you manage or the one you name (its key or name)",
    "• `/pulse setup [team]` — managers: the day, time, how long a round stays open, the anonymity threshold "
    "and the questions (several teams: name one, or choose it in the form's *Team* picker)",
    "• `/pulse help` — this help",
    "Answers are stored without your name, your user ID or the time you answered. Managers see only "
    "averages, and only when enough people answered (the team's threshold, at least 3).",
])


def anonymity_note(min_responses: int) -> str:
    return (f":lock: Anonymous: your answers are stored without your name, ID or time, and results are shown "
            f"to managers only after the close and only if at least {min_responses} people answered.")


def ask_message(round_id: int, team: str, week: str, closes_at: datetime, min_responses: int,
                *, questions: int, reminder: bool = False) -> tuple[str, list[Block]]:
    """The DM that asks a member (or reminds them) to answer one round of `questions` questions; the button
    carries the round."""
    if reminder:
        text = f"Reminder: the {escape(team)} pulse ({week}) closes {date(closes_at)}. Two minutes, anonymous."
    else:
        text = f"Time for the weekly {escape(team)} pulse ({week}): {questions} quick questions, anonymous."
    blocks = [
        section(f":wave: {text}", accessory=button("Answer", ids.ANSWER, str(round_id), style="primary")),
        context(f"Open until {date(closes_at)}.", anonymity_note(min_responses)),
    ]
    return text, blocks


def answer_form(round_id: int, team: str, week: str, questions: Sequence[Question],
                min_responses: int) -> dict[str, Any]:
    """The modal of one round: its own questions (as the round stored them); the metadata is the round."""
    blocks: list[Block] = [context(f"*{escape(team)}* · pulse {week}", anonymity_note(min_responses))]
    for index, question in enumerate(questions):
        label = escape(question.text)
        if question.is_enps:
            blocks.append(select_input(ids.question(index), label,
                                       [option(str(v), str(v)) for v in question.values],
                                       placeholder="0 to 10"))
            blocks[-1]["hint"] = {"type": "plain_text", "text": ENPS_HINT}
        else:
            blocks.append(radio_input(ids.question(index), label,
                                      [option(str(v), str(v)) for v in question.values], hint=SCALE_HINT))
    blocks.append(text_input(ids.COMMENT, "Anything else? (optional)", multiline=True, optional=True,
                             max_length=COMMENT_MAX,
                             hint="Shown to managers word for word, with the other comments in random order. "
                                  "Leave out anything that would identify you."))
    return modal(ids.ANSWER_FORM, "Weekly pulse", blocks, submit="Send anonymously",
                 private_metadata=str(round_id))


def setup_form(teams: Sequence[tuple[str, str]], current: PulseConfig, team_key: str) -> dict[str, Any]:
    """The managers' setup modal. `teams`: (key, name) of the teams the manager runs."""
    questions = "\n".join(current.questions or DEFAULT_QUESTIONS)
    blocks: list[Block] = []
    if len(teams) > 1:  # the team picker: choosing another team shows its settings (handlers.teams)
        picker = select_input(ids.SETUP_TEAM, "Team", [option(name[:75], key) for key, name in teams],
                              initial=team_key)
        blocks.append({**picker, "dispatch_action": True})
    blocks += [
        select_input(ids.SETUP_DAY, "Day", [option(DAY_NAMES[d], d) for d in DAYS], initial=current.day),
        text_input(ids.SETUP_TIME, "Time (each member's own timezone)", initial=current.time, max_length=5,
                   placeholder="HH:MM, e.g. 14:00"),
        text_input(ids.SETUP_CLOSE, "Open for (hours)", initial=str(current.close_after_hours), max_length=3),
        text_input(ids.SETUP_MIN, "Anonymity threshold (fewest answers to show results)",
                   initial=str(current.min_responses), max_length=5,
                   hint="At least 3. Below it, managers see only the participation rate."),
        text_input(ids.SETUP_QUESTIONS, "Questions (1–5 scale), one per line", multiline=True,
                   initial=questions, max_length=5 * 151,
                   hint="3 to 5 questions. The eNPS question and the optional comment are always asked. "
                        "Changes apply from the next round; past rounds keep their questions."),
    ]
    metadata = team_key if len(teams) == 1 else ""
    return modal(ids.SETUP_FORM, "Pulse setup", blocks, submit="Save", private_metadata=metadata)


def status_text(team: str, week: str, closes_at: datetime, *, answered: bool, now: datetime) -> str:
    if answered:
        return f"You answered the {escape(team)} pulse of {week}: thank you. It closes {date(closes_at)}."
    if closes_at <= now:
        return f"The {escape(team)} pulse of {week} closed on {date(closes_at)}; you did not answer it."
    return f"You haven't answered the {escape(team)} pulse of {week} yet; it is open until {date(closes_at)}."


def next_pulse_text(team: str, config: PulseConfig) -> str:
    return (f"No {escape(team)} pulse is open right now. The next one asks on {DAY_NAMES[config.day]} at "
            f"{config.time}, your time.")


def closed_text(week: str, closes_at: datetime) -> str:
    return f"Sorry, the pulse of {week} closed on {date(closes_at)}: answers are no longer accepted."


def already_text(week: str) -> str:
    return f"You have already answered the pulse of {week}, thank you: only one answer per person is counted."


THANKS = "Thank you: your answers were stored anonymously."
