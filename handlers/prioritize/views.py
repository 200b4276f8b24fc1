"""The scorecard's modals and the ranked list: pure Block Kit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.rules.directory import TeamProfile
from bot.rules.kpi import CATALOGUE, GROUP_LABELS, GROUPS
from bot.rules.scorecard import HINTS, KPI_DAYS, LABELS, SCORES, SHORT, Scored, Tracking
from bot.rules.team_config import CRITERIA
from handlers.blocks import (
    Block,
    clip,
    context,
    date_input,
    escape,
    header,
    modal,
    option,
    radio_input,
    section,
    select_input,
    text_input,
    user_input,
)
from handlers.prioritize import ids
from handlers.teams import picker

LIST_SHOWN = 40
"""Initiatives with their own line in the list (Slack: 50 blocks a message)."""
HELP = "\n".join([
    "*/prioritize* — the team's improvement scorecard:",
    "• `/prioritize` — propose an initiative and score it",
    "• `/prioritize score <id>` — score one (or change your score)",
    "• `/prioritize edit <id>` — its owner, target date and the KPI it should move (whoever proposed it, "
    "or a manager)",
    "• `/prioritize list` — the open initiatives, ranked by weighted score",
    "• `/prioritize share` — post the ranked list in this channel",
    "• `/prioritize done <id> <outcome>` / `/prioritize drop <id> <why>` — close one",
    "In several teams? Name one last (its key or name): `/prioritize tier2`, `/prioritize list tier2`, "
    "`/prioritize share tier2`, or choose it in the form's *Team* picker; it stays your default.",
    "Weights (team configuration, adding up to 100%): " + "customer satisfaction 30 · churn 25 · support costs 20 · "
    "feasibility 15 · business goals 10 by default.",
])


def _criteria(current: Mapping[str, int] | None, weights: Mapping[str, int]) -> list[Block]:
    return [radio_input(criterion, f"{LABELS[criterion]} ({weights.get(criterion, 0)}%)",
                        [option(str(s), str(s)) for s in SCORES],
                        initial=str(current[criterion]) if current else None, hint=HINTS[criterion])
            for criterion in CRITERIA]


def _tracking(owner: str | None = None, target: date | None = None, kpi: str | None = None) -> list[Block]:
    metrics = [(GROUP_LABELS[g], [option(m.label, m.key) for m in CATALOGUE if m.group == g]) for g in GROUPS]
    return [
        user_input(ids.OWNER, "Owner", optional=True, initial=owner, hint="Who drives it to done."),
        date_input(ids.TARGET, "Target date", optional=True, initial=target.isoformat() if target else None),
        select_input(ids.KPI, "KPI it should move", groups=metrics, initial=kpi, optional=True),
        context(f"The list shows that KPI over the {KPI_DAYS} days before the initiative was proposed against "
                f"the last {KPI_DAYS} days."),
    ]


def propose_form(team_key: str, weights: Mapping[str, int], teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """`teams`: those the person may propose to (a team picker first, when several)."""
    chosen = [team for team in teams if team.key == team_key]
    blocks: list[Block] = [
        *(picker(ids.TEAM, teams, chosen[0]) if chosen else []),
        text_input(ids.TITLE, "Initiative", max_length=150, placeholder="e.g. Self-serve refunds in the help centre"),
        text_input(ids.DESCRIPTION, "What and why", multiline=True, optional=True, max_length=2000),
        text_input(ids.LINK, "Link (doc, ticket, spec)", optional=True, max_length=500),
        *_tracking(),
        context("Score it 1 to 5 on each: 5 is always best for the initiative, the most benefit or, for "
                "feasibility, the easiest to do. Others in the team can score it too."),
        *_criteria(None, weights),
    ]
    return modal(ids.PROPOSE_FORM, "Propose an initiative", blocks, submit="Propose", private_metadata=team_key)


def score_form(initiative_id: int, title: str, current: Mapping[str, int] | None,
               weights: Mapping[str, int]) -> dict[str, Any]:
    blocks: list[Block] = [section(f"*{escape(title)}*"), *_criteria(current, weights)]
    return modal(ids.SCORE_FORM, "Score an initiative", blocks, submit="Save", private_metadata=str(initiative_id))


def track_form(initiative_id: int, title: str, owner: str | None, target: date | None,
               kpi: str | None) -> dict[str, Any]:
    blocks: list[Block] = [section(f"*{escape(title)}*"), *_tracking(owner, target, kpi)]
    return modal(ids.TRACK_FORM, "Owner, date and KPI", blocks, submit="Save", private_metadata=str(initiative_id))


def day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def tracking_line(tracked: Tracking | None) -> str:
    """`👤 <@U1> · 🎯 Fri 18 Dec 2026 · ⚠️ overdue by 3 days · 📈 CSAT: 71.4% of 14 rated → …`; "" for none."""
    if tracked is None:
        return ""
    parts = [f"👤 <@{tracked.owner}>"] if tracked.owner else []
    if tracked.target is not None:
        parts.append(f"🎯 {day(tracked.target)}")
        if tracked.overdue:
            parts.append(f"⚠️ *overdue* by {tracked.overdue} day{'s' if tracked.overdue != 1 else ''}")
    if tracked.kpi is not None:
        parts.append(f"📈 {escape(str(tracked.kpi))}")
    return " · ".join(parts)


def ranked_list(team_name: str, initiatives: Sequence[Scored], weights: Mapping[str, int],
                tracking: Mapping[int, Tracking] | None = None) -> tuple[str, list[Block]]:
    title = f"Initiatives · {team_name}"
    if not initiatives:
        return f"{escape(title)}: none open", [section(f"*{escape(title)}*\nNone open: `/prioritize` proposes one.")]
    blocks: list[Block] = [header(title), context("Ranked by weighted score (1.00–5.00) · " + " · ".join(
        f"{SHORT[c]} {weights.get(c, 0)}%" for c in CRITERIA) + f" · 📈 the KPI's last {KPI_DAYS} days against "
        f"the {KPI_DAYS} before it was proposed")]
    for place, item in enumerate(initiatives[:LIST_SHOWN], start=1):
        if item.score is None:
            line = f"{place}. *{escape(clip(item.title, 150))}* (#{item.id}) · not scored yet"
        else:
            per = " · ".join(f"{SHORT[c]} {item.per_criterion[c]:.1f}" for c in CRITERIA)
            line = (f"{place}. *{escape(clip(item.title, 150))}* (#{item.id}) · *{item.score:.2f}*"
                    f" (spread {item.spread:.2f}, {len(item.scorers)} scored, {item.missing} to go)\n{per}")
        tracked = tracking_line((tracking or {}).get(item.id))
        blocks.append(section(clip(line + ("\n" + tracked if tracked else ""), 3000)))
    if len(initiatives) > LIST_SHOWN:
        blocks.append(context(f"…and {len(initiatives) - LIST_SHOWN} more, lower ranked."))
    return f"{escape(title)}: {len(initiatives)} open", blocks
