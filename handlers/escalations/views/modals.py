"""Block Kit for the escalation modals: the form that logs one, and the follow-up modals behind the
card's buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.rules.escalations import (
    ROOT_CAUSES,
    TeamPolicy,
)
from bot.rules.sla import (
    IMPACT_LABELS,
    IMPACTS,
    PRIORITIES,
    PRIORITY_LABELS,
    SEVERITIES,
    SEVERITY_DEFINITIONS,
    SEVERITY_LABELS,
    URGENCIES,
    URGENCY_LABELS,
    format_sla_target,
)
from handlers.blocks import (
    Block,
    escape,
    modal,
    option,
    radio_input,
    section,
    select_input,
    text_input,
    user_input,
)
from handlers.escalations import forms, ids
from handlers.escalations.views.card import ref
from storage.models import Escalation

# --------------------------------------------------------------------------- the form

def escalation_form(paths: Sequence[tuple[str, Sequence[tuple[int, str]]]], *, summary: str = "",
                    details: str = "") -> dict[str, Any]:
    """`paths`: (team name, [(path id, path name)]) for each team the reporter belongs to; `summary` and
    `details` prefill the form (a stand-up blocker turned into an escalation)."""
    groups = [(team, [option(name, str(path_id)) for path_id, name in items]) for team, items in paths]
    only = [o for _, items in groups for o in items]
    blocks = [
        text_input(ids.CUSTOMER, "Customer or account", placeholder="e.g. ACME Corp (account 4411)",
                   max_length=forms.CUSTOMER_MAX),
        text_input(ids.SUMMARY, "Summary", initial=summary, max_length=forms.SUMMARY_MAX,
                   placeholder="One line: what is wrong, for whom"),
        text_input(ids.DETAILS, "Details", multiline=True, optional=True, max_length=forms.DETAILS_MAX,
                   initial=details,
                   placeholder="What happened, what was tried, what the customer needs"),
        text_input(ids.TICKETS, "Linked tickets", multiline=True, optional=True,
                   placeholder="Ticket IDs or links, one per line",
                   hint="Zendesk, Salesforce, Intercom and Freshdesk links are recognised."),
        radio_input(ids.SEVERITY, "Severity",
                    [option(SEVERITY_LABELS[s], s, SEVERITY_DEFINITIONS[s]) for s in SEVERITIES]),
        radio_input(ids.IMPACT, "Customer impact", [option(IMPACT_LABELS[i], i) for i in IMPACTS]),
        radio_input(ids.URGENCY, "Time sensitivity", [option(URGENCY_LABELS[u], u) for u in URGENCIES]),
        select_input(ids.PATH, "Escalation path", only if len(groups) == 1 else (),
                     groups=groups if len(groups) > 1 else (),
                     initial=only[0]["value"] if len(only) == 1 else None,
                     placeholder="Where should this go?"),
        user_input(ids.OWNER, "Owner", optional=True, hint="Leave empty: whoever acknowledges it owns it."),
    ]
    return modal(ids.ESCALATION_FORM, "Escalate", blocks, submit="Escalate")


# --------------------------------------------------------------------------- follow-up modals

def _about(escalation: Escalation) -> Block:
    return section(f"*{ref(escalation)} · {escalation.priority}* · {escape(escalation.customer)}\n"
                   f"{escape(escalation.summary)}")


def update_form(escalation: Escalation) -> dict[str, Any]:
    return modal(ids.UPDATE_FORM, f"Update {ref(escalation)}", [
        _about(escalation),
        text_input(ids.UPDATE_TEXT, "Update", multiline=True, max_length=forms.UPDATE_MAX,
                   placeholder="Where things stand, what the customer was told, what happens next"),
        radio_input(ids.UPDATE_AUDIENCE, "Who may read it", [
            option("Internal: the team only", "internal"),
            option("May be shared with the customer", "customer",
                   "Customer-update drafts quote only these"),
        ], initial="internal"),
    ], submit="Post update", private_metadata=str(escalation.id))


def priority_form(escalation: Escalation, policy: TeamPolicy) -> dict[str, Any]:
    choices = []
    for priority in PRIORITIES:
        rules = policy.of(priority)
        choices.append(option(PRIORITY_LABELS[priority], priority,
                              f"ack {format_sla_target(rules.ack, rules, policy.hours)}, resolve "
                              f"{format_sla_target(rules.resolve, rules, policy.hours)}"))
    return modal(ids.PRIORITY_FORM, "Change priority", [
        _about(escalation),
        radio_input(ids.NEW_PRIORITY, "New priority", choices, initial=escalation.priority,
                    hint="The SLA clocks restart under the new priority's targets."),
        text_input(ids.REASON, "Reason", multiline=True, max_length=500),
    ], submit="Change", private_metadata=str(escalation.id))


def resolve_form(escalation: Escalation) -> dict[str, Any]:
    return modal(ids.RESOLVE_FORM, f"Resolve {ref(escalation)}", [
        _about(escalation),
        text_input(ids.OUTCOME, "Outcome", multiline=True, max_length=forms.DETAILS_MAX,
                   placeholder="What was done, and what the customer now has"),
        select_input(ids.ROOT_CAUSE, "Root cause", [option(label, key) for key, label in ROOT_CAUSES.items()]),
        radio_input(ids.CUSTOMER_TOLD, "Was the customer told?",
                    [option("Yes", "yes"), option("Not yet", "no")]),
    ], submit="Resolve", private_metadata=str(escalation.id))


def reopen_form(escalation: Escalation) -> dict[str, Any]:
    return modal(ids.REOPEN_FORM, f"Reopen {ref(escalation)}", [
        _about(escalation),
        text_input(ids.REASON, "Why is it reopened?", multiline=True, max_length=500),
    ], submit="Reopen", private_metadata=str(escalation.id))



def merge_form(escalation: Escalation, candidates: Sequence[Escalation], more: int = 0) -> dict[str, Any]:
    """Pick the open escalation of the same team this one duplicates (the 100 most urgent; `more` not shown)."""
    if not candidates:
        return modal(ids.MERGE_FORM, f"Merge {ref(escalation)}", [
            _about(escalation),
            section("There is no other open escalation of this team to merge it into."),
        ], submit=None, close="Close", private_metadata=str(escalation.id))
    options = [option(f"{ref(c)} · {c.priority} · {c.customer}: {c.summary}", str(c.id)) for c in candidates]
    blocks = [
        _about(escalation),
        select_input(ids.MERGE_TARGET, "Merge into", options[:100], placeholder="The escalation it duplicates"),
        section(f"{ref(escalation)} will be closed as a duplicate; its reporter, tickets and timeline move to the "
                "escalation you pick, and its cards point there."),
    ]
    if more:
        blocks.append(section(f"_{more} more open escalations are not listed: the most urgent 100 are._"))
    return modal(ids.MERGE_FORM, f"Merge {ref(escalation)}", blocks, submit="Merge",
                 private_metadata=str(escalation.id))
