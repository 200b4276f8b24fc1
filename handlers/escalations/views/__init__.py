"""Block Kit for escalations, pure functions from stored escalations (and stats) to Slack payloads:
`card` (the channel card, timeline sentences, reminders, DMs), `modals` (the form and the follow-up
modals) and `reports` (lists, one escalation in full, stats, the weekly review)."""

from handlers.escalations.views.card import (
    PRIORITY_ICONS,
    STATUS_LABELS,
    card_text,
    confirmation,
    describe,
    escalation_card,
    handed_over,
    label,
    ref,
    reminder_text,
    resolved_notice,
    ticket_links,
    tickets_of,
)
from handlers.escalations.views.modals import (
    escalation_form,
    merge_form,
    priority_form,
    reopen_form,
    resolve_form,
    update_form,
)
from handlers.escalations.views.reports import (
    HELP,
    LIST_MAX,
    TIMELINE_MAX,
    escalation_detail,
    escalation_items,
    escalation_list,
    stats_blocks,
    weekly_review,
)

__all__ = [
    "HELP",
    "LIST_MAX",
    "PRIORITY_ICONS",
    "STATUS_LABELS",
    "TIMELINE_MAX",
    "card_text",
    "confirmation",
    "describe",
    "escalation_card",
    "escalation_detail",
    "escalation_form",
    "escalation_items",
    "escalation_list",
    "handed_over",
    "label",
    "merge_form",
    "priority_form",
    "ref",
    "reminder_text",
    "reopen_form",
    "resolve_form",
    "resolved_notice",
    "stats_blocks",
    "ticket_links",
    "tickets_of",
    "update_form",
    "weekly_review",
]
