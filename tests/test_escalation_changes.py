"""What each action does to an escalation, as tables: the state before, the action, the state after and
the timeline events it records. No Slack, no database, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules import escalation_changes as rules
from bot.rules.escalation_changes import Change, EscalationState, Event
from bot.rules.escalations import TeamPolicy, deadlines, running_clocks
from bot.rules.sla import DEFAULT_POLICIES, BusinessHours

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=10)
NEW = EscalationState(id=7, priority="P1", status="open", owner=None, opened_at=T0, priority_changed_at=T0)
OWNED = replace(NEW, owner="U0OWNER")
ACKED = replace(NEW, status="acknowledged", acknowledged_at=T0 + timedelta(minutes=5), owner="U0OWNER")
RESOLVED = replace(ACKED, status="resolved", resolved_at=T0 + timedelta(hours=1), outcome="Fixed",
                   root_cause="outage", customer_told=True)
REOPENABLE_UNACKED = replace(NEW, status="resolved", resolved_at=T0 + timedelta(hours=1), outcome="Fixed")
POLICY = TeamPolicy(DEFAULT_POLICIES, BusinessHours(), ZoneInfo("America/New_York"))


def ack(state: EscalationState) -> Change:
    return rules.acknowledge(state, "U0ME", LATER)


@pytest.mark.parametrize(("before", "action", "after", "events"), [
    # Acknowledging stops the ack clock; an unowned escalation becomes the acknowledger's.
    (NEW, ack, replace(NEW, status="acknowledged", acknowledged_at=LATER, owner="U0ME"),
     [Event("acknowledged", "U0ME", LATER, "open", "acknowledged", "took ownership")]),
    (OWNED, ack, replace(OWNED, status="acknowledged", acknowledged_at=LATER),
     [Event("acknowledged", "U0ME", LATER, "open", "acknowledged")]),
    (ACKED, ack, ACKED, []),  # a double click changes nothing
    (RESOLVED, ack, RESOLVED, []),
    # Assigning changes the owner once.
    (NEW, lambda s: rules.assign(s, "U0ME", "U0OWNER", LATER), OWNED,
     [Event("assigned", "U0ME", LATER, None, "U0OWNER")]),
    (OWNED, lambda s: rules.assign(s, "U0ME", "U0OTHER", LATER), replace(OWNED, owner="U0OTHER"),
     [Event("assigned", "U0ME", LATER, "U0OWNER", "U0OTHER")]),
    (OWNED, lambda s: rules.assign(s, "U0ME", "U0OWNER", LATER), OWNED, []),
    # A customer update restarts the update clock, every time.
    (ACKED, lambda s: rules.post_update(s, "U0ME", "Rolled back", LATER), replace(ACKED, last_update_at=LATER),
     [Event("update", "U0ME", LATER, note="Rolled back")]),
    # A priority change restarts the clocks under the new priority.
    (NEW, lambda s: rules.change_priority(s, "U0ME", "P3", "Only one customer", LATER),
     replace(NEW, priority="P3", priority_changed_at=LATER),
     [Event("priority", "U0ME", LATER, "P1", "P3", "Only one customer")]),
    (NEW, lambda s: rules.change_priority(s, "U0ME", "P1", "same", LATER), NEW, []),
    # Resolving documents the outcome, once.
    (ACKED, lambda s: rules.resolve(s, "U0ME", outcome="Fixed", root_cause="outage", customer_told=True,
                                    now=T0 + timedelta(hours=1)), RESOLVED,
     [Event("resolved", "U0ME", T0 + timedelta(hours=1), "acknowledged", "resolved", "Fixed")]),
    (RESOLVED, lambda s: rules.resolve(s, "U0ME", outcome="Again", root_cause="other", customer_told=False,
                                       now=LATER), RESOLVED, []),
    # Reopening goes back to where it was: acknowledged if it had been.
    (RESOLVED, lambda s: rules.reopen(s, "U0ME", "It broke again", LATER),
     replace(RESOLVED, status="acknowledged", resolved_at=None),
     [Event("reopened", "U0ME", LATER, "resolved", "acknowledged", "It broke again")]),
    (REOPENABLE_UNACKED, lambda s: rules.reopen(s, "U0ME", "Not fixed", LATER),
     replace(REOPENABLE_UNACKED, status="open", resolved_at=None),
     [Event("reopened", "U0ME", LATER, "resolved", "open", "Not fixed")]),
    (ACKED, lambda s: rules.reopen(s, "U0ME", "?", LATER), ACKED, []),
], ids=lambda value: getattr(value, "__name__", None) if callable(value) else None)
def test_each_action(before: EscalationState, action: object, after: EscalationState, events: list[Event]) -> None:
    change = action(before)  # type: ignore[operator]
    assert change.state == after
    assert list(change.events) == events
    assert change.changed is bool(events)


@pytest.mark.parametrize(("owner", "kinds"), [(None, ["opened"]), ("U0OWNER", ["opened", "assigned"])])
def test_opening_records_who_logged_it_and_a_named_owner(owner: str | None, kinds: list[str]) -> None:
    events = rules.opened(replace(NEW, owner=owner), "U0REPORTER", "Checkout fails")
    assert [e.kind for e in events] == kinds
    assert events[0] == Event("opened", "U0REPORTER", T0, new="P1", note="Checkout fails")


@pytest.mark.parametrize("state", [
    NEW, ACKED, replace(ACKED, last_update_at=T0 + timedelta(minutes=40)),
    replace(NEW, priority="P3", priority_changed_at=T0 + timedelta(hours=2)),
])
def test_due_times_come_from_one_function(state: EscalationState) -> None:
    """What the card shows (state.due) and what the timers run (running_clocks) agree."""
    due = state.due(POLICY)
    assert due == deadlines(POLICY, state.priority, state.priority_changed_at, state.last_update_at)
    by_clock = {clock.name: POLICY.due(clock.started, clock.duration, state.priority)
                for clock in running_clocks(state, POLICY)}
    assert by_clock["update"] == due.update_due and by_clock["resolve"] == due.resolve_due
    if state.status == "open":
        assert by_clock["ack"] == due.ack_due
