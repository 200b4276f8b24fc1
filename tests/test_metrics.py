"""`GET /metrics`: what an operator's Prometheus scrapes. Requests are driven through the real app (signed
HTTP in, the fake Slack out) and the scrape is read back over HTTP: each counter moves by exactly what
happened, and nothing a request says can add a label value of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Supportbot, create_app
from bot.settings import Settings
from handlers.metrics import OTHER, Metrics, method_of
from handlers.standups import ids as standup_ids
from handlers.standups.jobs import STANDUPS
from storage import helpdesks
from tests.conftest import Clock, TeamPeople
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import NY, prompts, setup_team
from tests.test_kpi_digest_reads import with_zendesk

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PROMPT_TIME = datetime(2026, 11, 2, 14, 31, tzinfo=UTC)
"""Monday 09:31 in New York: a minute after the stand-up prompt is due."""


async def scrape(asgi: Any) -> Samples:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://supportbot.test") as c:
        response = await c.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample that changed, and by how much (histogram buckets and sums left out)."""
    return {key: after[key] - before.get(key, 0.0) for key in after
            if after[key] != before.get(key, 0.0) and not key[0].endswith(("_bucket", "_sum", "_created"))}


@pytest.fixture
async def metrics_of(app: Supportbot) -> AsyncIterator[Any]:
    yield app.asgi()


async def test_a_slash_command_is_one_request_and_one_ack_of_its_listener(
        bot: SlackDriver, app: Supportbot, team: TeamPeople, metrics_of: Any) -> None:
    before = await scrape(metrics_of)
    reply = await bot.command("/supportbot", "help", user=team.agent)
    assert reply.status == 200
    after = await scrape(metrics_of)
    listener = {"kind": "command", "listener": "/supportbot"}
    assert value(after, "supportbot_slack_requests_total", **listener, status="200") - \
        value(before, "supportbot_slack_requests_total", **listener, status="200") == 1
    assert value(after, "supportbot_slack_ack_seconds_count", **listener) == 1
    assert 0 < value(after, "supportbot_slack_ack_seconds_sum", **listener) < 3
    assert value(after, "supportbot_slack_ack_seconds_bucket", **listener, le="3.0") == 1


async def test_job_run_button_and_delivery_are_counted_exactly(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, metrics_of: Any) -> None:
    await setup_team(app, slack, members=[NY])
    before = await scrape(metrics_of)
    done = await app.services.metrics.run_job(STANDUPS, app.services, PROMPT_TIME)
    after = await scrape(metrics_of)
    assert done == 1 and len(prompts(slack, NY)) == 1
    changes = moved(before, after)
    assert changes[("supportbot_job_runs_total", frozenset({("job", "standups"), ("outcome", "ok")}))] == 1
    assert changes[("supportbot_job_duration_seconds_count", frozenset({("job", "standups")}))] == 1
    assert changes[("supportbot_job_units_total", frozenset({("job", "standups")}))] == 1
    assert changes[("supportbot_deliveries_total", frozenset({("outcome", "claimed")}))] == 1
    assert changes[("supportbot_deliveries_total", frozenset({("outcome", "sent")}))] == 1
    assert ("supportbot_deliveries_total", frozenset({("outcome", "failed")})) not in changes
    api_calls = {dict(labels)["method"]: n for (name, labels), n in changes.items()
                 if name == "supportbot_slack_api_calls_total"}
    assert api_calls == {method: float(slack.count(method)) for method in api_calls}
    assert api_calls["chat.postMessage"] == 1

    again = await app.services.metrics.run_job(STANDUPS, app.services, PROMPT_TIME)  # nothing new is due
    assert again == 0
    rerun = await scrape(metrics_of)
    assert value(rerun, "supportbot_job_runs_total", job="standups", outcome="ok") == 2
    assert value(rerun, "supportbot_deliveries_total", outcome="claimed") == 1

    reply = await bot.click(standup_ids.START, user=NY, message={"ts": prompts(slack, NY)[-1].response["ts"]},
                            channel=prompts(slack, NY)[-1].response["channel"])
    assert reply.status == 200
    clicked = moved(rerun, await scrape(metrics_of))
    assert clicked[("supportbot_slack_requests_total", frozenset(
        {("kind", "action"), ("listener", standup_ids.START), ("status", "200")}))] == 1


