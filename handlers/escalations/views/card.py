"""Block Kit for one escalation: the channel card, its notification text, the timeline sentences, the
reminders and the DMs. Pure functions; every text is clipped to its field's limit and user text escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.rules.escalations import (
    CLOCK_LABELS,
    ROOT_CAUSES,
    ClockName,
    Reminder,
    TeamPolicy,
    deadlines_of,
)
from bot.rules.linked_tickets import TicketRef
from bot.rules.sla import (
    IMPACT_LABELS,
    PRIORITY_LABELS,
    SEVERITY_LABELS,
    URGENCY_LABELS,
    business_time_between,
    format_duration,
    format_sla_target,
)
from handlers.blocks import (
    Block,
    button,
    clip,
    date,
    escape,
    fields,
    header,
    plain,
    section,
    user,
)
from handlers.escalations import ids
from storage.models import Escalation, EscalationEvent

STATUS_LABELS = {"open": "🔴 Open", "acknowledged": "🟡 Acknowledged", "resolved": "🟢 Resolved"}
PRIORITY_ICONS = {"P1": "🟥", "P2": "🟧", "P3": "🟨", "P4": "🟦"}


def label(labels: Mapping[Any, str], key: str) -> str:
    """A stored value's label, or the value itself when the labels have changed since."""
    return labels.get(key, key)


def ref(escalation: Escalation) -> str:
    return f"ESC-{escalation.id}"


def tickets_of(escalation: Escalation) -> list[TicketRef]:
    return [TicketRef(**t) for t in escalation.tickets]


def ticket_links(tickets: Sequence[TicketRef], *, room: int = 2800) -> str:
    """Links as far as they fit in `room` characters (a section's text), then how many more. Only a helpdesk's
    ticket (a URL it recognised) becomes a link the bot writes; any other URL someone typed is shown as text."""
    shown: list[str] = []
    for number, ticket in enumerate(tickets):
        link = f"<{ticket.url}|{escape(ticket.label)}>" if ticket.url and ticket.system else escape(ticket.label)
        if sum(len(s) + 2 for s in shown) + len(link) > room:
            return ", ".join(shown) + f" and {len(tickets) - number} more"
        shown.append(link)
    return ", ".join(shown)



# --------------------------------------------------------------------------- the channel card

def _sla_line(escalation: Escalation, policy: TeamPolicy, now: datetime) -> str:
    rules = policy.of(escalation.priority)
    due = deadlines_of(escalation, policy)

    def target(td: timedelta) -> str:
        return format_sla_target(td, rules, policy.hours)

    def state(due: datetime, done: datetime | None) -> str:
        if done is not None:
            return "✅ met" if done <= due else "⚠️ missed"
        return "⏰ *breached*" if now >= due else f"by {date(due)}"

    def running(clock: ClockName, at: datetime) -> str:
        if not due.stopped(clock) or due.paused_at is None:
            return state(at, None)
        left = (business_time_between(due.paused_at, at, policy.tz, policy.hours) if rules.business_hours
                else at - due.paused_at)
        return f"⏸ paused with {target(left) if rules.business_hours else format_duration(left)} left"

    if escalation.status == "resolved":
        return (f"*SLA* · acknowledge {state(due.ack_due, escalation.acknowledged_at)}"
                f" · resolve {state(due.resolve_due, escalation.resolved_at)}")
    lines = [
        f"*Acknowledge* within {target(rules.ack)}: {state(due.ack_due, escalation.acknowledged_at)}",
        f"*Customer update* every {target(rules.update_every)}: next {running('update', due.update_due)}",
        f"*Resolve* within {target(rules.resolve)}: {running('resolve', due.resolve_due)}",
    ]
    if escalation.paused_at is not None:
        lines.insert(0, f"⏸ *Waiting on customer* since {date(escalation.paused_at)}: the customer-update and "
                        "resolution clocks are paused until an update, *Resume* or the customer's reply.")
    return "\n".join(lines)


