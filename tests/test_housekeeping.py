"""Housekeeping: completed claims and sent outbox messages that can no longer recur are forgotten, and forgetting
them sends nothing again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.app import Supportbot
from bot.rules import escalation_changes, kpi_plan, retention
from bot.rules.keys import StoredKey
from bot.rules.messages import Message, Ref
from bot.rules.retention import KEEP, Facts, deletable, sent_deletable
from bot.seed import act, seed_escalation, state
from handlers import all_jobs
from handlers.escalations import jobs as escalation_jobs
from handlers.housekeeping.jobs import HOUSEKEEPING
from handlers.jobs import find
from handlers.pulse import jobs as pulse_jobs
from handlers.standups import jobs as standup_jobs
from storage import claims, escalations, outbox, pulse
from storage.models import Claim
from storage.outbox_models import OutboxMessage
from tests.conftest import Clock, TeamPeople
from tests.kit.fake_slack import FakeSlack

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
OLD = NOW - KEEP - timedelta(days=1)
RECENT = NOW - timedelta(days=5)
LONG_RESOLVED = Facts(resolved={42: NOW - KEEP - timedelta(days=3)})
JUST_RESOLVED = Facts(resolved={42: NOW - timedelta(days=3)})
STILL_OPEN = Facts(resolved={42: None})
CLOSED_LONG_AGO = Facts(closes={7: NOW - timedelta(days=40)})
CLOSES_LATER = Facts(closes={7: NOW + timedelta(days=1)})
NONE = Facts()


@pytest.mark.parametrize("key, done_at, facts, expected", [
    # escalations: only once resolved longer ago than the window
    ("esc:42:card:C0ENG", OLD, LONG_RESOLVED, True),
    ("esc:42:event:9:reply:C0ENG", OLD, LONG_RESOLVED, True),
    ("esc:42:ack:2026-11-02T14:15:00+00:00:breach", OLD, LONG_RESOLVED, True),
    ("esc:42:card:C0ENG", OLD, JUST_RESOLVED, False),
    ("esc:42:card:C0ENG", OLD, STILL_OPEN, False),
    ("esc:42:card:C0ENG", OLD, NONE, False),  # not looked up, or no such escalation: keep
    # stand-ups: past the job's three-day look-back
    ("standup:tier1:2026-11-02:prompt:U0AGENT1", OLD, NONE, True),
    ("standup:tier1:2026-11-02:summary", OLD, NONE, True),
    ("standup:tier1:2026-11-02:parent", RECENT, NONE, False),  # completed too recently
    ("standup:tier1:2026-12-18:prompt:U0AGENT1", OLD, NONE, False),  # its day is still in the look-back
    # KPI digests, alerts and baseline summaries
    ("kpi-digest:tier1:2026-11-02", OLD, NONE, True),
    ("kpi-digest:tier1:2026-11-02:chart", OLD, NONE, True),
    ("kpi-digest:tier1:2026-11-02:finished", OLD, NONE, True),
    ("kpi-digest:tier1:2026-12-19", OLD, NONE, False),  # yesterday's digest is still due today
    ("kpi-alert:tier1:csat_percent:2026-11-02:red", OLD, NONE, True),
    ("kpi-baseline:tier1:csat_percent:2026-11-02:summary", OLD, NONE, True),
    ("kpi-baseline:tier1:csat_percent:2026-11-25:summary", OLD, NONE, False),  # its summary day is ahead
    # the weekly escalation review, pulse rounds and roll-ups
    ("escalation-review:tier1:2026-11-02", OLD, NONE, True),
    ("escalation-review:tier1:2026-12-19", OLD, NONE, False),
    ("slack-event:2026-11-02:Ev0ABC123", OLD, NONE, True),  # an App Home opening, its retries long over
    ("pulse:7:ask:U0AGENT1", OLD, CLOSED_LONG_AGO, True),
    ("pulse:7:report:U0MANAGER", OLD, CLOSED_LONG_AGO, True),
    ("pulse:7:ask:U0AGENT1", OLD, CLOSES_LATER, False),
    ("pulse:7:ask:U0AGENT1", OLD, NONE, False),
    ("pulse-rollup:2026-W45:U0MANAGER", OLD, NONE, True),
    ("pulse-rollup:2026-W51:U0MANAGER", OLD, NONE, False),
    # never completed, or of a shape nobody taught the rule: kept
    ("standup:tier1:2026-11-02:prompt:U0AGENT1", None, NONE, False),
    ("digest:tier1:2026-11-01", OLD, NONE, False),
    ("newfeature:2026-11-02:thing", OLD, NONE, False),
    ("standup:tier1:not-a-date:prompt:U0AGENT1", OLD, NONE, False),
    ("esc:ESC-42:card:C0ENG", OLD, NONE, False),
    ("pulse-rollup:2026-W99:U0MANAGER", OLD, NONE, False),
])
def test_which_completed_claims_may_be_forgotten(key: str, done_at: datetime | None, facts: Facts,
                                                 expected: bool) -> None:
    assert deletable(key, done_at, facts, NOW) is expected


async def _claim_done(app: Supportbot, key: str, at: datetime | None) -> None:
    """A claim of before the outbox: completed `at`, or never (None)."""
    async with app.services.db() as session:
        session.add(Claim(key=key, claimed_at=at or NOW, done_at=at))
        await session.commit()


async def _keys(app: Supportbot) -> set[str]:
    async with app.services.db() as session:
        return set((await session.scalars(select(Claim.key))).all())


async def test_old_claims_are_deleted_and_recent_or_unfinished_ones_kept(app: Supportbot, team: TeamPeople) -> None:
    directory = await app.services.directory.current()
    tier1 = directory.teams[0]
    async with app.services.db() as session:
        resolved = await seed_escalation(session, tier1, now=OLD - timedelta(days=10), summary="Old outage")
        await act(session, resolved, tier1, escalation_changes.resolve(
            state(resolved), team.agent, outcome="fixed", root_cause="bug", customer_told=True,
            now=OLD - timedelta(days=9)))
        still_open = await seed_escalation(session, tier1, now=OLD - timedelta(days=10), summary="Still open")
        closed = await pulse.open_round(session, tier1.id, week="2026-W45", day=OLD.date(), questions=[],
                                        min_responses=5, opens_at=OLD - timedelta(days=10),
                                        closes_at=OLD - timedelta(days=7))
        await session.commit()
    gone = {f"esc:{resolved.id}:card:C0ENG", f"pulse:{closed.id}:ask:{team.agent}",
            "standup:tier1:2026-11-02:prompt:U0AGENT1", "kpi-digest:tier1:2026-11-01"}
    kept_done = {f"esc:{still_open.id}:card:C0ENG", "standup:tier1:2026-12-18:prompt:U0AGENT1",
                 "unknown:2026-11-02", "esc:999:card:C0ENG"}
    for key in gone | kept_done:
        await _claim_done(app, key, OLD)
    await _claim_done(app, "kpi-digest:tier1:2026-12-10", RECENT)
    await _claim_done(app, "standup:tier1:2026-11-03:prompt:U0AGENT2", None)  # never completed

    deleted = await HOUSEKEEPING.run(app.services, NOW)

    assert deleted == len(gone)
    assert await _keys(app) == kept_done | {"kpi-digest:tier1:2026-12-10", "standup:tier1:2026-11-03:prompt:U0AGENT2"}
    assert await HOUSEKEEPING.run(app.services, NOW) == 0  # idempotent


async def test_housekeeping_pages_through_many_claims(app: Supportbot) -> None:
    keys = [f"standup:tier1:2026-11-02:prompt:U{n:05d}" for n in range(2 * claims.CHUNK + 7)]
    async with app.services.db() as session:
        for key in keys:
            await session.execute(insert(Claim).values(key=key, claimed_at=OLD, done_at=OLD))
        await session.commit()
    assert await HOUSEKEEPING.run(app.services, NOW) == len(keys)
    assert await _keys(app) == set()


def sends(slack: FakeSlack) -> int:
    return sum(1 for call in slack.calls() if call.method.startswith(("chat.", "files.")))


async def every_job(app: Supportbot, slack: FakeSlack, now: datetime) -> None:
    """Each job, until a tick at `now` has nothing more to send (a card posted, then updated, is two ticks)."""
    for _ in range(4):
        before = sends(slack)
        for job in app.jobs:
            if job.name != HOUSEKEEPING.name:
                await job.run(app.services, now)
        if sends(slack) == before:
            return
    raise AssertionError(f"the jobs keep sending at {now}: {[c.method for c in slack.calls()[-5:]]}")


async def test_forgetting_claims_makes_no_job_send_again(app: Supportbot, slack: FakeSlack, team: TeamPeople,
                                                         clock: Clock) -> None:
    """Every job ticking every four hours through a first week and again a month later, with housekeeping
    daily: after each housekeeping the same tick again sends nothing, and the first week's claims are gone."""
    for person in (team.agent, team.teammate, team.manager):
        slack.add_user(person, tz="America/New_York")
    tier1 = (await app.services.directory.current()).teams[0]
    start = clock.now
    async with app.services.db() as session:
        escalation = await seed_escalation(session, tier1, now=start, summary="Checkout fails")
    days = [*range(8), *range(31, 39)]
    ticks = [start + timedelta(days=day, hours=hours) for day in days for hours in range(0, 24, 4)]
    for step, now in enumerate(ticks):
        if step == 3:
            async with app.services.db() as session:
                loaded = await escalations.get(session, escalation.id)
                assert loaded is not None
                await act(session, loaded, tier1, escalation_changes.resolve(
                    state(loaded), team.agent, outcome="fixed", root_cause="bug", customer_told=True, now=now))
        await every_job(app, slack, now)
        if step % 6 == 0:
            await HOUSEKEEPING.run(app.services, now)
            before = sends(slack)
            for job in app.jobs:
                await job.run(app.services, now)
            assert sends(slack) == before, f"a job sent again after housekeeping at {now}"
    keys = await _keys(app)
    assert sends(slack) > 50  # cards, prompts, summaries, digests, pulse asks: there was work to forget
    assert not any(key.startswith(f"esc:{escalation.id}:") for key in keys)
    sent = await _outbox_keys(app)
    assert not any(key.startswith(f"esc:{escalation.id}:") for key in sent), sorted(sent)[:5]
    first_week = ("standup:tier1:2026-11-0", "kpi-digest:tier1:2026-11-0", "escalation-review:tier1:2026-11-02")
    assert not any(key.startswith(first_week) for key in keys)
    assert not any(key.startswith(first_week) for key in sent)
    assert any(key.startswith("kpi-digest:tier1:2026-12-0") for key in sent)  # the month after's are kept
    # (every job writes outbox messages now, not claims: their keys stay with the sent rows)


