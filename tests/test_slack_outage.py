"""Slack down for a simulated minute (500s, then 429s with Retry-After) while stand-up prompts, pulse asks, a
digest with its chart and alerts, and an escalation's SLA reminder are due: everything is delivered after it,
once, in order per channel. A unit Slack keeps refusing is parked after its attempts, listed by the real
`supportbot jobs failed`, sent by `supportbot jobs retry` exactly once, and never deleted by housekeeping."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.app import Supportbot
from bot.rules import keys
from bot.rules.delivery_failures import MAX_ATTEMPTS, kind_of, parks
from bot.rules.kpi_days import chart_key, digest_key
from bot.rules.messages import post
from bot.rules.team_config import parse_teams
from handlers.escalations.jobs import TIMERS
from handlers.housekeeping.jobs import HOUSEKEEPING
from handlers.jobs import Job
from handlers.kpi.jobs import DIGEST
from handlers.outbox import dispatch_client, failure_code
from handlers.parked import failed_work, retry
from handlers.pulse import ids as pulse_ids
from handlers.pulse.jobs import PULSE
from handlers.services import Services
from handlers.standups.jobs import STANDUPS
from storage import outbox, teams
from storage import standups as stored
from tests.conftest import Clock
from tests.escalation_steps import card_post, escalate
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack
from tests.kpi_steps import add_tickets, day_of_tickets, tier1
from tests.test_cli import env as env  # the fixture, used by name
from tests.test_cli import supportbot

DUE = datetime(2026, 11, 2, 14, 12, tzinfo=UTC)
"""Monday 09:12 in New York: the prompts, the pulse asks, the digest and the P1 escalation's warning
(80 % of 15 minutes after it opened at 09:00) all fall due at once."""
AGENTS = ("U0AGENT1", "U0AGENT2")
ENGINEERING, DIGEST_CHANNEL = "C0ENG", "C0DIGEST"
JOBS = (STANDUPS, PULSE, DIGEST, TIMERS)
YAML = """
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [{members}]
    managers: [U0MANAGER]
    channels: {{escalations: C0ESC, digest: C0DIGEST, standup: C0STANDUP}}
    escalation_paths:
      - {{key: engineering, name: Engineering, channel: C0ENG}}
    standup: {{time: "09:12"}}
    pulse: {{day: mon, time: "09:12"}}
    digest: {{time: "09:12"}}
"""
log = logging.getLogger(__name__)


@pytest.fixture
def simulated(slack: FakeSlack, clock: Clock) -> Iterator[Clock]:
    """The fake Slack reads the app's driven clock, so an outage can last a simulated minute."""
    real = slack.clock
    slack.clock = lambda: clock.now.timestamp()
    yield clock
    slack.clock = real


async def configure(app: Supportbot, slack: FakeSlack, members: tuple[str, ...] = AGENTS) -> None:
    for user in (*members, "U0MANAGER"):
        slack.add_user(user)
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(YAML.format(members=", ".join(members))),
                          now=datetime(2026, 1, 1, tzinfo=UTC))
        await session.commit()
    app.services.directory.invalidate()


async def tick(app: Supportbot, clock: Clock, at: datetime, jobs: tuple[Job, ...] = JOBS) -> None:
    """One scheduler tick of each job at `at`, as `bot.scheduler` runs it (a job that fails is logged)."""
    clock.now = at
    for job in jobs:
        try:
            await app.services.metrics.run_job(job, app.services, at)
        except Exception:
            log.exception("job %s failed", job.name)


def delivered(slack: FakeSlack) -> list[Call]:
    """Every message Slack accepted, in the order it accepted them."""
    return [c for c in slack.calls() if c.ok and c.method in ("chat.postMessage", "files.completeUploadExternal")]


def samples(app: Supportbot) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(app.services.metrics.scrape().decode())
            for sample in family.samples}


