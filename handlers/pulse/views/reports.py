"""Block Kit for what managers see of a closed round: one team's results, or a roll-up across teams.
Below the threshold: the participation rate and one line, nothing else. Pure builders."""

from __future__ import annotations

from bot.rules.pulse_results import Enps, QuestionResult, Results
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


def _signed(change: float | int) -> str:
    return f"+{change}" if change > 0 else f"−{abs(change)}" if change < 0 else "±0"


def participation_line(results: Results) -> str:
    return (f"*Participation:* {results.respondents} of {results.invited} "
            f"({results.participation} %)")


def _question(result: QuestionResult, compared_with: str | None) -> str:
    mean = f"{result.average:.1f}" if result.average is not None else "–"
    trend = f" ({_signed(result.change)} vs {compared_with})" if result.change is not None and compared_with else ""
    counts = " · ".join(f"{v}: {n}" for v, n in zip(result.question.values, result.distribution, strict=True))
    return (f"*{escape(result.question.text)}*\n`{result.bar}` *{mean}* / {result.question.high}{trend}\n"
            f"{DISTRIBUTION} {counts}")


def _enps(score: Enps, change: int | None, compared_with: str | None) -> str:
    trend = f" ({_signed(change)} vs {compared_with})" if change is not None and compared_with else ""
    return (f"*eNPS: {_signed(score.score) if score.score else '0'}*{trend}\n"
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
    blocks += [section(_question(r, results.compared_with)) for r in results.questions]
    if results.enps is not None:
        blocks.append(section(_enps(results.enps, results.enps_change, results.compared_with)))
    if results.compared_with is None and not results.left_out:
        blocks.append(context("No earlier round met the threshold, so there is no trend yet."))
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