async def test_a_refused_delivery_is_claimed_failed_and_an_api_error(
        app: Supportbot, slack: FakeSlack, metrics_of: Any) -> None:
    await setup_team(app, slack, members=[NY])
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    before = await scrape(metrics_of)
    assert await app.services.metrics.run_job(STANDUPS, app.services, PROMPT_TIME) == 0
    changes = moved(before, await scrape(metrics_of))
    assert changes[("supportbot_deliveries_total", frozenset({("outcome", "claimed")}))] == 1
    assert changes[("supportbot_deliveries_total", frozenset({("outcome", "parked")}))] == 1  # permanent: at once
    assert ("supportbot_deliveries_total", frozenset({("outcome", "sent")})) not in changes
    assert changes[("supportbot_slack_api_errors_total", frozenset(
        {("method", "chat.postMessage"), ("error", "channel_not_found")}))] == 1


async def test_a_job_that_raises_is_a_failed_run(app: Supportbot, metrics_of: Any) -> None:
    from handlers.jobs import Job

    async def broken(_services: Any, _now: datetime) -> int:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        await app.services.metrics.run_job(Job("broken", "fails", broken), app.services, PROMPT_TIME)
    after = await scrape(metrics_of)
    assert value(after, "supportbot_job_runs_total", job="broken", outcome="failed") == 1
    assert value(after, "supportbot_job_duration_seconds_count", job="broken") == 1


async def test_scheduled_ticks_are_counted_where_the_scheduler_runs_them(app: Supportbot, metrics_of: Any) -> None:
    from bot.scheduler import build_scheduler
    from handlers.jobs import Job

    ticks: list[datetime] = []

    async def flaky(_services: Any, now: datetime) -> int:
        ticks.append(now)
        if len(ticks) == 1:
            raise RuntimeError("database went away")
        return 2

    scheduler = build_scheduler(app.services, [Job("flaky", "test", flaky, {"trigger": "interval", "seconds": 0.05})])
    scheduler.start()
    try:
        for _ in range(200):  # bounded: at most 10 s
            if len(ticks) >= 3:
                break
            await asyncio.sleep(0.05)
        registry = app.services.metrics.registry  # read in the same step as `ticks`: no tick runs in between
        ok, failed, units, timed, seen = (
            registry.get_sample_value("supportbot_job_runs_total", {"job": "flaky", "outcome": "ok"}),
            registry.get_sample_value("supportbot_job_runs_total", {"job": "flaky", "outcome": "failed"}),
            registry.get_sample_value("supportbot_job_units_total", {"job": "flaky"}),
            registry.get_sample_value("supportbot_job_duration_seconds_count", {"job": "flaky"}), len(ticks))
    finally:
        scheduler.shutdown(wait=False)
    assert failed == 1 and ok == seen - 1 >= 2 and units == 2 * ok and timed == seen
    assert value(await scrape(metrics_of), "supportbot_job_runs_total", job="flaky", outcome="failed") == 1


async def test_a_429_is_a_rate_limit_wait_and_then_a_call_that_succeeds(
        app: Supportbot, slack: FakeSlack, metrics_of: Any) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    before = await scrape(metrics_of)
    posted = await app.services.client.chat_postMessage(channel="C0HERE", text="hello")
    assert posted["ok"] is True
    changes = moved(before, await scrape(metrics_of))
    method = frozenset({("method", "chat.postMessage")})
    assert changes[("supportbot_slack_rate_limit_waits_total", method)] == 1
    assert 1 <= changes[("supportbot_slack_rate_limit_wait_seconds_total", method)] < 3
    assert changes[("supportbot_slack_api_calls_total", method)] == 2  # the 429, then the retry
    assert changes[("supportbot_slack_api_errors_total", method | {("error", "rate_limited")})] == 1


async def test_unknown_listener_names_are_counted_as_other(
        bot: SlackDriver, team: TeamPeople, metrics_of: Any) -> None:
    before = await scrape(metrics_of)
    for n in range(3):
        await bot.click(f"made.up.action.{n}", user=team.agent)
        await bot.command(f"/nosuch{n}", "x", user=team.agent)
        await bot.event({"type": f"made_up_event_{n}", "user": team.agent})
    await bot.interact({"type": "view_submission", "user": {"id": team.agent},
                        "view": {"id": "V1", "type": "modal", "callback_id": "<!channel> injected",
                                 "state": {"values": {}}}})
    after = await scrape(metrics_of)
    changes = moved(before, after)
    listeners = {(dict(labels)["kind"], dict(labels)["listener"]) for (name, labels) in changes
                 if name == "supportbot_slack_requests_total"}
    assert listeners == {("action", OTHER), ("command", OTHER), ("event", OTHER), ("view", OTHER)}
    assert sum(n for (name, labels), n in changes.items() if name == "supportbot_slack_requests_total"
               and dict(labels)["kind"] == "action") == 3
    assert not any("made" in label or "nosuch" in label or "injected" in label
                   for (_, labels) in after for _, label in labels)


