"""The digest on the outbox: a crash between the job's commit and its send loses and doubles nothing (the `outbox`
tick posts the digest and its chart once), a chart upload Slack answers 429 is sent once after its Retry-After,
two replicas ticking the digest at the same instant post one digest, and an upgrade from the claims sends
nothing again."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from bot.app import Supportbot, create_app
from bot.rules.kpi_days import alert_key, chart_key, digest_key
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from handlers.dispatch import run_outbox
from handlers.kpi import upload
from handlers.kpi.jobs import plan_digests, run_digest
from handlers.outbox import Refused
from storage import teams
from storage.db import make_engine
from storage.migrate import upgrade
from storage.outbox_models import OutboxMessage
from tests.conftest import TEAM_YAML, Clock, TeamPeople
from tests.kit.fake_slack import FakeSlack
from tests.kpi_steps import add_tickets, day_of_tickets, png_size, tier1, utc
from tests.test_kpi_digest import DIGEST, alerts, digests

DUE = utc("2026-11-02T14:00")  # Monday 09:00 in New York: Sunday's digest is due
SUNDAY = date(2026, 11, 1)
CLAIM = text('INSERT INTO claims ("key", claimed_at, done_at) VALUES (:k, :at, :done)')
CHART_ROW_AT_MOST = 250_000
"""Bytes of a chart row's args (the PNG, base64-encoded, with its channel and titles): a 1200 x 800 chart is
about 120 KB, 160 KB encoded."""


async def red_sunday(app: Supportbot) -> None:
    """Saturday on target, Sunday with first response and CSAT red: a digest, its chart and two alerts."""
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-31", first_response_minutes=30, good=6),
                      *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))


def in_channel(slack: FakeSlack) -> list[str]:
    """What the digest channel received, in order: digest, chart, alert."""
    kinds = []
    for call in slack.calls():
        if call.ok and call.method == "files.completeUploadExternal" and call.args.get("channel_id") == DIGEST:
            kinds.append("chart")
        elif call.ok and call.method == "chat.postMessage" and call.channel == DIGEST:
            kinds.append("digest" if call.blocks else "alert")
    return kinds


def chart_file(slack: FakeSlack) -> dict[str, Any]:
    [upload_call] = [c for c in slack.calls("files.completeUploadExternal") if c.ok]
    [found] = [slack.file(f["id"]) for f in upload_call.args["files"]]
    assert found is not None
    return found


async def test_a_crash_between_the_commit_and_the_send_is_posted_once_by_the_outbox_tick(
        settings: Settings, app: Supportbot, slack: FakeSlack, clock: Clock, team: TeamPeople) -> None:
    await red_sunday(app)
    crashed = create_app(settings, clock=clock, directory_check_every=0, send_in_background=False)
    try:
        assert await plan_digests(crashed.services, DUE) == 4  # the job's commit: digest, chart, two alerts
    finally:
        await crashed.close()  # the process dies before it sends
    assert slack.calls("chat.postMessage") == [] and slack.calls("files.getUploadURLExternal") == []

    async with app.services.db() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == chart_key("tier1", SUNDAY)))
    assert row is not None and row.method == "files.uploadV2" and row.sent_at is None
    assert png_size(base64.b64decode(row.args["content_base64"])) == (1200, 800)
    assert len(json.dumps(row.args)) < CHART_ROW_AT_MOST

    assert await run_outbox(app.services, DUE) == 4
    assert in_channel(slack) == ["digest", "chart", "alert", "alert"]
    assert png_size(chart_file(slack)["data"]) == (1200, 800)
    assert await run_outbox(app.services, DUE) == 0
    assert await run_digest(app.services, DUE) == 0  # planned already: not written, not sent again
    assert len(digests(slack)) == 1 and slack.count("files.completeUploadExternal") == 1


async def test_a_chart_upload_answered_429_is_sent_once_after_its_retry_after(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await red_sunday(app)
    slack.fail_next("files.getUploadURLExternal", 429, retry_after=1)
    assert await run_digest(app.services, DUE) == 1  # the digest; the chart was refused, the alerts wait behind it
    assert in_channel(slack) == ["digest"]
    assert await app.services.outbox.send_due(DUE) == 0  # Retry-After has not passed: nothing is tried
    assert slack.count("files.getUploadURLExternal") == 1

    await app.services.outbox.drain(DUE)  # waits out Retry-After (1 s), as the dispatcher's wake does
    assert in_channel(slack) == ["digest", "chart", "alert", "alert"]
    assert [c.status for c in slack.calls("files.getUploadURLExternal")] == [429, 200]
    assert png_size(chart_file(slack)["data"]) == (1200, 800)
    assert await run_digest(app.services, DUE) == 0 and slack.count("files.completeUploadExternal") == 1


@asynccontextmanager
async def both_plan_before_either_writes(*engines: AsyncEngine) -> AsyncIterator[None]:
    """Each engine's first statement naming the outbox (the plan's look for a digest already written) waits for
    the other's: both replicas find nothing written and work the digest out."""
    arrived = asyncio.Barrier(len(engines))
    held: list[int] = []

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "outbox" in statement and len(held) < len(engines):
            held.append(1)
            await_only(asyncio.wait_for(arrived.wait(), timeout=20))

    listeners = [(engine.sync_engine, hold) for engine in engines]
    for target, function in listeners:
        event.listen(target, "before_cursor_execute", function)
    try:
        yield
    finally:
        for target, function in listeners:
            event.remove(target, "before_cursor_execute", function)
    assert len(held) == len(engines), "the replicas never raced"