def card_text(escalation: Escalation) -> str:
    """The notification text (push notifications, screen readers, clients without blocks): user text is
    escaped here too, so a summary cannot ping a channel or hide a link."""
    status = f"merged into ESC-{escalation.merged_into}" if escalation.merged_into else escalation.status
    return clip(f"{escalation.ref} · {escalation.priority} · {escape(escalation.customer)}: "
                f"{escape(escalation.summary)} ({status}"
                f"{', waiting on customer' if escalation.paused_at else ''})", 3000)


def escalation_card(escalation: Escalation, policy: TeamPolicy, now: datetime) -> list[Block]:
    """The message posted in the escalation path's channel and the team's escalation channel."""
    blocks: list[Block] = [
        header(f"{PRIORITY_ICONS.get(escalation.priority, '')} {ref(escalation)} · {escalation.priority}"
               f" · {escalation.summary}"),
        fields([
            ("Customer", escape(escalation.customer)),
            ("Priority", label(PRIORITY_LABELS, escalation.priority)),
            ("Impact", f"{label(IMPACT_LABELS, escalation.impact)}, "
                       f"{label(URGENCY_LABELS, escalation.urgency).lower()}"),
            ("Severity", label(SEVERITY_LABELS, escalation.severity)),
            ("Status", STATUS_LABELS.get(escalation.status, escalation.status)),
            ("Owner", user(escalation.owner)),
            ("Reported by", f"{user(escalation.reporter)} {date(escalation.opened_at)}"),
            ("Escalation path", escape(escalation.path.name)),
        ]),
        section(_sla_line(escalation, policy, now)),
    ]
    if escalation.paging_failure:
        blocks.append(section(f"⚠️ {clip(escalation.paging_failure, 2900)}"))
    if escalation.details:
        blocks.append(section(f"*Details*\n{escape(escalation.details)}"))
    tickets = tickets_of(escalation)
    if tickets:
        blocks.append(section(f"*Linked tickets:* {ticket_links(tickets)}"))
    if escalation.merged_from:
        blocks.append(section("*Merged in:* " + ", ".join(
            f"ESC-{d['id']} (reported by {user(d['reporter'])})" for d in escalation.merged_from[:20])))
    if escalation.merged_into:  # a duplicate: the card points to the escalation that carries on
        blocks.append(section(f"🔀 *Merged into ESC-{escalation.merged_into}*: follow it there; its reporter, "
                              "tickets and timeline moved with it."))
        return blocks
    if escalation.status == "resolved":
        told = "customer told" if escalation.customer_told else "customer *not* told yet"
        cause = ROOT_CAUSES.get(escalation.root_cause or "", "Other")
        blocks.append(section(f"*Outcome* ({cause}; {told})\n{escape(escalation.outcome or '')}"))
    blocks.append(card_actions(escalation))
    return blocks


def card_actions(escalation: Escalation) -> Block:
    """The card's buttons, wherever the card is shown (channels, the App Home)."""
    value = str(escalation.id)
    if escalation.status == "resolved":
        elements = [button("Reopen", ids.REOPEN, value), button("Draft customer update", ids.DRAFT_UPDATE, value)]
    else:
        elements = []
        if escalation.status == "open":
            elements.append(button("Acknowledge", ids.ACKNOWLEDGE, value, style="primary"))
        elements += [
            {"type": "users_select", "action_id": ids.ASSIGN, "placeholder": plain("Assign…")},
            button("Post update", ids.POST_UPDATE, value),
            button("Draft customer update", ids.DRAFT_UPDATE, value),
            button("Change priority", ids.CHANGE_PRIORITY, value),
            button("Resume", ids.RESUME, value) if escalation.paused_at
            else button("Waiting on customer", ids.WAIT_ON_CUSTOMER, value),
            button("Resolve", ids.RESOLVE, value, style="primary" if escalation.status != "open" else None),
            button("Merge into…", ids.MERGE, value),
        ]
    return {"type": "actions", "block_id": f"{ids.ACTIONS_BLOCK}:{escalation.id}", "elements": elements}


