"""Block Kit of the KPI feature: the digest, alerts, the day-30 summary, the targets form. Pure builders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.rules.directory import TeamProfile
from bot.rules.freshness import Freshness
from bot.rules.kpi import STATUS_ICONS, Metric, Reading, format_target, format_value
from bot.rules.kpi_digest import MOVED_PERCENT, arrange, counted_value
from bot.rules.kpi_plan import PLAN_DAYS, AlertKind, BaselineSummary
from bot.rules.scorecard import Scored
from bot.rules.team_config import KpiTargets
from handlers.blocks import Block, clip, context, divider, escape, header, modal, section, text_input
from handlers.kpi import ids
from handlers.kpi.report import BaselineLine, Report
from handlers.prioritize.views import tracking_line
from handlers.teams import picker
from storage.kpi import Contributor

HELP = "\n".join([
    "*KPIs against targets*",
    "`/kpi` — yesterday's digest, privately · `/kpi today` — today so far · `/kpi week` — the last 7 days",
    "In several teams? Name one last (its key or name), e.g. `/kpi tier2`, `/kpi week tier2`: it stays your"
    " default until you name another.",
    "`/kpi log <metric> <value> [YYYY-MM-DD]` — log a figure from elsewhere (managers), e.g. `/kpi log nps 42`",
    "`/kpi targets` — see the targets; managers can change them",
    "`/kpi baseline <metric>` — pin the 7-day average and follow it for 30 days (managers),"
    " e.g. `/kpi baseline csat`",
    "The digest posts every morning at the team's digest time in its digest channel.",
])
TEXT_MAX = 3000


def day_title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def short_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _line(reading: Reading, compared_with: str, samples: Mapping[str, int]) -> str:
    metric = reading.metric
    icon = STATUS_ICONS[reading.status] + " " if reading.status else "▫️ "
    value = counted_value(metric, reading.value, samples.get(metric.key, 0))
    parts = [f"{icon}*{escape(metric.label)}*: {value}"]
    target = format_target(metric, reading.target)
    if target:
        parts.append(f"target {target}")
    if reading.vs_day_before is not None:
        parts.append(f"{reading.vs_day_before} vs {compared_with}")
    if reading.vs_week is not None:
        parts.append(f"{reading.vs_week} vs 7-day avg")
    return " · ".join(parts)


def _contributor(metric: Metric, found: Contributor) -> str:
    shown = escape(clip(found.ref, 60))
    ref = f"<{found.url}|{shown}>" if found.url else f"`{shown}`"
    if found.escalation:  # a ticket linked to an open escalation
        ref += f" 🚨 {escape(found.escalation)}"
    if found.note:
        return f"{ref} {escape(clip(found.note, 80))}"
    if found.value is not None and metric.unit in ("minutes", "hours"):
        return f"{ref} {format_value(metric, found.value)}"
    return ref


def contributors_text(metric: Metric, found: Sequence[Contributor]) -> str:
    return f"Behind *{escape(metric.label)}*: " + " · ".join(_contributor(metric, c) for c in found)


def _shown(readings: Sequence[Reading]) -> list[Reading]:
    """Logged figures only on a day they were logged."""
    return [r for r in readings if r.value is not None or r.metric.source != "manual"]


def _steady(readings: Sequence[Reading], samples: Mapping[str, int]) -> str:
    return f"*Also* (moved under {MOVED_PERCENT:.0f}%, not judged): " + " · ".join(
        f"{escape(r.metric.label)}: {counted_value(r.metric, r.value, samples.get(r.metric.key, 0))}"
        for r in readings)


def arranged(readings: Sequence[Reading], samples: Mapping[str, int], compared_with: str,
             contributors: Mapping[str, Sequence[Contributor]] | None = None) -> list[Block]:
    """Off target first (each red one with its contributors), then what moved most, then what is on target,
    then one compact line of the steady figures; a metric whose value and changes are all zero is left out."""
    found = arrange(_shown(readings), samples)
    blocks: list[Block] = []
    for title, group in (("Off target", found.off_target), ("Moved most", found.moved),
                         ("On target", found.on_target)):
        if not group:
            continue
        lines = [_line(r, compared_with, samples) for r in group]
        blocks.append(section(clip(f"*{title}*\n" + "\n".join(lines), TEXT_MAX)))
        for reading in group:
            behind = (contributors or {}).get(reading.metric.key)
            if reading.status == "red" and behind:
                blocks.append(context(clip(contributors_text(reading.metric, behind), TEXT_MAX)))
    if found.steady:
        blocks.append(context(clip(_steady(found.steady, samples), TEXT_MAX)))
    return blocks


def _baseline_line(line: BaselineLine) -> str:
    metric = line.metric
    moved = f" ({line.change} vs baseline)" if line.change is not None else ""
    return (f"*{escape(metric.label)}*: baseline {format_value(metric, line.baseline.value)} → "
            f"{format_value(metric, line.value)}{moved} · day {line.day} of {PLAN_DAYS}")


def summary_text(report: Report) -> str:
    statuses = [r.status for r in report.readings if r.status]
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in ("red", "amber", "green") if statuses.count(s))
    return f"{report.team.name} KPIs for {report.title}" + (f": {counts}" if counts else "")


def _freshness(report: Report) -> list[Block]:
    if report.freshness is None:
        return []
    if report.freshness.stale:
        return [section(escape(report.freshness.text))]
    text = report.freshness.text
    return [context(escape(text[:1].upper() + text[1:]))]


def _initiative_line(place: int, initiative: Scored, report: Report) -> str:
    """`1. *Status page* · 4.35 of 5 · 4 scores`, and under it its owner, target date and KPI's change."""
    line = (f"{place}. *{escape(initiative.title)}* · {initiative.score or 0:.2f} of 5 · "
            f"{len(initiative.scorers)} {'score' if len(initiative.scorers) == 1 else 'scores'}")
    tracked = tracking_line(report.initiative_tracking.get(initiative.id))
    return line + (f"\n      {tracked}" if tracked else "")


