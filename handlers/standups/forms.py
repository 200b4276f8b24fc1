"""What the stand-up forms submitted, read and checked: answers with inline errors, and the setup form
validated by the same pydantic model as the teams YAML."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.rules.standups import Schedule, parse_day
from bot.rules.team_config import StandupConfig
from handlers.standups import ids

Values = dict[str, str | list[str] | None]
SETUP_FIELDS = {"time": ids.SETUP_TIME, "days": ids.SETUP_DAYS, "reminder_minutes": ids.SETUP_REMINDER,
                "window_hours": ids.SETUP_WINDOW, "questions": ids.SETUP_QUESTIONS, "holidays": ids.SETUP_HOLIDAYS,
                "mood": ids.SETUP_MOOD}


@dataclass
class Answer:
    answers: list[str] = field(default_factory=list)
    mood: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _text(values: Values, block: str) -> str:
    got = values.get(block)
    return got.strip() if isinstance(got, str) else ""


def read_answer(values: Values, schedule: Schedule) -> Answer:
    answer = Answer()
    for index, _question in enumerate(schedule.questions):
        block = ids.QUESTION.format(index)
        text = _text(values, block)
        if not text and index != schedule.blocker_question:
            answer.errors[block] = "Please answer this one (a few words are fine)."
        answer.answers.append(text[:3000])
    mood = _text(values, ids.MOOD)
    if mood:
        if mood not in {"1", "2", "3", "4", "5"}:
            answer.errors[ids.MOOD] = "Choose a mood from 1 to 5."
        else:
            answer.mood = int(mood)
    return answer


def read_setup(values: Values, current: StandupConfig) -> StandupConfig | dict[str, str]:
    """The new stand-up settings, or errors by block."""
    errors: dict[str, str] = {}
    holidays = []
    for line in _text(values, ids.SETUP_HOLIDAYS).splitlines():
        if line.strip():
            day = parse_day(line)
            if day is None:
                errors[ids.SETUP_HOLIDAYS] = f"`{line.strip()[:20]}` is not a date like 2026-12-25."
            else:
                holidays.append(day)
    days = values.get(ids.SETUP_DAYS)
    mood = values.get(ids.SETUP_MOOD)
    raw = {
        "time": _text(values, ids.SETUP_TIME),
        "days": days if isinstance(days, list) else [],
        "reminder_minutes": _text(values, ids.SETUP_REMINDER),
        "window_hours": _text(values, ids.SETUP_WINDOW),
        "questions": [line.strip() for line in _text(values, ids.SETUP_QUESTIONS).splitlines() if line.strip()]
        or None,
        "holidays": sorted(set(holidays)),
        "mood": isinstance(mood, list) and "mood" in mood,
    }
    if errors:
        return errors
    try:
        return StandupConfig.model_validate(raw)
    except ValidationError as error:
        for problem in error.errors():
            where = str(problem["loc"][0]) if problem["loc"] else "time"
            errors.setdefault(SETUP_FIELDS.get(where, ids.SETUP_TIME), _say(where, problem["msg"]))
        return errors


def _say(where: str, message: str) -> str:
    if where == "days":
        return "Choose at least one day."
    if where == "questions":
        return "Each question is at most 150 characters."
    return message.removeprefix("Value error, ")[:150]
