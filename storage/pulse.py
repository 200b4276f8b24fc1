"""Pulse rounds, who took part, and the anonymous answers (DESIGN.md 3.4). Session first; no Slack.

Two records, never written together:
- participation (`pulse_participants`): who was asked and who answered, committed on its own first (the
  caller commits: nothing here does);
- the answers (`cast`): in another transaction, which rewrites the whole round's answers and comments,
  shuffled, under fresh random keys. After any submission, every answer row of the round was written
  by that one transaction, in random order, so neither the keys, nor the row order, nor PostgreSQL's
  xmin tell which submission a row came from.
Counts and averages are computed in SQL; this module decides nothing about what may be shown.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import keys
from bot.rules.pulse import Question, questions_from_json
from bot.rules.pulse_results import Tally, enps_of, score
from storage import claims, dialect
from storage.outbox_models import OutboxMessage
from storage.pulse_models import PulseAnswer, PulseComment, PulseParticipant, PulseRound

_shuffle = random.SystemRandom().shuffle


def _key() -> str:
    return secrets.token_hex(16)


# --------------------------------------------------------------------------- rounds

async def open_round(session: AsyncSession, team_id: int, *, week: str, day: date,
                     questions: Sequence[Question], min_responses: int, opens_at: datetime,
                     closes_at: datetime) -> PulseRound:
    """The team's round of `week`, created with these questions unless it exists (then it is kept); not
    committed: until the caller commits, another replica opening it waits on its insert (PostgreSQL) or the
    write lock (SQLite), then finds it."""
    found = await round_of_week(session, team_id, week)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            await session.execute(insert(PulseRound).values(
                team_id=team_id, week=week, day=day, questions=[q.as_json() for q in questions],
                min_responses=min_responses, opens_at=opens_at, closes_at=closes_at, ballots=0))
    except IntegrityError:  # another replica opened it first
        pass
    created = await round_of_week(session, team_id, week)
    assert created is not None
    return created


async def round_of_week(session: AsyncSession, team_id: int, week: str) -> PulseRound | None:
    return await session.scalar(select(PulseRound).where(PulseRound.team_id == team_id, PulseRound.week == week))


async def get(session: AsyncSession, round_id: int) -> PulseRound | None:
    return await session.get(PulseRound, round_id, populate_existing=True)


async def latest(session: AsyncSession, team_id: int) -> PulseRound | None:
    """The team's most recent round, open or closed."""
    return await session.scalar(select(PulseRound).where(PulseRound.team_id == team_id)
                                .order_by(PulseRound.opens_at.desc()).limit(1))


async def latest_closed(session: AsyncSession, team_id: int, now: datetime) -> PulseRound | None:
    return await session.scalar(select(PulseRound).where(PulseRound.team_id == team_id,
                                                         PulseRound.closes_at <= now)
                                .order_by(PulseRound.closes_at.desc()).limit(1))


async def shown_before(session: AsyncSession, of: PulseRound, *, limit: int) -> list[PulseRound]:
    """Up to `limit` of the team's rounds before `of` that met their threshold, most recent first (what a
    trend compares with and a rolling figure pools)."""
    return list((await session.scalars(select(PulseRound).where(
        PulseRound.team_id == of.team_id, PulseRound.closes_at < of.closes_at,
        PulseRound.ballots >= PulseRound.min_responses).order_by(PulseRound.closes_at.desc()).limit(limit))).all())


async def shown_by(session: AsyncSession, team_id: int, now: datetime, *, limit: int) -> list[PulseRound]:
    """Up to `limit` of the team's rounds closed by `now` that met their threshold, most recent first. A hidden
    round is never returned."""
    return list((await session.scalars(select(PulseRound).where(
        PulseRound.team_id == team_id, PulseRound.closes_at <= now,
        PulseRound.ballots >= PulseRound.min_responses).order_by(PulseRound.closes_at.desc()).limit(limit))).all())


async def open_rounds(session: AsyncSession, now: datetime) -> list[PulseRound]:
    return list((await session.scalars(select(PulseRound).where(PulseRound.opens_at <= now,
                                                                PulseRound.closes_at > now))).all())