def deliveries(app: Supportbot, outcome: str) -> float:
    return samples(app).get(("supportbot_deliveries_total", frozenset({("outcome", outcome)})), 0.0)


async def scrape_text(app: Supportbot) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.asgi()), base_url="http://bot.test") as c:
        return (await c.get("/metrics")).text


async def world(app: Supportbot, bot: SlackDriver, slack: FakeSlack, clock: Clock) -> None:
    """The team, Sunday's tickets (a digest with a chart and two alerts) and a P1 escalation opened at 09:00."""
    await configure(app, slack)
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-31", first_response_minutes=30, good=6),
                      *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    clock.now = DUE - timedelta(minutes=12)
    await escalate(bot, slack, AGENTS[0])
    await tick(app, clock, DUE - timedelta(minutes=1))


def assert_everything_once_in_order(slack: FakeSlack) -> None:
    sent = delivered(slack)
    for agent in AGENTS:
        prompts = [c for c in sent if c.channel == agent and "Time for your" in (c.text or "")]
        asks = [c for c in sent if c.channel == agent and pulse_ids.ANSWER in str(c.blocks)
                and not (c.text or "").startswith("Reminder")]
        assert (len(prompts), len(asks)) == (1, 1), [c.summary() for c in sent if c.channel == agent]
    digest = [c for c in sent if c.channel == DIGEST_CHANNEL]
    assert [("chart" if c.method == "files.completeUploadExternal" else "alert" if not c.blocks else "digest")
            for c in digest] == ["digest", "chart", "alert", "alert"], [c.summary() for c in digest]
    card, *thread = [c for c in sent if c.channel == ENGINEERING]  # the card, then in its thread...
    assert not card.thread_ts and all(c.thread_ts == card.ts for c in thread)
    assert ["⏳" in (c.text or "") for c in thread] == [True, False]  # the warning, then the breach at 09:15
    assert "breached" in (thread[1].text or "") and card.ts == card_post(slack, ENGINEERING).ts


async def test_a_minute_of_500s_delays_everything_due_and_loses_and_doubles_nothing(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, simulated: Clock) -> None:
    await world(app, bot, slack, simulated)
    before = len(delivered(slack))
    slack.outage(500, until=(DUE + timedelta(minutes=1)).timestamp())

    await tick(app, simulated, DUE)
    assert len(delivered(slack)) == before  # Slack accepted nothing
    refused = {f.key: f for f in await failed_work(app.services)}
    assert str(keys.standup_prompt("tier1", AGENTS[0], DUE.date())) in refused
    assert digest_key("tier1", DUE.date() - timedelta(days=1)) in refused
    assert all(f.attempts == 1 and not f.parked and f.job in {j.name for j in JOBS} and f.as_of == DUE
               for f in refused.values()), refused
    assert deliveries(app, "failed") >= len(refused) >= 6  # two prompts, two asks, the digest, the warning

    for minute in (1, 2, 3):
        await tick(app, simulated, DUE + timedelta(minutes=minute))
    assert_everything_once_in_order(slack)
    assert await failed_work(app.services) == []
    assert deliveries(app, "parked") == 0
    async with app.services.db() as session:  # the prompt's follow-up: its message is stored
        entry = await stored.entry(session, (await tier1(app)).id, AGENTS[0], DUE.date())
    assert entry is not None and entry.prompt_ts