async def test_two_replicas_ticking_the_digest_at_once_post_one_digest(
        settings: Settings, app: Supportbot, slack: FakeSlack, clock: Clock, team: TeamPeople) -> None:
    await red_sunday(app)
    other = create_app(settings, clock=clock, directory_check_every=0)
    try:
        async with both_plan_before_either_writes(app.services.engine, other.services.engine):
            sent = await asyncio.gather(run_digest(app.services, DUE), run_digest(other.services, DUE))
        await app.services.outbox.drain(DUE)
        await other.services.outbox.drain(DUE)
    finally:
        await other.close()
    assert sum(sent) == 4
    assert in_channel(slack) == ["digest", "chart", "alert", "alert"]
    assert sorted(a.split("*")[1] for a in alerts(slack)) == ["CSAT", "First response (median)"]
    async with app.services.db() as session:
        keys = list((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("kpi-%")))).all())
    assert sorted(keys) == sorted([digest_key("tier1", SUNDAY), chart_key("tier1", SUNDAY),
                                   alert_key("tier1", "csat", SUNDAY, "red"),
                                   alert_key("tier1", "first_response_median", SUNDAY, "red")])


async def test_after_the_upgrade_from_claims_what_was_sent_is_not_sent_again(
        settings: Settings, slack: FakeSlack, clock: Clock, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(url)
    try:
        await upgrade(engine, "0014")
        async with engine.begin() as connection:
            for key, done in ((digest_key("tier1", SUNDAY), True), (chart_key("tier1", SUNDAY), True),
                              (digest_key("tier1", SUNDAY) + ":finished", True),
                              (alert_key("tier1", "csat", SUNDAY, "red"), True),
                              (alert_key("tier1", "fcr", SUNDAY, "red"), False)):  # refused, never done
                await connection.execute(CLAIM, {"k": key, "at": DUE, "done": DUE if done else None})
        await upgrade(engine)
        async with engine.connect() as connection:
            carried = dict((await connection.execute(text('SELECT "key", method FROM outbox'))).all())
    finally:
        await engine.dispose()
    assert carried == {digest_key("tier1", SUNDAY): "legacy", chart_key("tier1", SUNDAY): "legacy",
                       alert_key("tier1", "csat", SUNDAY, "red"): "legacy"}

    upgraded = create_app(settings.model_copy(update={"database_url": url}), clock=clock, directory_check_every=0)
    try:
        for person in ("U0AGENT1", "U0AGENT2", "U0MANAGER"):
            slack.add_user(person)
        async with upgraded.services.db() as session:
            await teams.apply(session, parse_teams(TEAM_YAML), now=utc("2026-01-01T00:00"))
            await session.commit()
        await red_sunday(upgraded)
        assert await run_digest(upgraded.services, DUE) == 0
    finally:
        await upgraded.close()
    assert slack.calls("chat.postMessage") == [] and slack.calls("files.getUploadURLExternal") == []


@pytest.mark.parametrize("args", [
    {"channel": DIGEST, "filename": "kpi.png"},                                      # no file at all
    {"channel": DIGEST, "filename": "kpi.png", "content_base64": "not base64 %%%"},  # a file that is not one
    {"filename": "kpi.png", "content_base64": "iVBORw0KGgo="},                        # nowhere to share it
])
async def test_an_upload_row_without_a_file_or_a_channel_is_refused_for_good(args: dict[str, Any]) -> None:
    send = upload.transport(AsyncWebClient(token="xoxb-test-token", base_url="http://127.0.0.1:9/api/"))
    with pytest.raises(Refused) as refused:
        await send(args)
    assert refused.value.code == "invalid_arguments"