async def closed_between(session: AsyncSession, since: datetime, now: datetime) -> list[PulseRound]:
    """Rounds that closed after `since` and by `now`, first closed first (their reports are due)."""
    return list((await session.scalars(select(PulseRound).where(
        PulseRound.closes_at <= now, PulseRound.closes_at > since).order_by(PulseRound.closes_at))).all())


async def rounds_of_week(session: AsyncSession, team_ids: Sequence[int], week: str) -> list[PulseRound]:
    return list((await session.scalars(select(PulseRound).where(PulseRound.team_id.in_(team_ids),
                                                                PulseRound.week == week))).all())


# --------------------------------------------------------------------------- participation

async def invite(session: AsyncSession, round_id: int, user_id: str) -> None:
    """Record that `user_id` is asked in the round (they count in the participation rate); not committed."""
    try:
        async with session.begin_nested():
            await session.execute(insert(PulseParticipant).values(round_id=round_id, user_id=user_id,
                                                                  answered=False))
    except IntegrityError:
        pass


async def invite_all(session: AsyncSession, round_id: int, user_ids: Sequence[str]) -> None:
    """Record that these people are asked in the round, in the caller's transaction (not committed: the job
    commits it with their invitations); someone recorded already is left as they are."""
    if not user_ids:
        return
    table = dialect.table_of(PulseParticipant)
    await session.execute(dialect.insert(session, table).values(
        [{"round_id": round_id, "user_id": user, "answered": False} for user in user_ids])
        .on_conflict_do_nothing(index_elements=[table.c.round_id, table.c.user_id]))


async def first_click(session: AsyncSession, round_id: int, trigger_id: str, *, now: datetime) -> bool:
    """Whether this click on an Answer button (its trigger) is seen for the first time: the same click delivered
    twice opens one form. Recorded (a completed claim: housekeeping forgets it with the round's), not committed:
    the caller commits at once, before opening the form, so that a second delivery finds it."""
    return await claims.record(session, str(keys.pulse_form(round_id, trigger_id)), now=now)


async def answered_among(session: AsyncSession, round_id: int, user_ids: Sequence[str]) -> set[str]:
    """Which of these people answered the round."""
    if not user_ids:
        return set()
    return set((await session.scalars(select(PulseParticipant.user_id).where(
        PulseParticipant.round_id == round_id, PulseParticipant.user_id.in_(list(user_ids)),
        PulseParticipant.answered.is_(True)))).all())


async def take_part(session: AsyncSession, round_id: int, user_id: str) -> bool:
    """Record that `user_id` answered; False if they had already. Not committed: the caller commits it at once,
    in a transaction of its own before the answers (a second submission waits on the row it wrote, then finds
    it answered)."""
    marked = await session.execute(update(PulseParticipant).where(
        PulseParticipant.round_id == round_id, PulseParticipant.user_id == user_id,
        PulseParticipant.answered.is_(False)).values(answered=True))
    if getattr(marked, "rowcount", 0):
        return True
    try:
        async with session.begin_nested():
            await session.execute(insert(PulseParticipant).values(round_id=round_id, user_id=user_id,
                                                                  answered=True))
    except IntegrityError:  # already answered
        return False
    return True


async def withdraw(session: AsyncSession, round_id: int, user_id: str) -> None:
    """Undo `take_part` when the answers could not be stored, so the person can answer again (not committed)."""
    await session.execute(update(PulseParticipant).where(PulseParticipant.round_id == round_id,
                                                         PulseParticipant.user_id == user_id)
                          .values(answered=False))


async def has_answered(session: AsyncSession, round_id: int, user_id: str) -> bool:
    return bool(await session.scalar(select(PulseParticipant.answered).where(
        PulseParticipant.round_id == round_id, PulseParticipant.user_id == user_id)))


async def non_responders(session: AsyncSession, round_id: int) -> list[str]:
    return list((await session.scalars(select(PulseParticipant.user_id).where(
        PulseParticipant.round_id == round_id, PulseParticipant.answered.is_(False))
        .order_by(PulseParticipant.user_id))).all())


async def written(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these messages' keys the outbox holds already (sent or not): a plan skips what they need."""
    if not keys:
        return set()
    return set((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(list(keys))))).all())