def confirmation(escalation: Escalation, permalink: str | None) -> str:
    where = f"<{permalink}|{ref(escalation)}>" if permalink else ref(escalation)
    return (f"Escalated {where} as *{escalation.priority}* to {escape(escalation.path.name)}. "
            f"Acknowledgement is due {date(escalation.ack_due)}; I'll keep you posted here.")


def handed_over(escalation: Escalation, *, by: str) -> str:
    """The DM to a new owner."""
    return (f"{user(by)} made you the owner of {ref(escalation)} ({escalation.priority}, "
            f"{escape(escalation.customer)}): {escape(escalation.summary)}")


def resolved_notice(escalation: Escalation, *, by: str) -> str:
    """The DM to the reporter and the owner when it is resolved."""
    return (f"✅ {ref(escalation)} ({escape(escalation.summary)}) was resolved by {user(by)}.\n"
            f"*Outcome:* {escape(escalation.outcome or '')}")


# --------------------------------------------------------------------------- timeline

def describe(event: EscalationEvent) -> str:
    """One timeline entry as a sentence (also the thread reply for that change); an entry copied from a merged
    duplicate says which."""
    said = _sentence(event)
    return f"_ESC-{event.came_from}:_ {said}" if event.came_from else said


def _sentence(event: EscalationEvent) -> str:
    who = user(event.actor)
    note = escape(event.note or "")
    match event.kind:
        case "opened":
            return f"{who} opened the escalation as *{event.new}*."
        case "acknowledged":
            return f"{who} acknowledged it" + (" and owns it now." if event.note else ".")
        case "assigned":
            return f"{who} assigned it to {user(event.new)}" + (f" (was {user(event.old)})." if event.old else ".")
        case "update":
            shared = " (may be shared with the customer)" if event.customer_visible else " (internal)"
            return f"*Update* from {who}{shared}:\n{note}"
        case "customer_update":
            return f"{who} sent the customer an update:\n{clip(note, 2800)}"
        case "priority":
            return f"{who} changed the priority from *{event.old}* to *{event.new}*: {note}"
        case "resolved":
            return f"{who} resolved it. *Outcome:* {note}"
        case "reopened":
            return f"{who} reopened it: {note}"
        case "paused":
            return (f"⏸ {who} is waiting on the customer: the customer-update and resolution clocks are paused "
                    "(paused time does not count against the SLA).")
        case "resumed" if event.note:
            return f"▶️ The SLA clocks run again: {note}."
        case "resumed":
            return f"▶️ {who} resumed the SLA clocks: the wait on the customer is over."
        case "merged":
            return f"🔀 {who} merged it into *{event.new}* as a duplicate."
        case "merged_in":
            return f"🔀 {who} merged *{event.old}* into it (a duplicate: {note})."
    return f"{who}: {event.kind} {note}".strip()


# --------------------------------------------------------------------------- reminders

def reminder_text(reminder: Reminder, escalation: Escalation, managers: Sequence[str]) -> str:
    who = user(escalation.owner) if escalation.owner else "<!here>"
    what = CLOCK_LABELS[reminder.clock]
    if reminder.stage == "warning":
        return (f"⏳ {who} {ref(escalation)} ({escalation.priority}): the {what} is due "
                f"{date(reminder.due)}.")
    late = "" if reminder.stage == "breach" else f" (reminder {reminder.stage.removeprefix('repeat-')})"
    boss = f" cc {' '.join(user(m) for m in managers)}" if managers and reminder.stage == "breach" else ""
    return (f"🚨 {who} {ref(escalation)} ({escalation.priority}) has breached its {what} SLA, "
            f"due {date(reminder.due)}{late}.{boss}")

