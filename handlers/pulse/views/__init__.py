"""Block Kit for the pulse: `prompts` (the DM, the reminder, the answer and setup forms, short answers)
and `reports` (a closed round's results, a roll-up across teams)."""

from handlers.pulse.views.prompts import (
    HELP,
    THANKS,
    already_text,
    answer_form,
    ask_message,
    closed_text,
    next_pulse_text,
    setup_form,
    status_text,
)
from handlers.pulse.views.reports import HIDDEN, fallback_text, results_blocks

__all__ = [
    "HELP", "HIDDEN", "THANKS", "already_text", "answer_form", "ask_message", "closed_text", "fallback_text",
    "next_pulse_text", "results_blocks", "setup_form", "status_text",
]
