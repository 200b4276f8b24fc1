"""The one Web API client: it talks to SLACK_API_URL and rides out Slack's 429s and 5xx, so a short
hiccup delays a message instead of losing or doubling it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack_client import close_client
from bot.slack_client import make_client as make_open_client
from tests.kit.fake_slack import FakeSlack

_open: list[AsyncWebClient] = []


def make_client(settings: Settings) -> AsyncWebClient:
    """The real factory; the client's keep-alive session is closed when the test ends."""
    client = make_open_client(settings)
    _open.append(client)
    return client


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while _open:
        await close_client(_open.pop())


async def test_rate_limited_post_waits_retry_after_then_arrives_once(settings: Settings, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client = make_client(settings)

    started = time.monotonic()
    posted = await client.chat_postMessage(channel="C0ESC", text="ESC-1 is P1")
    waited = time.monotonic() - started

    assert posted["ok"] is True
    assert waited >= 1.0  # Retry-After: 1 was honoured
    attempts = slack.calls("chat.postMessage")
    assert [call.status for call in attempts] == [429, 200]
    assert [m["text"] for m in slack.messages("C0ESC")] == ["ESC-1 is P1"]


async def test_server_error_is_retried(settings: Settings, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=500)
    client = make_client(settings)

    posted = await client.chat_postMessage(channel="C0ESC", text="still delivered")

    assert posted["ok"] is True
    assert [call.status for call in slack.calls("chat.postMessage")] == [500, 200]
    assert [m["text"] for m in slack.messages("C0ESC")] == ["still delivered"]


async def test_retries_are_bounded(settings: Settings, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=503, times=10)
    client = make_client(settings)

    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C0ESC", text="never delivered")

    assert slack.count("chat.postMessage") == 3  # one try and two retries, then the error surfaces
    assert slack.messages("C0ESC") == []


async def test_an_ok_false_answer_is_not_retried(settings: Settings, slack: FakeSlack) -> None:
    slack.fail_method("chat.postMessage", "channel_not_found")
    client = make_client(settings)

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GONE", text="where to?")

    assert raised.value.response["error"] == "channel_not_found"
    assert slack.count("chat.postMessage") == 1


async def test_base_url_comes_from_slack_api_url(settings: Settings, slack: FakeSlack) -> None:
    client = make_client(settings)
    assert client.base_url == slack.api_url

    await client.auth_test()

    assert slack.last("auth.test").token == "xoxb-test-token"


async def test_slack_api_url_without_trailing_slash_still_reaches_the_api(
    settings: Settings, slack: FakeSlack
) -> None:
    bare = Settings(SLACK_BOT_TOKEN="xoxb-bare", SLACK_API_URL=slack.api_url.rstrip("/"),
                    DATABASE_URL=settings.database_url, _env_file=None)
    client = make_client(bare)

    await client.auth_test()

    assert client.base_url == slack.api_url
    assert slack.last("auth.test").token == "xoxb-bare"
