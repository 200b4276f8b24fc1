"""Block Kit for escalations: the form, the channel card, the follow-up modals and the reports.

Pure functions from stored escalations (and stats) to Slack payloads; every text is clipped to its
field's limit and every list is capped so the largest case stays inside Block Kit's limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.escalations import (
    CLOCK_LABELS,
    ROOT_CAUSES,
    Durations,
    EscalationStats,
    Reminder,
    TeamPolicy,
    change,
)
from bot.linked_tickets import TicketRef
from bot.sla import (
    IMPACT_LABELS,
    IMPACTS,
    PRIORITIES,
    PRIORITY_LABELS,
    SEVERITIES,
    SEVERITY_DEFINITIONS,
    SEVERITY_LABELS,
    URGENCIES,
    URGENCY_LABELS,
    format_duration,
    format_sla_target,
)
from handlers.blocks import (
    Block,
    button,
    clip,
    context,
    date,
    divider,
    escape,
    fields,
    header,
    modal,
    option,
    plain,
    radio_input,
    section,
    select_input,
    text_input,
    user,
    user_input,
)
from handlers.escalations import forms, ids
from storage.escalations import OpenList
from storage.models import Escalation, EscalationEvent

STATUS_LABELS = {"open": "🔴 Open", "acknowledged": "🟡 Acknowledged", "resolved": "🟢 Resolved"}
PRIORITY_ICONS = {"P1": "🟥", "P2": "🟧", "P3": "🟨", "P4": "🟦"}
LIST_MAX = 20
TIMELINE_MAX = 40

HELP = """*`/escalate`* — log an escalation and follow it to its outcome.
• `/escalate [summary]` — open the escalation form (the summary is filled in for you)
• `/escalate list` — your team's open escalations, most urgent first
• `/escalate mine` — open escalations you reported or own
• `/escalate ESC-42` — one escalation in full, with its timeline
• `/escalate stats [7d|30d|90d]` — trends: volume by priority, path, customer and root cause, \
time to acknowledge and resolve, SLA attainment, repeat customers
Priority comes from severity × customer impact × time sensitivity. Default SLAs: \
P1 ack 15 min, update hourly, resolve 4 h; P2 ack 30 min, update every 2 h, resolve 8 h (both 24/7); \
P3 ack 4 business hours, resolve 3 business days; P4 ack 1 business day, resolve 5 business days."""


def label(labels: Mapping[Any, str], key: str) -> str:
    """A stored value's label, or the value itself when the labels have changed since."""
    return labels.get(key, key)


def ref(escalation: Escalation) -> str:
    return f"ESC-{escalation.id}"


def tickets_of(escalation: Escalation) -> list[TicketRef]:
    return [TicketRef(**t) for t in escalation.tickets]


def ticket_links(tickets: Sequence[TicketRef], *, room: int = 2800) -> str:
    """Links as far as they fit in `room` characters (a section's text), then how many more."""
    shown: list[str] = []
    for number, ticket in enumerate(tickets):
        link = f"<{ticket.url}|{escape(ticket.label)}>" if ticket.url else escape(ticket.label)
        if sum(len(s) + 2 for s in shown) + len(link) > room:
            return ", ".join(shown) + f" and {len(tickets) - number} more"
        shown.append(link)
    return ", ".join(shown)


# --------------------------------------------------------------------------- the form