def digest(report: Report) -> tuple[str, list[Block]]:
    """The digest message: header, how fresh the tickets are, the metrics arranged signal first (contributors
    under each red one), last week on Mondays, the top initiatives, the 30-day plans, and the fallback text."""
    blocks: list[Block] = [
        header(f"📊 {report.team.name} · {report.title}"),
        *_freshness(report),
        context(f"Each metric against its target, {report.compared_with}"
                + (" and the 7-day average" if report.first == report.last else "")
                + ". 🟢 met · 🟠 within 10% · 🔴 off target · ▫️ no target or too few to judge"),
    ]
    blocks += arranged(report.readings, report.figures.samples, report.compared_with, report.contributors)
    if report.week:
        first, last = report.first.toordinal() - 6, report.first
        blocks += [divider(), section(f"*Last week* ({short_day(date.fromordinal(first))} – {short_day(last)})"),
                   *arranged(report.week, report.week_samples, "the week before")]
    if report.initiatives:
        blocks.append(section(clip("*Top initiatives* (`/prioritize list` for all)\n" + "\n".join(
            _initiative_line(n, i, report) for n, i in enumerate(report.initiatives, 1)), TEXT_MAX)))
    if report.baselines:
        blocks.append(section(clip("*30-day plan*\n" + "\n".join(_baseline_line(b) for b in report.baselines),
                                   TEXT_MAX)))
    text = summary_text(report) + (f" ({report.freshness.text})" if report.stale and report.freshness else "")
    return escape(text), blocks


def no_data(team: TeamProfile, title: str, freshness: Freshness | None = None) -> str:
    if freshness is not None and freshness.stale:
        return (f"📊 {escape(team.name)} · {title}: no tickets to report, but {escape(freshness.problem)}, so this "
                "may not have been a quiet day.")
    return f"📊 {escape(team.name)} · {title}: no tickets, escalations or logged figures, so nothing to report."


def alert(team: TeamProfile, reading: Reading, kind: AlertKind, day: date,
          found: Sequence[Contributor] = (), sample: int | None = None) -> str:
    metric = reading.metric
    value = format_value(metric, reading.value) if sample is None else counted_value(metric, reading.value, sample)
    target = format_target(metric, reading.target)
    if kind == "recovered":
        return (f"✅ *{escape(metric.label)}* is back from red for {escape(team.name)} on {short_day(day)}: "
                f"{value} (target {target}).")
    text = (f"🔴 *{escape(metric.label)}* turned red for {escape(team.name)} on {short_day(day)}: "
            f"{value} (target {target}).")
    return text + (" " + contributors_text(metric, found) if found else "")


def baseline_summary(team: TeamProfile, summary: BaselineSummary, pinned_on: date) -> str:
    metric = summary.metric
    moved = f" ({summary.change})" if summary.change is not None else ""
    text = (f"🏁 30 days of *{escape(metric.label)}* for {escape(team.name)} since the baseline of "
            f"{short_day(pinned_on)}: baseline {format_value(metric, summary.baseline)} → now "
            f"{format_value(metric, summary.now)} (7-day average){moved}.")
    if summary.best and summary.worst:
        text += (f" Best day {short_day(summary.best.day)}: {format_value(metric, summary.best.value)};"
                 f" worst day {short_day(summary.worst.day)}: {format_value(metric, summary.worst.value)}.")
    return text


TARGET_FIELDS = (
    (ids.FIRST_RESPONSE_MINUTES, "First response, median (minutes)", "At most this many minutes."),
    (ids.RESOLUTION_HOURS, "Resolution time, median (hours)", "At most this many hours."),
    (ids.CSAT_PERCENT, "CSAT (%)", "At least this share of rated tickets rated good, 0–100."),
    (ids.FCR_PERCENT, "First-contact resolution (%)", "At least this share of solved tickets, 0–100."),
    (ids.ESCALATION_SLA_PERCENT, "Escalation SLA attainment (%)",
     "At least this share of escalation SLA clocks met (acknowledgement and resolution), 0–100."),
)


def _number(value: float) -> str:
    return f"{value:g}"


def targets_text(team: TeamProfile) -> str:
    targets = team.config.kpi_targets
    return "\n".join([f"*KPI targets · {escape(team.name)}*",
                      *(f"{label}: {_number(getattr(targets, block))}" for block, label, _ in TARGET_FIELDS)])


def targets_form(team: TeamProfile, targets: KpiTargets, teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """`teams`: those whose targets the manager may change (a team picker first, when several)."""
    blocks = [text_input(block, label, initial=_number(getattr(targets, block)), hint=hint, max_length=12)
              for block, label, hint in TARGET_FIELDS]
    return modal(ids.TARGETS_FORM, "KPI targets",
                 [*picker(ids.TEAM, teams, team), section(f"Targets for *{escape(team.name)}*"), *blocks],
                 submit="Save", private_metadata=team.key)