async def test_socket_mode_health_server_serves_metrics_too(app: Supportbot) -> None:
    samples = await scrape(app.health_asgi())
    assert value(samples, "supportbot_deliveries_total", outcome="claimed") == 0
    assert ("supportbot_deliveries_total", frozenset({("outcome", "sent")})) in samples


async def test_two_apps_in_one_process_count_apart(
        app: Supportbot, settings: Settings, clock: Clock, bot: SlackDriver, team: TeamPeople) -> None:
    other = create_app(settings, clock=clock, directory_check_every=0)
    try:
        await bot.command("/supportbot", "help", user=team.agent)
        mine, theirs = await scrape(app.asgi()), await scrape(other.asgi())
        listener = {"kind": "command", "listener": "/supportbot", "status": "200"}
        assert value(mine, "supportbot_slack_requests_total", **listener) == 1
        assert value(theirs, "supportbot_slack_requests_total", **listener) == 0
    finally:
        await other.close()


@pytest.mark.parametrize("url, expected", [
    ("http://slack.test/api/chat.postMessage", "chat.postMessage"),
    ("http://slack.test/api/files.getUploadURLExternal", "files.getUploadURLExternal"),
    ("http://slack.test/api/admin.users.session.list", "admin.users.session.list"),
    ("http://slack.test/api/chat.postMessage?x=1", "chat.postMessage"),
    ("https://files.slack.com/upload/v1/ABC123", OTHER),
    ("http://slack.test/api/../../etc", OTHER),
    ("http://slack.test/api/", OTHER),
])
def test_web_api_method_labels_are_method_names_or_other(url: str, expected: str) -> None:
    assert method_of(url, "http://slack.test/api/") == expected


@pytest.mark.parametrize("body, expected", [
    ({"command": "/escalate", "text": "x"}, ("command", "/escalate")),
    ({"command": "/evil" * 60}, ("other", "other")),
    ({"type": "block_actions", "actions": [{"action_id": "esc.ack"}]}, ("action", "esc.ack")),
    ({"type": "block_actions", "actions": [{"action_id": "forged"}]}, ("action", OTHER)),
    ({"type": "block_actions", "actions": []}, (OTHER, OTHER)),
    ({"type": "view_submission", "view": {"callback_id": "esc.form"}}, ("view", "esc.form")),
    ({"type": "view_closed", "view": {"callback_id": 7}}, (OTHER, OTHER)),
    ({"type": "event_callback", "event": {"type": "app_home_opened"}}, ("event", "app_home_opened")),
    ({"type": "event_callback", "event": {"type": "message"}}, ("event", OTHER)),
    ({"type": "url_verification", "challenge": "x"}, (OTHER, OTHER)),
    ({}, (OTHER, OTHER)),
])
def test_listener_labels_come_only_from_registered_names(body: dict[str, Any], expected: tuple[str, str]) -> None:
    metrics = Metrics()
    metrics.listeners.update(command={"/escalate"}, action={"esc.ack"}, view={"esc.form"},
                             event={"app_home_opened"})
    assert metrics.listener_of(body) == expected


async def test_each_helpdesk_sources_last_success_tickets_synced_and_errors_are_scraped(
        app: Supportbot, team: TeamPeople, metrics_of: Any) -> None:
    assert not any(name.startswith("supportbot_helpdesk") for name, _ in await scrape(metrics_of))
    synced = datetime(2026, 11, 2, 13, 55, tzinfo=UTC)
    await with_zendesk(app, synced=synced)
    found = await scrape(metrics_of)
    assert value(found, "supportbot_helpdesk_last_success_timestamp_seconds", source="zendesk") == synced.timestamp()
    assert value(found, "supportbot_helpdesk_last_sync_failed", source="zendesk") == 0
    assert ("supportbot_helpdesk_tickets_synced", frozenset({("source", "zendesk")})) in found

    async with app.services.db() as session:  # a sync that fails keeps the last success and says it failed
        assert await helpdesks.claim(session, "zendesk", owner="t", now=synced, until=synced)
        await helpdesks.finish(session, "zendesk", owner="t", now=synced, error="401 from Zendesk", report="",
                               unmatched=3)
        await session.commit()
    found = await scrape(metrics_of)
    assert value(found, "supportbot_helpdesk_last_sync_failed", source="zendesk") == 1
    assert value(found, "supportbot_helpdesk_last_success_timestamp_seconds", source="zendesk") == synced.timestamp()
