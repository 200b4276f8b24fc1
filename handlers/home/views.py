"""The App Home tab: pure Block Kit from what `data.gather` found. Everyone: their open escalations with the
card's buttons, today's stand-up, this week's pulse. Managers also: each team's KPI tiles, open escalations
by priority (oldest first), stand-up participation this week and the last pulse result."""

from __future__ import annotations

from typing import Any

from bot.rules import participation
from bot.rules.kpi import STATUS_ICONS, format_target, format_value
from bot.rules.pulse_results import Trend
from bot.rules.pulse_trends import PulseTrend
from bot.rules.team_choice import Chosen
from handlers.blocks import (
    VIEW_BLOCKS_MAX,
    Block,
    button,
    clip,
    context,
    date,
    divider,
    escape,
    fields,
    header,
    section,
)
from handlers.escalations.views import escalation_items, escalation_list
from handlers.home.data import ESCALATIONS_SHOWN, Home, Managed, PulseNow, StandupToday
from handlers.pulse import ids as pulse_ids
from handlers.pulse.views import enps_figure, judged, noise_line
from handlers.standups import ids as standup_ids
from handlers.standups import views as standup_views
from handlers.supportbot import onboarding

STANDUP_LINES = {
    "answered": "✅ answered", "skipped": "⏭️ skipped today", "away": "🌴 away today", "prompted": "✍️ waiting for you",
}


def home(data: Home) -> dict[str, Any]:
    blocks: list[Block] = [header("Your support day"), context(f"Updated {date(data.now)}")]
    if not data.in_a_team:
        return {"type": "home", "blocks": [*blocks, *onboarding.checklist(admin=data.connects_helpdesk)]}
    blocks += _teams(data) + _escalations(data)
    if data.standups:
        blocks += [divider(), section("*Today's stand-up*")] + [_standup(item) for item in data.standups]
    if data.pulses:
        blocks += [divider(), section("*This week's pulse*")] + [_pulse(item, data) for item in data.pulses]
    if data.managed:
        blocks += _managers(data)
    if len(blocks) > VIEW_BLOCKS_MAX:
        blocks = [*blocks[:VIEW_BLOCKS_MAX - 1], context("More than fits here: the commands show the rest.")]
    return {"type": "home", "blocks": blocks}


def _teams(data: Home) -> list[Block]:
    """Someone in several teams: which they are, and which one commands act on when they name none."""
    if len(data.teams) < 2:
        return []
    default = data.default.team.key if isinstance(data.default, Chosen) else None
    names = [f"*{escape(team.name)}* (`{team.key}`, your default)" if team.key == default
             else f"{escape(team.name)} (`{team.key}`)" for team in data.teams]
    return [context(clip("Your teams: " + " · ".join(names) + ". Commands act on your default; name another to "
                         "switch, e.g. `/kpi " + data.teams[-1].key + "`.", 3000))]


def _escalations(data: Home) -> list[Block]:
    if not data.mine.total:
        return [section("*Your open escalations*\nNone: nothing you reported or own is open. 🎉")]
    return [section(f"*Your open escalations* ({data.mine.total})"),
            *escalation_items(data.mine, data.now, limit=ESCALATIONS_SHOWN)]


def _standup(item: StandupToday) -> Block:
    name, day = escape(item.team.name), standup_views.day_label(item.day)
    if not item.team_day:
        return section(f"*{name}*: no stand-up today ({day}).")
    value = standup_views.button_value(item.team.key, item.day)
    if item.status == "answered":
        return section(f"*{name}* · {day}: {STANDUP_LINES['answered']}",
                       accessory=button("Edit", standup_ids.EDIT, value))
    if item.status in ("skipped", "away"):
        return section(f"*{name}* · {day}: {STANDUP_LINES[item.status]}")
    return section(f"*{name}* · {day}: {STANDUP_LINES['prompted'] if item.status else 'not asked yet'}",
                   accessory=button("Answer", standup_ids.START, value, style="primary"))


def _pulse(item: PulseNow, data: Home) -> Block:
    name = escape(item.team.name)
    if item.round is None:
        return section(f"*{name}*: no pulse open right now.")
    if item.answered:
        return section(f"*{name}* · {item.round.week}: ✅ answered, thank you. Results reach managers after "
                       f"{date(item.round.closes_at)}, only as anonymous totals.")
    return section(f"*{name}* · {item.round.week}: two minutes, anonymous; open until {date(item.round.closes_at)}.",
                   accessory=button("Answer", pulse_ids.ANSWER, str(item.round.id), style="primary"))


def _managers(data: Home) -> list[Block]:
    blocks: list[Block] = [divider(), header("Your teams")]
    for managed in data.managed:
        blocks += _team(managed, data.connects_helpdesk)
    if data.team_escalations is not None:
        blocks += escalation_list("Open escalations, by priority", data.team_escalations, data.now)
    return blocks


def _pulse_result(found: PulseTrend) -> list[Block]:
    """`Last pulse (2026-W46, 6 answers): score 3.7 / 5 (±0 vs 2026-W45, within the noise), eNPS +50 (…)`, then
    the rolling figure and how changes are judged."""
    def trend(change: Trend | None) -> str:
        return (f" ({judged(change.change, found.compared_with, change.meaningful)})"
                if change is not None and found.compared_with else "")

    score = f"{found.score:.1f} / 5" if found.score is not None else "—"
    enps = enps_figure(found.enps.score) if found.enps is not None else "—"
    line = (f"Last pulse ({found.week}, {found.respondents} answers): "
            f"score *{score}*{trend(found.score_change)}, eNPS *{enps}*{trend(found.enps_change)}")
    pooled = found.rolling
    if pooled is not None:
        pooled_score = f"{pooled.score:.1f} / 5" if pooled.score is not None else "—"
        pooled_enps = enps_figure(pooled.enps.score) if pooled.enps is not None else "—"
        line += (f"\n{len(pooled.rounds)}-round: score *{pooled_score}*, eNPS *{pooled_enps}* "
                 f"({pooled.answers} answers)")
    blocks = [section(clip(line, 3000))]
    if found.compared_with is not None:
        blocks.append(context(noise_line(found.respondents, pooled)))
    return blocks


def _team(managed: Managed, admin: bool) -> list[Block]:
    blocks: list[Block] = [section(f"*{escape(managed.team.name)}*")]
    tiles = [(f"{STATUS_ICONS[r.status] if r.status else '▫️'} {r.metric.label}",
              f"{format_value(r.metric, r.value)} ({format_target(r.metric, r.target)})")
             for r in managed.kpis if r.value is not None]
    if tiles:
        blocks += [fields(tiles[:10]), context(f"KPIs for {standup_views.day_label(managed.kpi_day)} · `/kpi` for the "
                                              "whole digest")]
    else:
        how = (f"`supportbot tickets import FILE` on the server loads a helpdesk export ({onboarding.HELPDESK_DOCS})"
               if admin else onboarding.ASK_FOR_HELPDESK)
        blocks.append(context(f"No KPI data yet: {how}."))
    answered, asked = (sum(p.answered for p in managed.participation), sum(p.expected for p in managed.participation))
    rate_found = participation.percent(answered, asked)  # the KPI series' definition
    if rate_found is not None:
        rate = round(rate_found)
        blocks.append(section(f"Stand-up this week: *{rate}%* answered ({answered} of {asked})"))
    if managed.pulse is not None:
        blocks += _pulse_result(managed.pulse)
    else:
        blocks.append(context("No pulse result to show yet (results appear once a round closes with enough answers)."))
    return blocks
