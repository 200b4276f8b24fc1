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
from handlers.pulse.views.reports import (
    ALL_HIDDEN,
    DISTRIBUTION,
    HIDDEN,
    fallback_text,
    no_round_text,
    results_blocks,
    still_open_text,
)

__all__ = [
    "ALL_HIDDEN", "DISTRIBUTION", "HELP", "HIDDEN", "THANKS", "already_text", "answer_form", "ask_message",
    "closed_text", "fallback_text", "next_pulse_text", "no_round_text", "results_blocks", "setup_form",
    "status_text", "still_open_text",
]
