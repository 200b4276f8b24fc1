"""Reading the escalation modals: each form turns `view.state.values` into checked values, or
into errors keyed by the input block they belong to (for `response_action: errors`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.rules.escalations import ROOT_CAUSES
from bot.rules.linked_tickets import TicketRef, parse_ticket_refs
from bot.rules.sla import IMPACTS, PRIORITIES, SEVERITIES, URGENCIES, priority
from handlers.escalations import ids
from handlers.payloads import View, as_number

SUMMARY_MAX = 150
CUSTOMER_MAX = 200
DETAILS_MAX = 3000
UPDATE_MAX = 3000
AUDIENCES = ("internal", "customer")
"""Who may read a posted update: the team only (the default), or the customer too."""
OWNER = re.compile(r"[UW][A-Z0-9]{2,31}")  # what the user picker gives


Values = dict[str, str | list[str] | None]


def _text(got: Values, block: str) -> str:
    value = got.get(block)
    return value if isinstance(value, str) else ""


def _required_text(got: Values, block: str, what: str, limit: int, errors: dict[str, str]) -> str:
    text = _text(got, block)
    if not text:
        errors[block] = f"Please enter {what}."
    elif len(text) > limit:
        errors[block] = f"Keep it to {limit} characters (this is {len(text)})."
    return text


def _choice(got: Values, block: str, allowed: tuple[str, ...] | list[str], what: str,
            errors: dict[str, str]) -> str:
    choice = _text(got, block)
    if choice not in allowed:
        errors[block] = f"Please choose {what}."
        return ""
    return str(choice)


@dataclass
class EscalationForm:
    customer: str = ""
    summary: str = ""
    details: str = ""
    tickets: list[TicketRef] = field(default_factory=list)
    severity: str = ""
    impact: str = ""
    urgency: str = ""
    path_id: int = 0
    owner: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def priority(self) -> str:
        return priority(self.severity, self.impact, self.urgency)

    @classmethod
    def from_view(cls, view: View) -> EscalationForm:
        got, errors = view.values(), dict[str, str]()
        form = cls(errors=errors)
        form.customer = _required_text(got, ids.CUSTOMER, "the customer or account", CUSTOMER_MAX, errors)
        form.summary = _required_text(got, ids.SUMMARY, "a one-line summary", SUMMARY_MAX, errors)
        form.details = _text(got, ids.DETAILS)
        if len(form.details) > DETAILS_MAX:
            errors[ids.DETAILS] = f"Keep the details to {DETAILS_MAX} characters (this is {len(form.details)})."
        form.tickets, problems = parse_ticket_refs(_text(got, ids.TICKETS) or None)
        if problems:
            errors[ids.TICKETS] = " ".join(problems)[:2000]
        form.severity = _choice(got, ids.SEVERITY, SEVERITIES, "a severity", errors)
        form.impact = _choice(got, ids.IMPACT, IMPACTS, "the customer impact", errors)
        form.urgency = _choice(got, ids.URGENCY, URGENCIES, "how time-sensitive it is", errors)
        path = as_number(got.get(ids.PATH))
        if path is None:
            errors[ids.PATH] = "Please choose where to route this escalation."
        else:
            form.path_id = path
        owner = _text(got, ids.OWNER)
        if owner and not OWNER.fullmatch(owner):
            errors[ids.OWNER] = "Please choose the owner from the list of people."
        form.owner = owner or None
        return form


@dataclass
class UpdateForm:
    text: str = ""
    customer_visible: bool = False
    """The agent chose "may be shared with the customer"; internal otherwise (and when the choice is absent)."""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> UpdateForm:
        got, errors = view.values(), dict[str, str]()
        text = _required_text(got, ids.UPDATE_TEXT, "the update", UPDATE_MAX, errors)
        audience = _text(got, ids.UPDATE_AUDIENCE) or AUDIENCES[0]
        if audience not in AUDIENCES:
            errors[ids.UPDATE_AUDIENCE] = "Please choose who may read the update."
        return cls(text=text, customer_visible=audience == "customer", errors=errors)


@dataclass
class PriorityForm:
    priority: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> PriorityForm:
        got, errors = view.values(), dict[str, str]()
        chosen = _choice(got, ids.NEW_PRIORITY, PRIORITIES, "a priority", errors)
        reason = _required_text(got, ids.REASON, "why the priority changes", 500, errors)
        return cls(priority=chosen, reason=reason, errors=errors)


@dataclass
class ResolveForm:
    outcome: str = ""
    root_cause: str = ""
    customer_told: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> ResolveForm:
        got, errors = view.values(), dict[str, str]()
        outcome = _required_text(got, ids.OUTCOME, "the outcome", DETAILS_MAX, errors)
        cause = _choice(got, ids.ROOT_CAUSE, list(ROOT_CAUSES), "a root-cause category", errors)
        told = _choice(got, ids.CUSTOMER_TOLD, ("yes", "no"), "whether the customer was told", errors)
        return cls(outcome=outcome, root_cause=cause, customer_told=told == "yes", errors=errors)


@dataclass
class ReopenForm:
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> ReopenForm:
        got, errors = view.values(), dict[str, str]()
        return cls(reason=_required_text(got, ids.REASON, "why it is reopened", 500, errors), errors=errors)


@dataclass
class DraftChoices:
    """The first step of a customer-update draft: the customer's timezone (checked against the offered ones by
    the listener, who knows the team) and whether the message names the owner."""

    timezone: str = ""
    name_owner: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> DraftChoices:
        got = view.values()
        return cls(timezone=_text(got, ids.CUSTOMER_TZ), name_owner=_text(got, ids.NAME_OWNER) == "owner")


@dataclass
class DraftForm:
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: View) -> DraftForm:
        got, errors = view.values(), dict[str, str]()
        text = _required_text(got, ids.DRAFT_TEXT, "the message you sent", UPDATE_MAX, errors)
        return cls(text=text, errors=errors)