def test_the_housekeeping_job_is_registered_and_daily() -> None:
    job = find(all_jobs(), "housekeeping")
    assert job.trigger["trigger"] == "cron" and "day" not in job.trigger


def test_the_rule_looks_back_at_least_as_far_as_every_job() -> None:
    """The rule cannot import the jobs (layers): if a job's look-back grows, this fails before a claim goes early."""
    assert retention.STANDUP_LOOK_BACK >= standup_jobs.LOOK_BACK
    assert retention.PULSE_FOLLOW_UP >= pulse_jobs.FOLLOW_UP
    assert retention.KEEP >= escalation_jobs.FOLLOW_UP
    assert timedelta(days=kpi_plan.PLAN_DAYS) <= retention.BASELINE_PLAN


# ---------------------------------------------------------------- the outbox's sent rows

@pytest.mark.parametrize("key, sent_at, waited_on, expected", [
    ("esc:42:card:C0ENG", OLD, set(), True),  # as a claim: resolved long ago, sent long ago
    ("esc:42:card:C0ENG", OLD, {"esc:42:card:C0ENG"}, False),  # a waiting reply takes its ts from it
    ("esc:42:card:C0ENG", OLD, {"esc:42:card:C0ESC"}, True),  # another card's is no reason
    ("esc:42:card:C0ENG", RECENT, set(), False),  # sent too recently
    ("esc:42:card:C0ENG", None, set(), False),  # never sent (waiting or parked)
    ("standup:tier1:2026-11-02:prompt:U0AGENT1", OLD, set(), True),
    ("newfeature:2026-11-02:thing", OLD, set(), False),
])
def test_which_sent_messages_may_be_forgotten(key: str, sent_at: datetime | None, waited_on: set[str],
                                              expected: bool) -> None:
    assert sent_deletable(key, sent_at, LONG_RESOLVED, NOW, waited_on=waited_on) is expected


