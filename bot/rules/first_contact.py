"""First-contact resolution (FCR): the one definition the KPI series (the digest, `/kpi`) and the digest's
contributors use.

A solved ticket is resolved at first contact when the agents replied at most once and it was never reopened.
A ticket whose reply count the helpdesk did not give is not counted either way. FCR % is resolved at first
contact of the solved tickets whose reply count is known.

Pure: plain values in, a verdict out. Storage counts the same condition in SQL (`storage.kpi_types.
first_contact`, built from these constants); a test checks the two agree row by row.
"""

from __future__ import annotations

MAX_AGENT_REPLIES = 1
MAX_REOPENS = 0


def first_contact_resolved(agent_replies: int | None, reopens: int) -> bool | None:
    """True or False for a solved ticket; None when its agent replies are unknown."""
    if agent_replies is None:
        return None
    return agent_replies <= MAX_AGENT_REPLIES and reopens <= MAX_REOPENS


def percent(resolved_first: int, known: int) -> float | None:
    return 100 * resolved_first / known if known else None
