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
    enps_figure,
    fallback_text,
    judged,
    no_round_text,
    noise_line,
    results_blocks,
    still_open_text,
)

__all__ = [
    "ALL_HIDDEN", "DISTRIBUTION", "HELP", "HIDDEN", "THANKS", "already_text", "answer_form", "ask_message",
    "closed_text", "enps_figure", "fallback_text", "judged", "next_pulse_text", "no_round_text", "noise_line",
    "results_blocks", "setup_form",
    "status_text", "still_open_text",
]
