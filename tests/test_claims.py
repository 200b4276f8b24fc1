"""Claims: a key recorded once (a pulse form's click), across sessions and processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import Supportbot
from storage import claims
from storage.models import Claim

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


async def test_a_key_is_recorded_once_and_only_the_callers_commit_makes_it_count(app: Supportbot) -> None:
    async with app.services.db() as first:
        assert await claims.record(first, "pulse:7:form:T1", now=NOW) is True
        assert await claims.record(first, "pulse:7:form:T1", now=NOW) is False  # seen in its own transaction
        await first.rollback()  # not committed: nothing was recorded
    async with app.services.db() as first:
        assert await claims.record(first, "pulse:7:form:T1", now=NOW) is True
        await first.commit()
    async with app.services.db() as second:
        assert await claims.record(second, "pulse:7:form:T1", now=NOW + timedelta(days=1)) is False
        assert await claims.record(second, "pulse:7:form:T2", now=NOW) is True
        await second.commit()
    async with app.services.db() as session:
        rows = (await session.scalars(select(Claim).order_by(Claim.key))).all()
    assert [(r.key, r.done_at is not None) for r in rows] == [("pulse:7:form:T1", True), ("pulse:7:form:T2", True)]


async def test_forget_deletes_completed_claims_only(app: Supportbot) -> None:
    async with app.services.db() as session:
        session.add_all([Claim(key="done", claimed_at=NOW, done_at=NOW), Claim(key="parked", claimed_at=NOW)])
        await session.commit()
    async with app.services.db() as session:
        assert await claims.forget(session, ["done", "parked", "absent"]) == 1
        await session.commit()
    async with app.services.db() as session:
        assert list((await session.scalars(select(Claim.key))).all()) == ["parked"]
