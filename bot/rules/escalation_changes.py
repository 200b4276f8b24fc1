"""What each action on an escalation does, as pure functions of its current state and `now`.

Each returns a `Change`: the new state and the timeline events that say what happened. A change
that changes nothing (a double click, acknowledging what is acknowledged) has no events, and the
listener has nothing to save or show. Storage only loads and saves; it never decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.rules.escalations import Deadlines, Status, TeamPolicy, deadlines_of
from bot.rules.sla import Pause

CUSTOMER = "customer"
"""The actor of what the customer did (a reply in a linked ticket), on the timeline."""


@dataclass(frozen=True)
class EscalationState:
    """What the rules read and change of an escalation (the stored row holds the same fields)."""

    id: int
    priority: str
    status: Status
    owner: str | None
    opened_at: datetime
    priority_changed_at: datetime
    """When the SLA clocks last started: at opening, or when the priority was changed."""
    acknowledged_at: datetime | None = None
    last_update_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    root_cause: str | None = None
    customer_told: bool | None = None
    paused_at: datetime | None = None
    """Waiting on the customer since then: the update and resolution clocks are paused."""
    pauses: tuple[Pause, ...] = ()
    """The pauses that ended, oldest first: they move the update and resolution due times."""
    merged_into: int | None = None
    """Closed as a duplicate of that escalation (`merge`)."""

    def due(self, policy: TeamPolicy) -> Deadlines:
        """The SLA due times: the one place they come from (the card, the timers and the stored columns)."""
        return deadlines_of(self, policy)

    def resumed(self, now: datetime) -> EscalationState:
        """The state with the pause going on (if any) ended at `now`."""
        if self.paused_at is None:
            return self
        return replace(self, paused_at=None, pauses=(*self.pauses, (self.paused_at, max(now, self.paused_at))))


@dataclass(frozen=True)
class Event:
    """One timeline entry: who did what, when, and what changed."""

    kind: str
    actor: str
    at: datetime
    old: str | None = None
    new: str | None = None
    note: str | None = None
    customer_visible: bool = False
    """An update the customer may read (a customer-update draft uses only these); internal by default."""


@dataclass(frozen=True)
class Change:
    state: EscalationState
    events: tuple[Event, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.events)


def opened(state: EscalationState, reporter: str, summary: str) -> tuple[Event, ...]:
    """The first events of a new escalation: opened, and assigned when the reporter named an owner."""
    events = [Event("opened", reporter, state.opened_at, new=state.priority, note=summary)]
    if state.owner:
        events.append(Event("assigned", reporter, state.opened_at, new=state.owner))
    return tuple(events)


def acknowledge(state: EscalationState, by: str, now: datetime) -> Change:
    """Acknowledging stops the ack clock; an unowned escalation becomes the acknowledger's."""
    if state.status != "open":
        return Change(state)
    took = state.owner is None
    return Change(replace(state, status="acknowledged", acknowledged_at=now, owner=state.owner or by),
                  (Event("acknowledged", by, now, old="open", new="acknowledged",
                         note="took ownership" if took else None),))


def assign(state: EscalationState, by: str, owner: str, now: datetime) -> Change:
    if state.owner == owner:
        return Change(state)
    return Change(replace(state, owner=owner), (Event("assigned", by, now, old=state.owner, new=owner),))


def _resuming(state: EscalationState, by: str, now: datetime, why: str | None) -> tuple[Event, ...]:
    return (Event("resumed", by, now, note=why),) if state.paused_at is not None else ()


def post_update(state: EscalationState, by: str, text: str, now: datetime, *,
                customer_visible: bool = False) -> Change:
    """An update restarts the update clock (and ends a wait on the customer); it is internal unless the agent
    says the customer may read it."""
    return Change(replace(state.resumed(now), last_update_at=now),
                  (*_resuming(state, by, now, "an update was posted"),
                   Event("update", by, now, note=text, customer_visible=customer_visible)))