async def _message(app: Supportbot, key: str, *, created: datetime, sent_at: datetime | None = None,
                   superseded: bool = False, parked_at: datetime | None = None, thread_of: str | None = None) -> None:
    """An outbox row as the dispatcher leaves it: sent (or superseded) at `sent_at`, parked, or waiting."""
    refs = {"thread_ts": Ref("ts", thread_of)} if thread_of else {}
    message = Message(StoredKey(key, None), "chat.postMessage", {"channel": "C0ENG", "text": key}, group=key,
                      refs=refs)
    async with app.services.db() as session:
        assert await outbox.write(session, [message], now=created) == 1
        await session.execute(update(OutboxMessage).where(OutboxMessage.key == key).values(
            sent_at=sent_at, parked_at=parked_at, attempts=5 if parked_at else 0,
            result=outbox.SUPERSEDED if superseded else {"channel": "C0ENG", "ts": "1.0"} if sent_at else None))
        await session.commit()


async def _outbox_keys(app: Supportbot) -> set[str]:
    async with app.services.db() as session:
        return set((await session.scalars(select(OutboxMessage.key))).all())


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


async def test_sent_messages_are_deleted_once_their_keys_need_no_remembering(
        app: Supportbot, team: TeamPeople) -> None:
    """Dates computed by hand: at NOW, 2026-12-20 12:00 UTC, a row must have been sent before 2026-11-20 12:00
    (KEEP, 30 days); an escalation's rows go 30 days after it was resolved; a stand-up's 3 days (its look-back)
    + 1 + 2 (the margin) after its day."""
    assert at("2026-12-20") == NOW and at("2026-11-20") == NOW - KEEP
    tier1 = (await app.services.directory.current()).teams[0]
    async with app.services.db() as session:
        made = []
        for number, resolved_at in enumerate((at("2026-11-10"), at("2026-11-10"), at("2026-11-25"), None)):
            escalation = await seed_escalation(session, tier1, now=at("2026-11-01"), summary=f"Problem {number}")
            if resolved_at is not None:
                await act(session, escalation, tier1, escalation_changes.resolve(
                    state(escalation), team.agent, outcome="fixed", root_cause="bug", customer_told=True,
                    now=resolved_at))
            made.append(escalation.id)
    long_ago, waited_on, lately, still_open = made
    gone = {
        f"esc:{long_ago}:card:C0ENG",  # resolved 11-10: remembered until 12-10 12:00
        f"esc:{long_ago}:card:C0ENG:update:7",  # superseded, the same
        "standup:tier1:2026-11-16:prompt:U0AGENT1",  # remembered until 11-16 + 3 + 1 + 2 = 11-22 00:00
        "kpi-digest:tier1:2026-11-18",  # until 11-18 + 1 + 1 + 2 = 11-22 00:00
    }
    kept = {
        f"esc:{lately}:card:C0ENG",  # resolved 11-25: remembered until 12-25 12:00
        f"esc:{still_open}:card:C0ENG",  # open: remembered
        f"esc:{waited_on}:card:C0ESC",  # resolved 11-10, but a reply waits for its ts
        "standup:tier1:2026-11-17:prompt:U0AGENT1",  # sent 11-20 13:00: less than 30 days ago
        "newfeature:2026-11-02:thing",  # a shape nobody taught the rule
    }
    unsent = {
        f"esc:{waited_on}:event:9:reply:C0ESC": {"thread_of": f"esc:{waited_on}:card:C0ESC"},
        "standup:tier1:2026-11-02:prompt:U0AGENT2": {"parked_at": at("2026-11-02", 15)},
        "standup:tier1:2026-11-03:prompt:U0AGENT2": {},
    }
    for key in gone - {f"esc:{long_ago}:card:C0ENG:update:7"}:
        await _message(app, key, created=at("2026-11-19"), sent_at=at("2026-11-19", 13))
    await _message(app, f"esc:{long_ago}:card:C0ENG:update:7", created=at("2026-11-19"), sent_at=at("2026-11-20", 11),
                   superseded=True)
    for key in kept - {"standup:tier1:2026-11-17:prompt:U0AGENT1"}:
        await _message(app, key, created=at("2026-11-19"), sent_at=at("2026-11-19", 13))
    await _message(app, "standup:tier1:2026-11-17:prompt:U0AGENT1", created=at("2026-11-17"),
                   sent_at=at("2026-11-20", 13))
    for key, how in unsent.items():
        await _message(app, key, created=at("2026-11-02"), **how)

    assert await HOUSEKEEPING.run(app.services, NOW) == len(gone)
    assert await _outbox_keys(app) == kept | set(unsent)
    assert await HOUSEKEEPING.run(app.services, NOW) == 0  # idempotent
    # 2026-12-26 12:00: the escalation resolved 11-25 12:00 is 31 days past; the row sent 11-20 13:00 is 36 days old
    assert await HOUSEKEEPING.run(app.services, at("2026-12-26")) == 2
    assert await _outbox_keys(app) == kept - {f"esc:{lately}:card:C0ENG", "standup:tier1:2026-11-17:prompt:U0AGENT1"} \
        | set(unsent)


async def test_housekeeping_pages_through_many_sent_messages(app: Supportbot) -> None:
    keys = [f"standup:tier1:2026-11-02:prompt:U{n:05d}" for n in range(2 * outbox.CHUNK + 7)]
    async with app.services.db() as session:
        await session.execute(insert(OutboxMessage), [
            {"key": key, "group_key": key, "method": "chat.postMessage", "args": {}, "refs": {}, "created_at": OLD,
             "sent_at": OLD, "attempts": 0} for key in keys])
        await session.commit()
    assert await HOUSEKEEPING.run(app.services, NOW) == len(keys)
    assert await _outbox_keys(app) == set()