async def invited(session: AsyncSession, round_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(PulseParticipant)
                                    .where(PulseParticipant.round_id == round_id)) or 0)


# --------------------------------------------------------------------------- the anonymous answers

async def cast(session: AsyncSession, round_id: int, answers: Sequence[tuple[int, int]], comment: str | None) -> None:
    """Add one answer set (question index, value) and its comment to the round, in one transaction that
    rewrites every answer and comment of the round, shuffled, under new random keys (not committed)."""
    await session.execute(update(PulseRound).where(PulseRound.id == round_id)
                          .values(ballots=PulseRound.ballots + 1))  # first: the write lock on the round
    stored = (await session.execute(select(PulseAnswer.question, PulseAnswer.value)
                                    .where(PulseAnswer.round_id == round_id))).all()
    texts = list((await session.scalars(select(PulseComment.text).where(PulseComment.round_id == round_id))).all())
    rows: list[tuple[int, int]] = [(q, v) for q, v in stored] + list(answers)
    if comment:
        texts.append(comment)
    _shuffle(rows)
    _shuffle(texts)
    await session.execute(delete(PulseAnswer).where(PulseAnswer.round_id == round_id))
    await session.execute(delete(PulseComment).where(PulseComment.round_id == round_id))
    if rows:
        await session.execute(insert(PulseAnswer), [{"id": _key(), "round_id": round_id, "question": q, "value": v}
                                                    for q, v in rows])
    if texts:
        await session.execute(insert(PulseComment), [{"id": _key(), "round_id": round_id, "text": t}
                                                     for t in texts])


async def tally(session: AsyncSession, of: PulseRound) -> Tally:
    """The round's answers as counts per question and value (one GROUP BY)."""
    rows = (await session.execute(select(PulseAnswer.question, PulseAnswer.value, func.count())
                                  .where(PulseAnswer.round_id == of.id)
                                  .group_by(PulseAnswer.question, PulseAnswer.value))).all()
    counts: dict[int, dict[int, int]] = {}
    for question, value, n in rows:
        counts.setdefault(int(question), {})[int(value)] = int(n)
    return Tally(questions_from_json(of.questions), counts, of.ballots)


async def tallies(session: AsyncSession, rounds: Sequence[PulseRound]) -> list[Tally]:
    """Each round's answers as counts, in the same order (one GROUP BY for them all)."""
    if not rounds:
        return []
    rows = (await session.execute(select(PulseAnswer.round_id, PulseAnswer.question, PulseAnswer.value, func.count())
                                  .where(PulseAnswer.round_id.in_([r.id for r in rounds]))
                                  .group_by(PulseAnswer.round_id, PulseAnswer.question, PulseAnswer.value))).all()
    counts: dict[int, dict[int, dict[int, int]]] = {}
    for round_id, question, value, n in rows:
        counts.setdefault(int(round_id), {}).setdefault(int(question), {})[int(value)] = int(n)
    return [Tally(questions_from_json(r.questions), counts.get(r.id, {}), r.ballots) for r in rounds]


async def comments(session: AsyncSession, round_id: int) -> list[str]:
    """The round's comments, in random order."""
    return list((await session.scalars(select(PulseComment.text).where(PulseComment.round_id == round_id)
                                       .order_by(func.random()))).all())


# --------------------------------------------------------------------------- for other features

@dataclass(frozen=True)
class PulseScore:
    """A closed round that met its threshold, for the KPI digest."""

    week: str
    closes_at: datetime
    respondents: int
    score: float | None
    """The average of every 1–5 answer, to one decimal."""
    enps: int | None


async def latest_result(session: AsyncSession, team_id: int, now: datetime) -> PulseScore | None:
    """The team's latest round closed by `now` that met its threshold; None when there is none. A hidden
    round is never returned."""
    found = await session.scalar(select(PulseRound).where(PulseRound.team_id == team_id,
                                                          PulseRound.closes_at <= now,
                                                          PulseRound.ballots >= PulseRound.min_responses)
                                 .order_by(PulseRound.closes_at.desc()).limit(1))
    if found is None:
        return None
    counted = await tally(session, found)
    net = enps_of(counted)
    return PulseScore(found.week, found.closes_at, found.ballots, score(counted), net.score if net else None)