async def test_429s_with_retry_after_are_waited_out_as_told_and_duplicate_nothing(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, simulated: Clock) -> None:
    await world(app, bot, slack, simulated)
    slack.fail_next("chat.postMessage", 429, retry_after=1, times=2)  # the outbox's dispatcher waits them out
    started = time.monotonic()
    await tick(app, simulated, DUE, (STANDUPS,))
    assert sum("Time for your" in (c.text or "") for c in delivered(slack)) == 0  # blocked for Retry-After
    await app.services.outbox.drain(DUE)  # as the dispatcher does once Retry-After has passed
    assert time.monotonic() - started >= 1.0
    assert deliveries(app, "failed") == 2 and deliveries(app, "parked") == 0
    assert sum("Time for your" in (c.text or "") for c in delivered(slack)) == 2
    assert await failed_work(app.services) == []

    # Then 429s for the rest of a simulated minute: more than the client waits out, so the next tick sends.
    slack.outage(429, retry_after=0, until=(DUE + timedelta(minutes=1)).timestamp(), methods={"chat.postMessage"})
    await tick(app, simulated, DUE, (PULSE,))
    refused = await failed_work(app.services)
    assert {f.error for f in refused} == {"ratelimited"} and len(refused) == 2
    for minute in (1, 2, 3):
        await tick(app, simulated, DUE + timedelta(minutes=minute))
    await app.services.outbox.drain(DUE + timedelta(minutes=3))  # the last 429's Retry-After is real time (1 s)
    assert_everything_once_in_order(slack)
    assert await failed_work(app.services) == []