def escalation_form(paths: Sequence[tuple[str, Sequence[tuple[int, str]]]], *, summary: str = "") -> dict[str, Any]:
    """`paths`: (team name, [(path id, path name)]) for each team the reporter belongs to."""
    groups = [(team, [option(name, str(path_id)) for path_id, name in items]) for team, items in paths]
    only = [o for _, items in groups for o in items]
    blocks = [
        text_input(ids.CUSTOMER, "Customer or account", placeholder="e.g. ACME Corp (account 4411)",
                   max_length=forms.CUSTOMER_MAX),
        text_input(ids.SUMMARY, "Summary", initial=summary, max_length=forms.SUMMARY_MAX,
                   placeholder="One line: what is wrong, for whom"),
        text_input(ids.DETAILS, "Details", multiline=True, optional=True, max_length=forms.DETAILS_MAX,
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


# --------------------------------------------------------------------------- the channel card

def _sla_line(escalation: Escalation, policy: TeamPolicy, now: datetime) -> str:
    rules = policy.of(escalation.priority)

    def target(td: timedelta) -> str:
        return format_sla_target(td, rules, policy.hours)

    def state(due: datetime, done: datetime | None) -> str:
        if done is not None:
            return "✅ met" if done <= due else "⚠️ missed"
        return "⏰ *breached*" if now >= due else f"by {date(due)}"

    if escalation.status == "resolved":
        return (f"*SLA* · acknowledge {state(escalation.ack_due, escalation.acknowledged_at)}"
                f" · resolve {state(escalation.resolve_due, escalation.resolved_at)}")
    lines = [
        f"*Acknowledge* within {target(rules.ack)}: {state(escalation.ack_due, escalation.acknowledged_at)}",
        f"*Customer update* every {target(rules.update_every)}: next {state(escalation.update_due, None)}",
        f"*Resolve* within {target(rules.resolve)}: {state(escalation.resolve_due, None)}",
    ]
    return "\n".join(lines)


def card_text(escalation: Escalation) -> str:
    """The notification text (shown in push notifications and screen readers)."""
    return clip(f"{ref(escalation)} · {escalation.priority} · {escalation.customer}: {escalation.summary}"
                f" ({escalation.status})", 3000)


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
    if escalation.details:
        blocks.append(section(f"*Details*\n{escape(escalation.details)}"))
    tickets = tickets_of(escalation)
    if tickets:
        blocks.append(section(f"*Linked tickets:* {ticket_links(tickets)}"))
    if escalation.status == "resolved":
        told = "customer told" if escalation.customer_told else "customer *not* told yet"
        cause = ROOT_CAUSES.get(escalation.root_cause or "", "Other")
        blocks.append(section(f"*Outcome* ({cause}; {told})\n{escape(escalation.outcome or '')}"))
    blocks.append(_actions(escalation))
    return blocks


def _actions(escalation: Escalation) -> Block:
    value = str(escalation.id)
    if escalation.status == "resolved":
        elements = [button("Reopen", ids.REOPEN, value)]
    else:
        elements = []
        if escalation.status == "open":
            elements.append(button("Acknowledge", ids.ACKNOWLEDGE, value, style="primary"))
        elements += [
            {"type": "users_select", "action_id": ids.ASSIGN, "placeholder": plain("Assign…")},
            button("Post update", ids.POST_UPDATE, value),
            button("Change priority", ids.CHANGE_PRIORITY, value),
            button("Resolve", ids.RESOLVE, value, style="primary" if escalation.status != "open" else None),
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
    """One timeline entry as a sentence (also the thread reply for that change)."""
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
            return f"*Update* from {who}:\n{note}"
        case "priority":
            return f"{who} changed the priority from *{event.old}* to *{event.new}*: {note}"
        case "resolved":
            return f"{who} resolved it. *Outcome:* {note}"
        case "reopened":
            return f"{who} reopened it: {note}"
    return f"{who}: {event.kind} {note}".strip()


# --------------------------------------------------------------------------- follow-up modals

def _about(escalation: Escalation) -> Block:
    return section(f"*{ref(escalation)} · {escalation.priority}* · {escape(escalation.customer)}\n"
                   f"{escape(escalation.summary)}")


def update_form(escalation: Escalation) -> dict[str, Any]:
    return modal(ids.UPDATE_FORM, f"Update {ref(escalation)}", [
        _about(escalation),
        text_input(ids.UPDATE_TEXT, "Update", multiline=True, max_length=forms.UPDATE_MAX,
                   placeholder="Where things stand, what the customer was told, what happens next"),
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


# --------------------------------------------------------------------------- lists and reports

def _line(escalation: Escalation, now: datetime) -> str:
    age = format_duration(max(now - escalation.opened_at, timedelta(0)))
    late = " · ⏰ *past resolution target*" if escalation.resolve_due <= now else ""
    return (f"{PRIORITY_ICONS.get(escalation.priority, '')} *{ref(escalation)}* · {escalation.priority} · "
            f"{escape(clip(escalation.customer, 60))} — {escape(clip(escalation.summary, 120))}\n"
            f"{STATUS_LABELS.get(escalation.status, escalation.status)} · owner {user(escalation.owner)} · "
            f"{escape(escalation.path.name)} · open {age}{late}")


def escalation_list(title: str, listed: OpenList, now: datetime) -> list[Block]:
    """The most urgent LIST_MAX entries; the rest are counted, with where to find them."""
    if not listed.total:
        return [section(f"*{title}*\nNothing open. 🎉")]
    summary = " · ".join(f"{PRIORITY_ICONS[p]} {p}: {listed.by_priority[p]}" for p in PRIORITIES
                         if listed.by_priority.get(p))
    blocks: list[Block] = [header(title), context(f"{listed.total} open · {summary}")]
    blocks += [section(_line(e, now)) for e in listed.escalations[:LIST_MAX]]
    if listed.total > LIST_MAX:
        blocks.append(context(f"…and {listed.total - LIST_MAX} more, less urgent. "
                              "Type `/escalate ESC-<number>` to see any one in full."))
    return blocks


def escalation_detail(escalation: Escalation, events: Sequence[EscalationEvent], policy: TeamPolicy,
                      now: datetime) -> list[Block]:
    blocks = [b for b in escalation_card(escalation, policy, now) if b["type"] != "actions"]
    blocks += [divider(), section("*Timeline*")]
    shown = events[-TIMELINE_MAX:]
    if len(events) > len(shown):
        blocks.append(context(f"{len(events) - len(shown)} earlier events not shown."))
    # Several events share one section so a long timeline stays well under 50 blocks.
    chunk: list[str] = []
    for event in shown:
        entry = f"{date(event.at)} — {describe(event)}"
        if sum(len(c) + 1 for c in chunk) + len(entry) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(clip(entry, 2900))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks[:50]


def _duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "—"


def _durations(label: str, durations: Durations) -> str:
    return f"{label}: median {_duration(durations.median)}, p90 {_duration(durations.p90)}"


def _counts(counts: Mapping[str, int], *, limit: int = 8, labels: Mapping[str, str] | None = None) -> str:
    if not counts:
        return "—"
    items = list(counts.items())
    text = ", ".join(f"{escape(clip((labels or {}).get(k, k), 60))} {n}" for k, n in items[:limit])
    return text + (f", +{len(items) - limit} more" if len(items) > limit else "")


def _percent(value: float | None) -> str:
    return f"{value:g}%" if value is not None else "—"


def stats_blocks(stats: EscalationStats, title: str, previous: EscalationStats | None = None) -> list[Block]:
    """Trends; with `previous`, each headline number carries its change against it."""
    def delta(now_value: float | None, before: float | None, *, unit: str = "%") -> str:
        if previous is None:
            return ""
        moved = change(now_value, before) if unit == "%" else (
            None if now_value is None or before is None else round(now_value - before, 1))
        if moved is None:
            return ""
        return f" ({'+' if moved >= 0 else ''}{moved:g}{'%' if unit == '%' else ' pts'} vs last week)"

    by_priority: dict[str, int] = {p: stats.by_priority[p] for p in PRIORITIES if p in stats.by_priority}
    before = previous.attainment.percent if previous else None
    blocks: list[Block] = [
        header(title),
        fields([
            ("Opened", f"{stats.opened}{delta(stats.opened, previous.opened if previous else None)}"),
            ("Resolved", f"{stats.resolved}{delta(stats.resolved, previous.resolved if previous else None)}"),
            ("SLA attainment", f"{_percent(stats.attainment.percent)}"
                               f"{delta(stats.attainment.percent, before, unit='pts')}"),
            ("Still open", str(stats.still_open)),
            ("Acknowledged on time", f"{_percent(stats.ack_attainment.percent)} "
                                     f"({stats.ack_attainment.met}/{stats.ack_attainment.total})"),
            ("Resolved on time", f"{_percent(stats.resolve_attainment.percent)} "
                                 f"({stats.resolve_attainment.met}/{stats.resolve_attainment.total})"),
        ]),
        section(_durations("*Time to acknowledge*", stats.time_to_ack) + "\n"
                + _durations("*Time to resolve*", stats.time_to_resolve)),
        section(f"*By priority:* {_counts(by_priority)}\n*By escalation path:* {_counts(stats.by_path)}\n"
                f"*By root cause:* {_counts(stats.by_root_cause, labels=ROOT_CAUSES)}\n"
                f"*Top customers:* {_counts(stats.by_customer, limit=5)}"),
        section("*Repeat customers:* " + (_counts(stats.repeat_customers, limit=10)
                                          if stats.repeat_customers else "none 👍")),
        context(f"Escalations opened {date(stats.since, '{date_short}')} – "
                f"{date(stats.until - timedelta(seconds=1), '{date_short}')}"),
    ]
    return blocks


def weekly_review(team_name: str, stats: EscalationStats, previous: EscalationStats,
                  overdue: Sequence[Escalation], now: datetime) -> tuple[str, list[Block]]:
    blocks = stats_blocks(stats, f"Weekly escalation review · {team_name}", previous)
    if overdue:
        blocks += [divider(), section(f"*{len(overdue)} open past their resolution target*")]
        blocks += [section(_line(e, now)) for e in overdue[:LIST_MAX]]
        if len(overdue) > LIST_MAX:
            blocks.append(context(f"…and {len(overdue) - LIST_MAX} more: `/escalate list` shows them all."))
    else:
        blocks.append(context("No open escalation is past its resolution target."))
    text = (f"Weekly escalation review for {team_name}: {stats.opened} opened, {stats.resolved} resolved, "
            f"SLA attainment {_percent(stats.attainment.percent)}, {len(overdue)} overdue.")
    return text, blocks[:50]
