"""The pulse on the outbox: a crash between the job's commit and its send loses nothing (the `outbox` tick sends
the invitation once), Slack down while a round opens delays every invitation and doubles none, what goes to
managers is aggregates only (checked on the outbox rows themselves), and an upgrade from the claims sends
nothing that was sent already."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bot.app import Supportbot, create_app
from bot.rules import keys
from handlers.dispatch import run_outbox
from handlers.parked import failed_work
from handlers.pulse import announce, jobs
from handlers.pulse.jobs import PULSE
from handlers.pulse.results import round_results, team_round
from storage import pulse
from storage.db import make_engine
from storage.migrate import upgrade
from storage.outbox_models import OutboxMessage
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.pulse_steps import (
    CLOSES,
    MANAGER,
    NEW_YORK_ASK,
    OPENS,
    PARIS,
    answer,
    asks,
    pulse_team,
    reports,
    tick,
)
from tests.test_pulse_anonymity import derived

SIX = [((5, 4, 4, 3), 10, "shipping is slow"), ((4, 4, 3, 3), 8, None), ((3, 2, 4, 4), 6, "more pairing"),
       ((4, 3, 5, 2), 4, None), ((2, 3, 3, 4), 2, "too many pages"), ((5, 5, 4, 5), 0, None)]


async def _rows(app: Supportbot) -> list[OutboxMessage]:
    async with app.services.db() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def _unordered(blocks: list[dict[str, Any]]) -> list[Any]:
    """The blocks, with the comments (shown in random order) as a set."""
    found: list[Any] = []
    for block in blocks:
        said = str((block.get("text") or {}).get("text", ""))
        found.append(frozenset(said.split("\n\n")) if said.startswith("> ") else block)
    return found


async def test_a_crash_between_the_commit_and_the_send_is_sent_by_the_outbox_tick(
        settings: Any, app: Supportbot, slack: FakeSlack, clock: Clock) -> None:
    await pulse_team(app, slack)
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    try:
        await jobs.plan(crashed.services, OPENS)  # the job's commit; the process dies before its send
    finally:
        await crashed.close()
    assert slack.count("chat.postMessage") == 0
    waiting = [row.key for row in await _rows(app) if row.sent_at is None]
    async with app.services.db() as session:
        of = await pulse.latest(session, (await app.services.directory.current()).find("care").id)  # type: ignore[union-attr]
        assert of is not None and await pulse.non_responders(session, of.id) == [PARIS]  # asked, with its DM
    assert waiting == [str(keys.pulse_ask(of.id, PARIS))] == [f"pulse:{of.id}:ask:{PARIS}"]

    assert await run_outbox(app.services, OPENS) == 1
    assert await run_outbox(app.services, OPENS) == 0
    assert await tick(app, OPENS) == 0  # the job's next run writes nothing again and sends nothing
    assert len(asks(slack, PARIS)) == 1


async def test_slack_down_while_a_round_opens_sends_every_invitation_once_afterwards(
        app: Supportbot, slack: FakeSlack) -> None:
    team = await pulse_team(app, slack)
    everyone = (*team.members, *team.billing)
    assert await tick(app, OPENS - timedelta(minutes=1)) == 0  # who is in which timezone: known before
    slack.outage(500)
    for at in (OPENS, NEW_YORK_ASK):
        await app.services.metrics.run_job(PULSE, app.services, at)  # as the scheduler runs it
    assert not [c for c in slack.calls("chat.postMessage") if c.ok]
    refused = {f.key: f for f in await failed_work(app.services)}
    assert sorted(key.rsplit(":", 1)[1] for key in refused) == sorted(everyone)
    assert all(":ask:" in key for key in refused)
    assert all(f.job == "pulse" and not f.parked for f in refused.values()), refused

    slack.end_outage()
    assert await app.services.metrics.run_job(PULSE, app.services, NEW_YORK_ASK + timedelta(minutes=1)) == len(everyone)
    assert await tick(app, NEW_YORK_ASK + timedelta(minutes=2)) == 0
    assert [len(asks(slack, m)) for m in everyone] == [1] * len(everyone)
    assert await failed_work(app.services) == []


async def test_outbox_rows_for_managers_hold_aggregates_only(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                                             clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    before = [row.key for row in await _rows(app)]
    for member, (scores, score, comment) in zip(team.members, SIX, strict=True):
        await answer(bot, slack, member, scores, score, comment)
    assert [row.key for row in await _rows(app)] == before  # an answer writes nothing there: no time of it
    await tick(app, CLOSES)
    assert len(reports(slack, MANAGER)) == 1

    managers = {team.manager, team.head}
    rows = [row for row in await _rows(app) if row.args.get("channel") in managers]
    assert {row.key.split(":")[2] if row.key.startswith("pulse:") else "rollup" for row in rows} <= {"report", "rollup"}
    assert {row.args["channel"] for row in rows} == managers
    forbidden = set().union(*(derived(m) for m in team.members))
    async with app.services.db() as session:
        directory = await app.services.directory.current()
        care = directory.find("care")
        assert care is not None
        of = await pulse.latest(session, care.id)
        assert of is not None
        # What the rows hold is what the round's counts alone give: the same answers given by anyone, in any
        # order, would write the same rows.
        found = await round_results(session, of, await team_round(session, of, care))
    for row in rows:
        stored = str(row.args).lower()
        assert not any(f in stored for f in forbidden), row.key
        if row.key.startswith(f"pulse:{of.id}:report:"):
            expected = announce.round_report(of, row.args["channel"], found)
            assert row.args["text"] == expected.args["text"]
            assert _unordered(row.args["blocks"]) == _unordered(expected.args["blocks"])
    for scores, score, _ in SIX:  # no one's answer set appears as such
        assert f"{scores}" not in str([r.args for r in rows]) and f"'{score}'" not in str([r.args for r in rows])


async def test_an_upgrade_from_the_claims_sends_nothing_sent_already(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(engine, "0014")
        at = datetime(2026, 11, 6, 13, 0, tzinfo=UTC)
        claimed = {"pulse:7:ask:U0P6": at, "pulse:7:report:U0PMANAGER": at, "pulse-rollup:2026-W45:U0PHEAD": at,
                   "pulse:7:remind:U0P1": None, "pulse:7:form:12345.678": at, "standup:tier1:2026-11-06:prompt:U1": at}
        async with engine.begin() as connection:
            for key, done in claimed.items():
                await connection.execute(text("INSERT INTO claims (key, claimed_at, done_at) VALUES (:k, :c, :d)"),
                                         {"k": key, "c": at, "d": done})
        await upgrade(engine)
        async with engine.connect() as connection:
            rows = {key: sent for key, sent in await connection.execute(text("SELECT key, sent_at FROM outbox"))}
    finally:
        await engine.dispose()
    assert set(rows) == {"pulse:7:ask:U0P6", "pulse:7:report:U0PMANAGER", "pulse-rollup:2026-W45:U0PHEAD"}
    assert all(sent is not None for sent in rows.values())  # sent: written again by the plan, it is skipped
    assert {str(keys.pulse_ask(7, "U0P6")), str(keys.pulse_report(7, "U0PMANAGER")),
            str(keys.pulse_rollup("2026-W45", "U0PHEAD"))} == set(rows)
