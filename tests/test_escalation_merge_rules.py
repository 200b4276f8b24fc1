"""Merging a duplicate (bot.rules.escalation_changes.merge) as a table: what is refused and why, and what a merge
does to each side. No Slack, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.escalation_changes import EscalationState, Event, Mergeable, merge

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
OPEN = EscalationState(id=5, priority="P2", status="open", owner=None, opened_at=T0, priority_changed_at=T0)
TARGET = replace(OPEN, id=7, status="acknowledged", acknowledged_at=T0, owner="U0OWNER")
DUPLICATE = Mergeable(OPEN, team_id=1, summary="Checkout 502s")


@pytest.mark.parametrize(("duplicate", "target", "refusal"), [
    (DUPLICATE, Mergeable(OPEN, 1), "ESC-5 can't be merged into itself: pick the escalation it duplicates."),
    (DUPLICATE, Mergeable(TARGET, 2), "ESC-7 belongs to another team: only an escalation of the same team can "
                                      "take it."),
    (DUPLICATE, Mergeable(replace(TARGET, status="resolved", resolved_at=NOW), 1),
     "ESC-7 is resolved: merge into an open escalation (or reopen ESC-7 first)."),
    (DUPLICATE, None, "That escalation no longer exists: please pick another."),
    (Mergeable(replace(OPEN, status="resolved", merged_into=9), 1), Mergeable(TARGET, 1),
     "ESC-5 is already closed (merged into ESC-9)."),
    (Mergeable(replace(OPEN, status="resolved"), 1), Mergeable(TARGET, 1), "ESC-5 is already closed: reopen it first."),
])
def test_refused_merges_say_why(duplicate: Mergeable, target: Mergeable | None, refusal: str) -> None:
    assert merge(duplicate, target, "U0ME", NOW) == refusal


def test_a_merge_closes_the_duplicate_and_tells_both_timelines() -> None:
    made = merge(DUPLICATE, Mergeable(TARGET, 1), "U0ME", NOW)
    assert not isinstance(made, str)
    closed, taken = made
    assert closed.state == replace(OPEN, status="resolved", resolved_at=NOW, merged_into=7,
                                   outcome="Duplicate of ESC-7: merged into it.")
    assert closed.events == (Event("merged", "U0ME", NOW, old="ESC-5", new="ESC-7", note="Checkout 502s"),)
    assert taken.state == TARGET  # the target's clocks and status are its own
    assert taken.events == (Event("merged_in", "U0ME", NOW, old="ESC-5", new="ESC-7", note="Checkout 502s"),)
