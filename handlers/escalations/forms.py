"""Reading the escalation modals: each form turns `view.state.values` into checked values, or
into errors keyed by the input block they belong to (for `response_action: errors`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.escalations import ROOT_CAUSES
from bot.linked_tickets import TicketRef, parse_ticket_refs
from bot.sla import IMPACTS, PRIORITIES, SEVERITIES, URGENCIES, priority
from handlers.escalations import ids

SUMMARY_MAX = 150
CUSTOMER_MAX = 200
DETAILS_MAX = 3000
UPDATE_MAX = 3000


def values(view: dict[str, Any]) -> dict[str, Any]:
    """block_id -> the submitted value: text, selected option value, user id or list of them."""
    found: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for element in actions.values():
            found[block_id] = _value_of(element)
    return found


def _value_of(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        option = element.get("selected_option")
        return option.get("value") if option else None
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "checkboxes":
        return [o["value"] for o in element.get("selected_options") or []]
    value = element.get("value")
    return value.strip() if isinstance(value, str) else value


def _required_text(got: dict[str, Any], block: str, what: str, limit: int,
                   errors: dict[str, str]) -> str:
    text = got.get(block) or ""
    if not text:
        errors[block] = f"Please enter {what}."
    elif len(text) > limit:
        errors[block] = f"Keep it to {limit} characters (this is {len(text)})."
    return text


def _choice(got: dict[str, Any], block: str, allowed: tuple[str, ...] | list[str], what: str,
            errors: dict[str, str]) -> str:
    choice = got.get(block)
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
    def from_view(cls, view: dict[str, Any]) -> EscalationForm:
        got, errors = values(view), dict[str, str]()
        form = cls(errors=errors)
        form.customer = _required_text(got, ids.CUSTOMER, "the customer or account", CUSTOMER_MAX, errors)
        form.summary = _required_text(got, ids.SUMMARY, "a one-line summary", SUMMARY_MAX, errors)
        form.details = got.get(ids.DETAILS) or ""
        if len(form.details) > DETAILS_MAX:
            errors[ids.DETAILS] = f"Keep the details to {DETAILS_MAX} characters (this is {len(form.details)})."
        form.tickets, problems = parse_ticket_refs(got.get(ids.TICKETS))
        if problems:
            errors[ids.TICKETS] = " ".join(problems)[:2000]
        form.severity = _choice(got, ids.SEVERITY, SEVERITIES, "a severity", errors)
        form.impact = _choice(got, ids.IMPACT, IMPACTS, "the customer impact", errors)
        form.urgency = _choice(got, ids.URGENCY, URGENCIES, "how time-sensitive it is", errors)
        path = got.get(ids.PATH)
        if not (isinstance(path, str) and path.isdigit()):
            errors[ids.PATH] = "Please choose where to route this escalation."
        else:
            form.path_id = int(path)
        form.owner = got.get(ids.OWNER) or None
        return form


@dataclass
class UpdateForm:
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> UpdateForm:
        got, errors = values(view), dict[str, str]()
        text = _required_text(got, ids.UPDATE_TEXT, "the update", UPDATE_MAX, errors)
        return cls(text=text, errors=errors)


@dataclass
class PriorityForm:
    priority: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> PriorityForm:
        got, errors = values(view), dict[str, str]()
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
    def from_view(cls, view: dict[str, Any]) -> ResolveForm:
        got, errors = values(view), dict[str, str]()
        outcome = _required_text(got, ids.OUTCOME, "the outcome", DETAILS_MAX, errors)
        cause = _choice(got, ids.ROOT_CAUSE, list(ROOT_CAUSES), "a root-cause category", errors)
        told = _choice(got, ids.CUSTOMER_TOLD, ("yes", "no"), "whether the customer was told", errors)
        return cls(outcome=outcome, root_cause=cause, customer_told=told == "yes", errors=errors)


@dataclass
class ReopenForm:
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ReopenForm:
        got, errors = values(view), dict[str, str]()
        return cls(reason=_required_text(got, ids.REASON, "why it is reopened", 500, errors), errors=errors)
