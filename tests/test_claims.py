"""Claims: each unit of scheduled work is done once, across ticks, restarts and replicas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Supportbot
from storage import claims, failures

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


async def test_a_key_is_claimed_once(app: Supportbot) -> None:
    async with app.services.db() as first, app.services.db() as second:
        assert await claims.claim(first, "digest:tier1:2026-11-01", now=NOW) is True
        assert await claims.claim(second, "digest:tier1:2026-11-01", now=NOW) is False
        assert await claims.claim(second, "digest:tier1:2026-11-02", now=NOW) is True


async def test_released_work_is_claimed_again_on_the_next_tick(app: Supportbot) -> None:
    async with app.services.db() as session:
        assert await claims.claim(session, "k", now=NOW)
        await claims.release(session, "k")
        assert await claims.claim(session, "k", now=NOW + timedelta(minutes=1))


async def test_completed_work_is_never_taken_over(app: Supportbot) -> None:
    async with app.services.db() as session:
        assert await claims.claim(session, "k", now=NOW)
        await claims.complete(session, "k", now=NOW)
        assert await claims.is_done(session, "k")
        assert not await claims.claim(session, "k", now=NOW + timedelta(days=1))


async def test_a_claim_abandoned_by_a_crash_is_taken_over_after_the_lease(app: Supportbot) -> None:
    async with app.services.db() as session:
        assert await claims.claim(session, "k", now=NOW)
        assert not await claims.claim(session, "k", now=NOW + claims.LEASE - timedelta(seconds=1))
        assert await claims.claim(session, "k", now=NOW + claims.LEASE + timedelta(seconds=1))


async def test_taken_answers_for_many_keys_in_one_call(app: Supportbot) -> None:
    keys = [f"reminder:{n}" for n in range(2500)]  # more than one query's worth
    async with app.services.db() as session:
        for key in keys[::500]:
            assert await claims.claim(session, key, now=NOW)
        await claims.complete(session, keys[0], now=NOW)
        assert await claims.taken(session, keys, now=NOW) == set(keys[::500])
        later = NOW + claims.LEASE + timedelta(minutes=1)  # unfinished claims have expired; done ones stay
        assert await claims.taken(session, keys, now=later) == {keys[0]}


async def test_claim_all_takes_what_is_free_in_one_commit_and_says_what_failed_before(app: Supportbot) -> None:
    later = NOW + claims.LEASE + timedelta(minutes=1)
    async with app.services.db() as session:
        for key in ("done", "crashed", "failed", "parked", "failed-then-crashed"):
            assert await claims.claim(session, key, now=NOW)
        await claims.complete(session, "done", now=NOW)
        for key in ("failed", "parked", "failed-then-crashed"):
            assert await failures.failed(session, key, job="j", as_of=NOW, error="http_500", now=NOW) == 1
        await claims.release(session, "failed")  # a failed send gives the unit back for the next tick
        await failures.park(session, "parked", now=NOW)
        await session.commit()
        assert await claims.claim(session, "held", now=later - timedelta(minutes=1))  # a live claim
    async with app.services.db() as session:
        keys = ["new", "done", "held", "crashed", "failed", "parked", "failed-then-crashed", "new", "other"]
        taken = await claims.claim_all(session, keys, now=later)
    # In the order given, each once; what is done, parked or (before the lease's end) held is not taken.
    assert taken == {"new": False, "crashed": False, "failed": True, "failed-then-crashed": True, "other": False}
    async with app.services.db() as session:
        assert await claims.claim_all(session, keys, now=later) == {}  # all held now, or done, or parked
        assert await claims.taken(session, keys, now=later) == set(keys)