def customer_updated(state: EscalationState, by: str, text: str, now: datetime) -> Change:
    """A customer update sent from a draft: on the timeline, and the update clock restarts as for any update.
    Sent once it is resolved, it also means the customer has been told the outcome."""
    told = True if state.status == "resolved" else state.customer_told
    return Change(replace(state.resumed(now), last_update_at=now, customer_told=told),
                  (*_resuming(state, by, now, "the customer was sent an update"),
                   Event("customer_update", by, now, note=text)))


def wait_on_customer(state: EscalationState, by: str, now: datetime) -> Change:
    """Waiting on the customer (or a third party) pauses the update and resolution clocks, not the
    acknowledgement's, until an update, Resume, or the customer's reply; paused time is not elapsed."""
    if state.status == "resolved" or state.paused_at is not None:
        return Change(state)
    return Change(replace(state, paused_at=now), (Event("paused", by, now, note="waiting on the customer"),))


def resume(state: EscalationState, by: str, now: datetime, why: str | None = None) -> Change:
    """The clocks run again, their due times moved by the pause (`bot.rules.sla.paused_due`)."""
    if state.paused_at is None:
        return Change(state)
    return Change(state.resumed(now), _resuming(state, by, now, why))


def customer_replied(state: EscalationState, ticket: str, at: datetime) -> Change:
    """The customer replied in a linked ticket (as the helpdesk sync reports it): the wait is over."""
    return resume(state, CUSTOMER, at, f"the customer replied in {ticket}")


def change_priority(state: EscalationState, by: str, priority: str, reason: str, now: datetime) -> Change:
    """The SLA clocks restart at the change, under the new priority's targets."""
    if state.priority == priority:
        return Change(state)
    return Change(replace(state, priority=priority, priority_changed_at=now),
                  (Event("priority", by, now, old=state.priority, new=priority, note=reason),))


def resolve(state: EscalationState, by: str, *, outcome: str, root_cause: str, customer_told: bool,
            now: datetime) -> Change:
    if state.status == "resolved":
        return Change(state)
    return Change(replace(state.resumed(now), status="resolved", resolved_at=now, outcome=outcome,
                          root_cause=root_cause, customer_told=customer_told),
                  (Event("resolved", by, now, old=state.status, new="resolved", note=outcome),))


def reopen(state: EscalationState, by: str, reason: str, now: datetime) -> Change:
    """A reopened escalation is acknowledged again if it had been; its clocks run on as before."""
    if state.status != "resolved":
        return Change(state)
    status: Status = "acknowledged" if state.acknowledged_at else "open"
    return Change(replace(state, status=status, resolved_at=None),
                  (Event("reopened", by, now, old="resolved", new=status, note=reason),))


@dataclass(frozen=True)
class Mergeable:
    """One side of a merge: the escalation's state, its team and its summary."""

    state: EscalationState
    team_id: int
    summary: str = ""


def merge(duplicate: Mergeable, target: Mergeable | None, by: str, now: datetime) -> tuple[Change, Change] | str:
    """Close `duplicate` as merged into `target`, an open escalation of the same team: the duplicate is resolved
    (its outcome says where it went) and the target's timeline says what came in. A refusal is a sentence."""
    dup, into = duplicate.state, target.state if target else None
    if dup.status == "resolved":
        return f"ESC-{dup.id} is already closed" + (f" (merged into ESC-{dup.merged_into})." if dup.merged_into
                                                    else ": reopen it first.")
    if target is None or into is None:
        return "That escalation no longer exists: please pick another."
    if into.id == dup.id:
        return f"ESC-{dup.id} can't be merged into itself: pick the escalation it duplicates."
    if target.team_id != duplicate.team_id:
        return f"ESC-{into.id} belongs to another team: only an escalation of the same team can take it."
    if into.status == "resolved":
        return f"ESC-{into.id} is resolved: merge into an open escalation (or reopen ESC-{into.id} first)."
    closed = replace(dup, status="resolved", resolved_at=now, merged_into=into.id,
                     outcome=f"Duplicate of ESC-{into.id}: merged into it.")
    return (Change(closed, (Event("merged", by, now, old=f"ESC-{dup.id}", new=f"ESC-{into.id}",
                                  note=duplicate.summary),)),
            Change(into, (Event("merged_in", by, now, old=f"ESC-{dup.id}", new=f"ESC-{into.id}",
                                note=duplicate.summary),)))
