"""What to do when Slack refuses a scheduled send: try again on the job's next tick, or park it.

A failure is named by one code: Slack's own error (`channel_not_found`, `ratelimited`), `http_<status>` when
Slack answered with no error code, or one of `connection_error` / `timeout` / `request_error` when no answer
came. A *permanent* failure can never succeed by waiting (the channel is gone, the bot is not in it, the
message is malformed): the unit is parked at once. Anything else is *transient* and counts toward
`MAX_ATTEMPTS`; an unknown code is transient too, so it gets every attempt before it is parked.

Parked work is never retried by the jobs; `supportbot jobs retry` sends it (see `handlers.parked`).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["permanent", "transient"]

MAX_ATTEMPTS = 5
"""Failed attempts of one unit before it is parked. Every job ticks each minute and the Web API client
already retries within a tick (5xx and connection errors twice, a 429 three times after its Retry-After),
so five attempts span about five minutes of Slack refusing one message, about twenty requests: a blip or
a short incident is absorbed without anyone noticing, and a longer one leaves the work parked and listed by
`supportbot jobs failed`, instead of a message arriving hours late or a retry loop running for ever."""

PERMANENT = frozenset({
    # where it goes
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled", "account_inactive",
    "cannot_dm_bot", "restricted_action", "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "ekm_access_denied", "team_access_not_granted", "channel_is_archived",
    # what it says
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments", "invalid_arguments",
    "invalid_attachments", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
    "message_not_found", "cant_update_message", "edit_window_closed",
    # who sends it
    "invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope", "not_allowed_token_type",
    "no_permission", "method_deprecated", "unknown_method",
    # a page PagerDuty or Opsgenie refused (handlers.pagers): malformed, or its key missing
    "invalid_event", "invalid_alert", "missing_credentials",
    # a note a helpdesk refused (handlers.helpdesk.notes), or an assignee Slack does not know by email
    "invalid_note", "ticket_not_found", "unknown_source", "users_not_found",
})
"""Codes no retry can change: the message, its destination or the token has to be fixed first."""

TRANSIENT = frozenset({
    "ratelimited", "rate_limited", "fatal_error", "internal_error", "service_unavailable", "request_timeout",
    "connection_error", "timeout", "request_error", "team_added_to_org",
})
"""Codes of a Slack that is down, slow or busy (documented for the table test; any unknown code is transient)."""


def kind_of(code: str) -> Kind:
    """Permanent or transient: `http_5xx` and `http_429` are transient like every code not in PERMANENT."""
    return "permanent" if code in PERMANENT else "transient"


def parks(code: str, attempts: int) -> bool:
    """Whether a unit whose `attempts`-th failed attempt ended with `code` is parked now."""
    return kind_of(code) == "permanent" or attempts >= MAX_ATTEMPTS
