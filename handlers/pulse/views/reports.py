"""Block Kit for what managers see of a closed round: one team's results, or a roll-up across teams.
Below the threshold: the participation rate and one line, nothing else. Pure builders."""

from __future__ import annotations

from bot.rules.pulse_results import Enps, QuestionResult, Results, Rolling
from handlers.blocks import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    Block,
    clip,
    context,
    divider,
    escape,
    header,
    section,
)

HIDDEN = ("Results are hidden to protect anonymity: fewer than {n} people answered, so no average, "
          "distribution, eNPS or comment is shown.")
ALL_HIDDEN = ("No team reached its anonymity threshold, so there are no combined figures: no average, "
              "distribution or eNPS is shown.")
DISTRIBUTION = "People per answer —"
"""Before a question's counts: `People per answer — 1: 0 · 2: 1 · 3: 2 · 4: 3 · 5: 0`."""
COMMENT_MAX_SHOWN = 2900
"""Characters of one comment in a report once escaped (a 2000-character comment of `&` grows fivefold)."""


FLAG = "⚑"
"""Marks a change larger than the noise."""


def _signed(change: float | int) -> str:
    return f"+{change}" if change > 0 else f"−{abs(change)}" if change < 0 else "±0"


def judged(change: float | int, compared_with: str, meaningful: bool) -> str:
    """`+0.9 vs 2026-W45 ⚑ beyond the noise`, or `−33 vs 2026-W45, within the noise`."""
    return f"{_signed(change)} vs {compared_with}" + (f" {FLAG} beyond the noise" if meaningful
                                                      else ", within the noise")


def noise_line(respondents: int, rolling: Rolling | None) -> str:
    """How changes are judged, and what the rolling figure pools: one short line."""
    answers = f"{respondents} answer{'s' if respondents != 1 else ''}"
    line = (f"Changes within the noise for {answers} are not flagged: {FLAG} only when larger than two standard "
            "errors of the difference, from each round's own spread.")
    if rolling is not None:
        line += (f" The {len(rolling.rounds)}-round figure pools the answers of {rolling.span} "
                 f"({rolling.answers} answers).")
    return line


def participation_line(results: Results) -> str:
    return (f"*Participation:* {results.respondents} of {results.invited} "
            f"({results.participation} %)")


def _question(result: QuestionResult, compared_with: str | None, rolling: Rolling | None) -> str:
    mean = f"{result.average:.1f}" if result.average is not None else "–"
    trend = (f" ({judged(result.change, compared_with, result.meaningful)})"
             if result.change is not None and compared_with else "")
    pooled = rolling.averages.get(result.question.text) if rolling else None
    over = f" · {len(rolling.rounds)}-round *{pooled:.1f}*" if rolling and pooled is not None else ""
    counts = " · ".join(f"{v}: {n}" for v, n in zip(result.question.values, result.distribution, strict=True))
    return (f"*{escape(result.question.text)}*\n`{result.bar}` *{mean}* / {result.question.high}{trend}{over}\n"
            f"{DISTRIBUTION} {counts}")


def enps_figure(score: int) -> str:
    return _signed(score) if score else "0"


def _enps(results: Results, score: Enps) -> str:
    change, compared_with, rolling = results.enps_change, results.compared_with, results.rolling
    trend = (f" ({judged(change, compared_with, results.enps_meaningful)})"
             if change is not None and compared_with else "")
    over = (f" · {len(rolling.rounds)}-round *{enps_figure(rolling.enps.score)}*"
            if rolling and rolling.enps is not None else "")
    return (f"*eNPS: {enps_figure(score.score)}*{trend}{over}\n"
            f"{score.promoters} promoters (9–10) · {score.passives} passives (7–8) · "
            f"{score.detractors} detractors (0–6)")


def fallback_text(results: Results) -> str:
    """The notification text: participation only, whatever the threshold."""
    return f"Pulse results · {escape(results.name)}: {results.respondents} of {results.invited} answered"


def still_open_text(team: str, week: str) -> str:
    return f"{escape(team)}: the pulse of {week} is still open; results are shown only after it closes."


def no_round_text(team: str, week: str | None) -> str:
    return f"{escape(team)}: " + (f"there was no pulse round in {week}." if week else "no pulse round has closed yet.")


def results_blocks(results: Results, *, max_blocks: int = MESSAGE_BLOCKS_MAX) -> list[Block]:
    """One team's closed round, or a roll-up. Below the threshold only participation and one line."""
    blocks: list[Block] = [header(f"Pulse · {results.name}"), section(participation_line(results))]
    if results.left_out:
        blocks.append(context("Left out of the combined figures (below their anonymity threshold): "
                              + ", ".join(escape(t) for t in results.left_out)))
    if not results.visible:
        blocks.append(section(ALL_HIDDEN if results.left_out else HIDDEN.format(n=results.min_responses)))
        return blocks
    blocks += [section(_question(r, results.compared_with, results.rolling)) for r in results.questions]
    if results.enps is not None:
        blocks.append(section(_enps(results, results.enps)))
    if results.compared_with is None and not results.left_out:
        blocks.append(context("No earlier round met the threshold, so there is no trend yet."))
    elif results.compared_with is not None:
        blocks.append(context(noise_line(results.respondents, results.rolling)))
    if results.comments:
        blocks.append(divider())
        blocks.append(section(f"*Comments* ({len(results.comments)}, in random order)"))
        blocks += _comment_blocks(results.comments, max_blocks - len(blocks) - 2)
    blocks.append(context("Anonymous aggregates only: nobody, managers included, can see who answered what."))
    return blocks[:max_blocks]


def _comment_blocks(comments: tuple[str, ...], room: int) -> list[Block]:
    """Comments packed into sections of at most 3000 characters, within `room` blocks (the last one says
    how many did not fit)."""
    chunks: list[list[str]] = []
    for comment in comments:
        line = clip("> " + escape(comment).replace("\n", "\n> "), COMMENT_MAX_SHOWN)
        if not chunks or len("\n\n".join([*chunks[-1], line])) > SECTION_TEXT_MAX:
            chunks.append([])
        chunks[-1].append(line)
    shown = chunks if len(chunks) <= room else chunks[:max(room - 1, 0)]
    blocks = [section("\n\n".join(chunk)) for chunk in shown]
    left = len(comments) - sum(len(chunk) for chunk in shown)
    if left:
        blocks.append(context(f"{left} more comment{'s' if left > 1 else ''} did not fit in one Slack message."))
    return blocks
