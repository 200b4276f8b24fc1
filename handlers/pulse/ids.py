"""Block Kit identifiers of the pulse feature, shared by builders, listeners and tests."""

# Modals (callback_id)
ANSWER_FORM = "pulse.answer"
SETUP_FORM = "pulse.setup"

# Buttons (action_id)
ANSWER = "pulse.open_answer"

# Input blocks of the answer form: one per question (`q0`, `q1`, …), then the comment
QUESTION_PREFIX = "q"
COMMENT = "comment"

# Input blocks of the setup form
SETUP_TEAM = "team"
"""The setup form's team picker (block and action), when the manager runs several teams."""
SETUP_DAY = "day"
SETUP_TIME = "time"
SETUP_CLOSE = "close_after_hours"
SETUP_MIN = "min_responses"
SETUP_QUESTIONS = "questions"


def question(index: int) -> str:
    return f"{QUESTION_PREFIX}{index}"