async def test_a_unit_slack_keeps_refusing_is_parked_listed_retried_once_and_kept_by_housekeeping(
        app: Supportbot, slack: FakeSlack, simulated: Clock, env: dict[str, str], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    await configure(app, slack, members=(AGENTS[0],))
    key = str(keys.standup_prompt("tier1", AGENTS[0], DUE.date()))
    slack.outage(500, methods={"chat.postMessage"})
    with caplog.at_level(logging.WARNING, logger="handlers.outbox"):
        await tick(app, simulated, DUE, (STANDUPS,))
        per_tick = slack.count("chat.postMessage", channel=AGENTS[0])  # the client's first try and its retries
        for minute in range(1, MAX_ATTEMPTS + 3):
            await tick(app, simulated, DUE + timedelta(minutes=minute), (STANDUPS,))
    assert per_tick >= 1 and slack.count("chat.postMessage", channel=AGENTS[0]) == MAX_ATTEMPTS * per_tick
    assert [r.getMessage() for r in caplog.records if "parked" in r.getMessage()] == [
        f"{key} parked after {MAX_ATTEMPTS} failed attempts (Slack said fatal_error): no job retries it; "
        f"`supportbot jobs retry {key}` sends it"]
    assert deliveries(app, "parked") == 1
    assert 'supportbot_deliveries_total{outcome="parked"} 1.0' in await scrape_text(app)

    # Housekeeping, long after, forgets sent messages only: the parked one stays, with its record.
    await app.services.metrics.run_job(HOUSEKEEPING, app.services, DUE + timedelta(days=90))
    async with app.services.db() as session:
        [row] = await outbox.failing(session, [key])
    assert row.parked_at is not None and row.sent_at is None and row.attempts == MAX_ATTEMPTS
    await tick(app, simulated, DUE + outbox.LEASE + timedelta(minutes=5), (STANDUPS,))  # nor is it ever taken over
    assert slack.count("chat.postMessage", channel=AGENTS[0]) == MAX_ATTEMPTS * per_tick

    operator = {**env, "DATABASE_URL": app.settings.database_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_API_URL": slack.api_url, "LOG_LEVEL": "WARNING"}
    listed = await asyncio.to_thread(supportbot, "jobs", "failed", env=operator, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{key}\tstandups\tparked\t{MAX_ATTEMPTS} attempts\tfatal_error\t"
                                          "since 2026-11-02T14:12:00Z\tdue 2026-11-02T14:12:00Z"]

    slack.end_outage()
    unknown = await asyncio.to_thread(supportbot, "jobs", "retry", key, "no:such:key", env=operator, cwd=tmp_path)
    assert unknown.returncode == 2 and "nothing failed under no:such:key" in unknown.stderr, unknown.stderr
    assert delivered(slack) == []
    sent = await asyncio.to_thread(supportbot, "jobs", "retry", "--all", env=operator, cwd=tmp_path)
    assert (sent.returncode, sent.stdout) == (0, f"{key}\tsent\n"), sent.stderr
    prompts = [c for c in delivered(slack) if c.channel == AGENTS[0]]
    assert len(prompts) == 1 and "Time for your" in (prompts[0].text or "")
    async with app.services.db() as session:
        entry = await stored.entry(session, (await tier1(app)).id, AGENTS[0], DUE.date())
    assert entry is not None and entry.prompt_ts == prompts[0].ts  # the follow-up of the send ran too

    again = await asyncio.to_thread(supportbot, "jobs", "retry", "--all", env=operator, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "nothing to retry\n"), again.stderr
    assert len(delivered(slack)) == 1
    empty = await asyncio.to_thread(supportbot, "jobs", "failed", env=operator, cwd=tmp_path)
    assert (empty.returncode, empty.stdout) == (0, "")
    await tick(app, simulated, DUE + timedelta(minutes=30), (STANDUPS,))
    assert len(delivered(slack)) == 1


async def test_a_permanent_refusal_parks_at_once_and_its_retry_sends_what_waited_behind_it(
        app: Supportbot, slack: FakeSlack, simulated: Clock) -> None:
    await configure(app, slack)
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-31", first_response_minutes=30, good=6),
                      *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    day = DUE.date() - timedelta(days=1)
    slack.fail_method("chat.postMessage", "not_in_channel")
    await tick(app, simulated, DUE, (DIGEST,))
    [parked] = await failed_work(app.services)
    assert (parked.key, parked.parked, parked.attempts, parked.error) == (digest_key("tier1", day), True, 1,
                                                                         "not_in_channel")
    slack.clear_failures()
    for minute in (1, 2):  # the bot was invited, but no job retries a parked unit, nor what waits behind it
        await tick(app, simulated, DUE + timedelta(minutes=minute), (DIGEST,))
    assert delivered(slack) == []

    simulated.now = DUE + timedelta(hours=1)
    outcomes = await retry(app.services, list(JOBS), [parked])
    assert [(o.key, o.outcome) for o in outcomes] == [(parked.key, "sent")]
    kinds = ["chart" if c.method == "files.completeUploadExternal" else "alert" if not c.blocks else "digest"
             for c in delivered(slack)]
    assert kinds == ["digest", "chart", "alert", "alert"]
    async with app.services.db() as session:
        assert await outbox.is_sent(session, chart_key("tier1", day))
    assert await retry(app.services, list(JOBS), await failed_work(app.services)) == []
    assert len(delivered(slack)) == 4


async def test_a_retried_prompt_the_member_skipped_meanwhile_goes_out_showing_the_skip(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, simulated: Clock) -> None:
    await configure(app, slack, members=(AGENTS[0],))
    slack.fail_method("chat.postMessage", "channel_not_found")
    await tick(app, simulated, DUE, (STANDUPS,))
    [parked] = await failed_work(app.services)
    slack.clear_failures()
    simulated.now = DUE + timedelta(minutes=5)
    assert "Skipped" in (await bot.command("/standup", "skip", user=AGENTS[0])).text
    assert delivered(slack) == [] and slack.count("chat.update") == 0  # the skip shown waits for its prompt
    outcomes = await retry(app.services, list(JOBS), [parked])
    assert [(o.key, o.outcome) for o in outcomes] == [(parked.key, "sent")]
    [prompt] = delivered(slack)
    [shown] = [c for c in slack.calls("chat.update") if c.ok]
    assert shown.args["ts"] == prompt.ts and "Skipped" in (shown.text or "")
    assert await failed_work(app.services) == []


# ---------------------------------------------------------------- what counts as a failure, and which kind

def api_error(status: int, body: dict[str, Any]) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="https://slack.test/api/chat.postMessage",
                                  req_args={}, data=body, headers={}, status_code=status)
    return SlackApiError("refused", response)


@pytest.mark.parametrize(("error", "code", "kind"), [
    (api_error(200, {"ok": False, "error": "channel_not_found"}), "channel_not_found", "permanent"),
    (api_error(200, {"ok": False, "error": "not_in_channel"}), "not_in_channel", "permanent"),
    (api_error(200, {"ok": False, "error": "is_archived"}), "is_archived", "permanent"),
    (api_error(200, {"ok": False, "error": "invalid_blocks"}), "invalid_blocks", "permanent"),
    (api_error(200, {"ok": False, "error": "msg_too_long"}), "msg_too_long", "permanent"),
    (api_error(200, {"ok": False, "error": "user_not_found"}), "user_not_found", "permanent"),
    (api_error(200, {"ok": False, "error": "account_inactive"}), "account_inactive", "permanent"),
    (api_error(200, {"ok": False, "error": "ratelimited"}), "ratelimited", "transient"),
    (api_error(200, {"ok": False, "error": "internal_error"}), "internal_error", "transient"),
    (api_error(200, {"ok": False, "error": "something_new"}), "something_new", "transient"),
    (api_error(500, {"ok": False, "error": "fatal_error"}), "fatal_error", "transient"),
    (api_error(503, {"ok": False, "error": "service_unavailable"}), "service_unavailable", "transient"),
    (api_error(502, {}), "http_502", "transient"),
    (api_error(500, {"ok": False, "error": "invalid_blocks"}), "http_500", "transient"),  # down, whatever it says
    (api_error(429, {"ok": False, "error": "ratelimited"}), "ratelimited", "transient"),
    (aiohttp.ClientConnectionError("refused"), "connection_error", "transient"),
    (aiohttp.ServerTimeoutError("slow"), "timeout", "transient"),
    (TimeoutError(), "timeout", "transient"),
    (ConnectionResetError(), "connection_error", "transient"),
])
def test_each_failure_has_a_code_and_a_kind(error: Exception, code: str, kind: str) -> None:
    assert failure_code(error) == code
    assert kind_of(code) == kind
    assert parks(code, 1) is (kind == "permanent")
    assert parks(code, MAX_ATTEMPTS) and (kind == "permanent" or not parks(code, MAX_ATTEMPTS - 1))


def test_a_bug_is_not_a_delivery_failure() -> None:
    assert failure_code(KeyError("ts")) is None and failure_code(ValueError()) is None


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_slack_that_cannot_be_reached_fails_a_jobs_message_for_the_next_tick_and_never_crashes_it(
        app: Supportbot, slack: FakeSlack) -> None:
    """The connection is refused while a job sends what it wrote to the outbox: the run fails (it does not
    raise), the message's failure is counted on its row and listed, and the next tick, Slack back, sends it
    once."""
    key = keys.standup_prompt("tier1", AGENTS[0], DUE.date())

    async def run(services: Services, now: datetime) -> int:
        async with services.unit(now, wake=False) as unit:
            unit.send(post(key, AGENTS[0], "Time for your stand-up", group=AGENTS[0]))
            await unit.commit()
        return await services.outbox.send_due(now)

    job = Job("probe", "one DM, written to the outbox and sent", run)
    reachable = app.services.outbox.client
    app.services.outbox.client = dispatch_client(AsyncWebClient(
        token=reachable.token, base_url=f"http://127.0.0.1:{closed_port()}/api/", retry_handlers=[]))
    try:
        first = await app.services.metrics.run(job, app.services, DUE)
    finally:
        app.services.outbox.client = reachable
    assert (first.done, first.ok) == (0, False)
    [failed] = await failed_work(app.services)
    assert (failed.key, failed.job, failed.error, failed.attempts, failed.parked, failed.in_outbox) == (
        str(key), "probe", "connection_error", 1, False, True)
    assert delivered(slack) == [] and deliveries(app, "failed") == 1
    assert await app.services.metrics.run_job(job, app.services, DUE + timedelta(minutes=1)) == 1
    assert await failed_work(app.services) == []
    assert [(c.channel, c.text) for c in delivered(slack)] == [(AGENTS[0], "Time for your stand-up")]
