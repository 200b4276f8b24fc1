"""Two replicas writing the same shared row at once: both succeed, and one row holds the right value.

Each race runs two sessions on the same database and holds the first statement each sends to the table until
both have sent one: a write that reads first ("nothing there") and inserts after would have both insert, and
the second would fail on the unique key (`UniqueViolationError … pk_metric_alert_states` from three replicas
racing a digest's first alert). Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Supportbot
from bot.rules.kpi_plan import Baseline
from bot.rules.team_config import CRITERIA
from storage import failures, kpi, scorecard, standups, teams
from storage.failures import Failure
from storage.metric_models import ManualMetric, MetricAlertState, MetricBaseline
from storage.models import Claim, DeliveryFailure
from storage.scorecard_models import Initiative, InitiativeScore
from storage.standup_models import StandupEntry
from tests.conftest import TeamPeople
from tests.kit.races import both_first

T = TypeVar("T")
NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
DAY = date(2026, 11, 1)


async def race(app: Supportbot, table: str, write: Callable[[AsyncSession, int], Awaitable[T]]) -> list[T]:
    """`write(session, 0)` and `write(session, 1)` at once, each in a session of its own, then committed."""
    async def one(n: int) -> T:
        async with app.services.db() as session:
            done = await write(session, n)
            await session.commit()
            return done

    async with both_first(app, table):
        return list(await asyncio.gather(one(0), one(1)))


async def rows(app: Supportbot, model: Any) -> list[Any]:
    async with app.services.db() as session:
        return list((await session.scalars(select(model))).all())


async def team_id(app: Supportbot) -> int:
    async with app.services.db() as session:
        found = await teams.get(session, "tier1")
    assert found is not None
    return found.id


@dataclass(frozen=True)
class Case:
    write: Callable[[Supportbot, AsyncSession, int, int], Awaitable[Any]]
    """(app, session, team id, which of the two) -> what the write answers."""
    table: str
    check: Callable[[Supportbot, list[Any]], Awaitable[None]]


async def red(app: Supportbot, session: AsyncSession, team: int, _n: int) -> None:
    await kpi.set_red(session, team, "csat", True, DAY)


async def red_checked(app: Supportbot, _answers: list[Any]) -> None:
    [state] = await rows(app, MetricAlertState)
    assert (state.metric, state.red, state.day) == ("csat", True, DAY)


async def logged(app: Supportbot, session: AsyncSession, team: int, n: int) -> bool:
    return await kpi.log_metric(session, team, "nps", DAY, 40.0 + n, by=f"U0MANAGER{n}", now=NOW)


async def logged_checked(app: Supportbot, answers: list[Any]) -> None:
    assert sorted(answers) == [False, True]  # one logged it, the other replaced it
    [row] = await rows(app, ManualMetric)
    replaced_by = answers.index(True)
    assert (row.value, row.logged_by) == (40.0 + replaced_by, f"U0MANAGER{replaced_by}")


async def pinned(app: Supportbot, session: AsyncSession, team: int, _n: int) -> None:
    await kpi.pin_baseline(session, team, Baseline("csat", 91.5, DAY), by="U0MANAGER", now=NOW)


async def pinned_checked(app: Supportbot, _answers: list[Any]) -> None:
    [row] = await rows(app, MetricBaseline)
    assert (row.metric, row.value, row.pinned_on) == ("csat", 91.5, DAY)


async def scored(app: Supportbot, session: AsyncSession, _team: int, n: int) -> bool:
    initiative = await session.scalar(select(Initiative.id))  # names no table the race holds
    assert initiative is not None
    return await scorecard.score(session, initiative, "U0AGENT1", dict.fromkeys(CRITERIA, 2 + n), now=NOW)


async def scored_checked(app: Supportbot, answers: list[Any]) -> None:
    assert sorted(answers) == [False, True]
    [row] = await rows(app, InitiativeScore)
    assert all(getattr(row, criterion) == 2 + answers.index(True) for criterion in CRITERIA)


async def prompted(app: Supportbot, session: AsyncSession, team: int, n: int) -> str:
    return (await standups.record_prompt(session, team, "U0AGENT1", DAY, now=NOW)).status


async def prompted_checked(app: Supportbot, answers: list[Any]) -> None:
    assert answers == ["prompted", "prompted"]
    [row] = await rows(app, StandupEntry)
    assert (row.user_id, row.status, row.prompted_at) == ("U0AGENT1", "prompted", NOW)


PARKED = Failure("kpi-digest:tier1:2026-11-01", "digest", NOW, 3, "not_in_channel", NOW, NOW, NOW)


async def restored(app: Supportbot, session: AsyncSession, _team: int, _n: int) -> None:
    await failures.restore(session, [PARKED])


async def restored_checked(app: Supportbot, _answers: list[Any]) -> None:
    assert [(r.key, r.attempts, r.parked_at) for r in await rows(app, DeliveryFailure)] == [(PARKED.key, 3, NOW)]
    assert [(c.key, c.done_at) for c in await rows(app, Claim)] == [(PARKED.key, None)]


CASES = {
    "set_red": Case(red, "metric_alert_states", red_checked),
    "log_metric": Case(logged, "manual_metrics", logged_checked),
    "pin_baseline": Case(pinned, "metric_baselines", pinned_checked),
    "score": Case(scored, "initiative_scores", scored_checked),
    "record_prompt": Case(prompted, "standup_entries", prompted_checked),  # a savepoint insert: safe before too
    "failures.restore": Case(restored, "delivery_failures", restored_checked),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_two_sessions_racing_the_first_write_both_succeed_and_leave_one_right_row(
        app: Supportbot, team: TeamPeople, name: str) -> None:
    case = CASES[name]
    tier1 = await team_id(app)
    async with app.services.db() as session:
        await scorecard.propose(session, tier1, title="Macros", description="", link=None, proposer="U0MANAGER",
                                now=NOW)
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(InitiativeScore)) == 0

    answers = await race(app, case.table, lambda session, n: case.write(app, session, tier1, n))
    await case.check(app, answers)
