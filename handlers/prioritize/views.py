"""The scorecard's modals and the ranked list: pure Block Kit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.rules.directory import TeamProfile
from bot.rules.scorecard import LABELS, SCORES, SHORT, Scored
from bot.rules.team_config import CRITERIA
from handlers.blocks import Block, clip, context, escape, header, modal, option, radio_input, section, text_input
from handlers.prioritize import ids
from handlers.teams import picker

LIST_SHOWN = 40
"""Initiatives with their own line in the list (Slack: 50 blocks a message)."""
HELP = "\n".join([
    "*/prioritize* — the team's improvement scorecard:",
    "• `/prioritize` — propose an initiative and score it",
    "• `/prioritize score <id>` — score one (or change your score)",
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
                        initial=str(current[criterion]) if current else None)
            for criterion in CRITERIA]


def propose_form(team_key: str, weights: Mapping[str, int], teams: Sequence[TeamProfile] = ()) -> dict[str, Any]:
    """`teams`: those the person may propose to (a team picker first, when several)."""
    chosen = [team for team in teams if team.key == team_key]
    blocks: list[Block] = [
        *(picker(ids.TEAM, teams, chosen[0]) if chosen else []),
        text_input(ids.TITLE, "Initiative", max_length=150, placeholder="e.g. Self-serve refunds in the help centre"),
        text_input(ids.DESCRIPTION, "What and why", multiline=True, optional=True, max_length=2000),
        text_input(ids.LINK, "Link (doc, ticket, spec)", optional=True, max_length=500),
        context("Score it 1 (little) to 5 (a lot). Others in the team can score it too."),
        *_criteria(None, weights),
    ]
    return modal(ids.PROPOSE_FORM, "Propose an initiative", blocks, submit="Propose", private_metadata=team_key)


def score_form(initiative_id: int, title: str, current: Mapping[str, int] | None,
               weights: Mapping[str, int]) -> dict[str, Any]:
    blocks: list[Block] = [section(f"*{escape(title)}*"), *_criteria(current, weights)]
    return modal(ids.SCORE_FORM, "Score an initiative", blocks, submit="Save", private_metadata=str(initiative_id))


def ranked_list(team_name: str, initiatives: Sequence[Scored], weights: Mapping[str, int]) -> tuple[str, list[Block]]:
    title = f"Initiatives · {team_name}"
    if not initiatives:
        return f"{escape(title)}: none open", [section(f"*{escape(title)}*\nNone open: `/prioritize` proposes one.")]
    blocks: list[Block] = [header(title), context("Ranked by weighted score (1.00–5.00) · " + " · ".join(
        f"{SHORT[c]} {weights.get(c, 0)}%" for c in CRITERIA))]
    for place, item in enumerate(initiatives[:LIST_SHOWN], start=1):
        if item.score is None:
            line = f"{place}. *{escape(clip(item.title, 150))}* (#{item.id}) · not scored yet"
        else:
            per = " · ".join(f"{SHORT[c]} {item.per_criterion[c]:.1f}" for c in CRITERIA)
            line = (f"{place}. *{escape(clip(item.title, 150))}* (#{item.id}) · *{item.score:.2f}*"
                    f" (spread {item.spread:.2f}, {len(item.scorers)} scored, {item.missing} to go)\n{per}")
        blocks.append(section(line))
    if len(initiatives) > LIST_SHOWN:
        blocks.append(context(f"…and {len(initiatives) - LIST_SHOWN} more, lower ranked."))
    return f"{escape(title)}: {len(initiatives)} open", blocks
