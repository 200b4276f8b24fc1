"""The pulse's modals, parsed: an answer set (checked against the round's own questions) and the setup
form (validated by the same `PulseConfig` as the teams YAML). Errors are keyed by block id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.rules.pulse import COMMENT_MAX, Question
from bot.rules.team_config import PulseConfig, describe
from handlers.payloads import View
from handlers.pulse import ids


@dataclass
class AnswerForm:
    answers: list[tuple[int, int]] = field(default_factory=list)
    """(question index, value), one per question."""
    comment: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View, questions: Sequence[Question]) -> AnswerForm:
        values = view.values()
        form = cls()
        for index, question in enumerate(questions):
            raw = values.get(ids.question(index))
            value = int(raw) if isinstance(raw, str) and raw.isascii() and raw.lstrip("-").isdigit() else None
            if value is None or value not in question.values:
                form.errors[ids.question(index)] = f"Please choose {question.low} to {question.high}."
            else:
                form.answers.append((index, value))
        comment = values.get(ids.COMMENT)
        if isinstance(comment, str) and comment.strip():
            if len(comment) > COMMENT_MAX:
                form.errors[ids.COMMENT] = f"Please keep the comment under {COMMENT_MAX} characters."
            form.comment = comment.strip()
        return form


FIELDS = {"day": ids.SETUP_DAY, "time": ids.SETUP_TIME, "close_after_hours": ids.SETUP_CLOSE,
          "min_responses": ids.SETUP_MIN, "questions": ids.SETUP_QUESTIONS}


@dataclass
class SetupForm:
    team_key: str | None = None
    config: PulseConfig | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> SetupForm:
        values = view.values()
        form = cls(team_key=_text(values.get(ids.SETUP_TEAM)) or view.private_metadata or None)
        raw: dict[str, object] = {"day": _text(values.get(ids.SETUP_DAY)), "time": _text(values.get(ids.SETUP_TIME))}
        for name in ("close_after_hours", "min_responses"):
            text = _text(values.get(FIELDS[name]))
            if not text.isascii() or not text.isdigit():
                form.errors[FIELDS[name]] = "Please enter a whole number."
            else:
                raw[name] = int(text)
        raw["questions"] = [line.strip() for line in _text(values.get(ids.SETUP_QUESTIONS)).splitlines()
                            if line.strip()]
        if form.errors:
            return form
        try:
            form.config = PulseConfig.model_validate(raw)
        except ValidationError as error:
            for problem in describe(error):
                path, _, message = problem.partition(": ")
                form.errors.setdefault(FIELDS.get(path.split(".")[0].split("[")[0], ids.SETUP_QUESTIONS), message)
        return form


def _text(value: str | list[str] | None) -> str:
    return value.strip() if isinstance(value, str) else ""
