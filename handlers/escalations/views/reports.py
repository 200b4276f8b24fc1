"""Block Kit for what `/escalate` answers privately and the weekly review: lists, one escalation in
full, stats. Every list is capped so the largest case stays inside Block Kit's limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.rules.escalations import (
    ROOT_CAUSES,
    Deadlines,
    Durations,
    EscalationStats,
    TeamPolicy,
    change,
    next_due,
)
from bot.rules.sla import (
    PRIORITIES,
    format_duration,
)
from handlers.blocks import (
    Block,
    clip,
    context,
    date,
    divider,
    escape,
    fields,
    header,
    section,
    user,
)
from handlers.escalations.views.card import (
    PRIORITY_ICONS,
    STATUS_LABELS,
    card_actions,
    describe,
    escalation_card,
    ref,
)
from storage.escalations import OpenList
from storage.models import Escalation, EscalationEvent

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



# --------------------------------------------------------------------------- lists and reports

def next_sla(escalation: Escalation, now: datetime) -> str:
    """` · ⏳ ack due in 12 min`, or ` · ⏰ *update overdue by 5 min*`: the time left to the next SLA (and, when
    that is not the resolution, whether the resolution target has passed)."""
    due = Deadlines(escalation.ack_due, escalation.update_due, escalation.resolve_due, escalation.paused_at)
    waiting = " · ⏸ waiting on customer" if escalation.paused_at and escalation.status != "resolved" else ""
    found = next_due(escalation.status, due, now)
    if found is None:
        return waiting
    late = (" · ⏰ *past resolution target*" if found.clock != "resolve" and not due.stopped("resolve")
            and escalation.resolve_due <= now else "")
    late += waiting
    return (f" · ⏰ *{found}*" if found.overdue else f" · ⏳ {found}") + late


def _line(escalation: Escalation, now: datetime) -> str:
    age = format_duration(max(now - escalation.opened_at, timedelta(0)))
    return (f"{PRIORITY_ICONS.get(escalation.priority, '')} *{ref(escalation)}* · {escalation.priority} · "
            f"{escape(clip(escalation.customer, 60))} — {escape(clip(escalation.summary, 120))}\n"
            f"{STATUS_LABELS.get(escalation.status, escalation.status)} · owner {user(escalation.owner)} · "
            f"{escape(escalation.path.name)} · open {age}{next_sla(escalation, now)}")


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


def escalation_items(listed: OpenList, now: datetime, *, limit: int) -> list[Block]:
    """Each of the first `limit` escalations with the card's own buttons (the App Home), then how many more."""
    blocks: list[Block] = []
    for escalation in listed.escalations[:limit]:
        blocks += [section(_line(escalation, now)), card_actions(escalation)]
    if listed.total > limit:
        blocks.append(context(f"…and {listed.total - limit} more: `/escalate mine` lists them."))
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
