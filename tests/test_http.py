"""HTTP mode, through the real ASGI front: Slack's signature is checked before anything happens,
url_verification is answered, `/supportbot` explains itself, and /healthz tells a load balancer
whether the database answers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, inspect, select, table

from bot.app import Supportbot, create_app
from bot.settings import Settings
from storage.db import make_engine
from tests.conftest import SIGNING_SECRET, TeamPeople
from tests.kit.block_limits import facts_dir
from tests.kit.driver import TEAM_ID, SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.kit.signing import sign, signed_headers

FORM = "application/x-www-form-urlencoded"
INVALID_REQUEST = {"error": "invalid request"}
VECTOR: dict[str, Any] = json.loads((facts_dir() / "signature_vector.json").read_text("utf-8"))["vector"]


def payload_text(name: str) -> str:
    return (facts_dir() / "payloads" / name).read_text("utf-8").strip()


def help_command(text: str = "help") -> str:
    """A `/supportbot` slash command body as Slack sends it (form-encoded)."""
    return urlencode({
        "token": "verification-token", "team_id": TEAM_ID, "team_domain": "acme", "channel_id": "C0HERE",
        "channel_name": "support", "user_id": "U0AGENT1", "user_name": "agent", "command": "/supportbot",
        "text": text, "api_app_id": "A0APP", "response_url": "https://hooks.slack.com/commands/T0TEAM/1/x",
        "trigger_id": "1.1111.abcdef",
    })  # fmt: skip


@pytest.fixture
async def http(app: Supportbot) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the app's ASGI front: nothing is signed unless a test signs it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.asgi()),
                                 base_url="http://supportbot.test") as client:
        yield client


async def row_counts(app: Supportbot) -> dict[str, int]:
    """Rows per table, for every table the database really has."""
    async with app.services.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        return {name: (await connection.execute(select(func.count()).select_from(table(name)))).scalar_one()
                for name in sorted(names)}


# ---------------------------------------------------------------- the signing vector
def test_signing_vector_from_slack_docs_verifies_with_our_signing_helper() -> None:
    assert sign(VECTOR["signing_secret"], VECTOR["body"], VECTOR["timestamp"]) == VECTOR["expected_signature"]
    assert VECTOR["body"] == payload_text("slash_command.signing_docs_example.form")


def test_signing_vector_verifies_with_slack_sdk_at_its_own_timestamp() -> None:
    class AtVectorTime:
        def now(self) -> float:
            return float(VECTOR["timestamp"])

    verifier = SignatureVerifier(VECTOR["signing_secret"], clock=AtVectorTime())  # type: ignore[arg-type]
    headers = {"X-Slack-Request-Timestamp": VECTOR["timestamp"], "X-Slack-Signature": VECTOR["expected_signature"]}
    assert verifier.is_valid_request(VECTOR["body"], headers)
    assert not verifier.is_valid_request(VECTOR["body"] + "------", headers)


async def test_app_accepts_the_docs_example_body_signed_with_our_secret(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    assert VECTOR["signing_secret"] == SIGNING_SECRET  # our test secret is the docs' secret
    reply = await bot.post(payload_text("slash_command.signing_docs_example.form"), content_type=FORM)

    assert reply.status != 401, reply.body
    assert reply.status == 404  # /webhook-collect is not ours: Bolt says "unhandled", after verifying
    assert slack.count("auth.test") == 1  # the request went past verification into Bolt's authorization


# ---------------------------------------------------------------- forged and stale requests
async def refused(http: httpx.AsyncClient, body: str, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/slack/events", content=body.encode(), headers={"Content-Type": FORM, **headers})


def stale(body: str) -> dict[str, str]:
    return signed_headers(SIGNING_SECRET, body, int(time.time()) - 6 * 60)


def tampered(body: str) -> dict[str, str]:
    return signed_headers(SIGNING_SECRET, body.replace("help", "hel"))


def wrong_signature(body: str) -> dict[str, str]:
    return {**signed_headers(SIGNING_SECRET, body), "X-Slack-Signature": sign("not-our-secret", body, int(time.time()))}


def unsigned(_body: str) -> dict[str, str]:
    return {}


@pytest.mark.parametrize("forge", [stale, tampered, wrong_signature, unsigned])
async def test_forged_or_stale_request_gets_401_and_reaches_no_listener(
    forge: Any, app: Supportbot, http: httpx.AsyncClient, slack: FakeSlack, team: TeamPeople
) -> None:
    body = help_command()
    before = await row_counts(app)

    response = await refused(http, body, forge(body))

    assert response.status_code == 401
    assert response.json() == INVALID_REQUEST
    assert slack.calls() == []  # not even Bolt's auth.test: nothing ran past verification
    assert await row_counts(app) == before
    assert before["team_members"] == 3  # the snapshot is of a real, populated database


async def test_a_timestamp_that_is_not_a_number_gets_401(http: httpx.AsyncClient, slack: FakeSlack) -> None:
    body = help_command()
    response = await refused(http, body, {**signed_headers(SIGNING_SECRET, body), "X-Slack-Request-Timestamp": "x"})

    assert response.status_code == 401  # not a 500 with a traceback in the log
    assert response.json() == INVALID_REQUEST
    assert slack.calls() == []


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """The verifier compares a whole-second timestamp with a float `time()`: freeze its clock on a whole
    second so "exactly 300 s" is exactly 300 s, not 300.4."""
    now = int(time.time())
    monkeypatch.setattr("slack_sdk.signature.time", lambda: float(now))
    return now


@pytest.mark.parametrize(("age", "status"), [(300, 200), (-300, 200), (301, 401), (-301, 401)])
async def test_replay_window_is_300_seconds_either_way(
    bot: SlackDriver, frozen_clock: int, age: int, status: int
) -> None:
    reply = await bot.post(help_command(), content_type=FORM, timestamp=frozen_clock - age)
    assert reply.status == status, reply.body
    if status == 401:
        assert reply.json == INVALID_REQUEST
    else:
        assert "/escalate" in reply.text


async def test_a_request_299_seconds_old_by_the_real_clock_is_accepted(bot: SlackDriver) -> None:
    reply = await bot.post(help_command(), content_type=FORM, timestamp=int(time.time()) - 299)
    assert reply.status == 200, reply.body


# ---------------------------------------------------------------- what the app answers
async def test_url_verification_answers_its_challenge(bot: SlackDriver) -> None:
    fixture = json.loads((facts_dir() / "payloads" / "url_verification.json").read_text("utf-8"))
    reply = await bot.post(json.dumps(fixture["payload"]), content_type=fixture["_http"]["content-type"])

    assert reply.status == 200
    assert reply.json == {"challenge": fixture["payload"]["challenge"]}


async def test_supportbot_help_lists_the_commands(bot: SlackDriver, slack: FakeSlack) -> None:
    reply = await bot.command("/supportbot", "help", user="U0AGENT1")

    assert reply.status == 200
    assert "/escalate" in reply.text
    assert "I don't know" not in reply.text
    assert slack.count("chat.postMessage") == 0  # the answer is the private ack, nothing is posted


async def test_supportbot_with_no_argument_also_helps(bot: SlackDriver) -> None:
    reply = await bot.command("/supportbot", "", user="U0AGENT1")
    assert reply.status == 200
    assert "/escalate" in reply.text


async def test_supportbot_with_an_unknown_argument_answers_usage(bot: SlackDriver) -> None:
    reply = await bot.command("/supportbot", "nonsense", user="U0AGENT1")

    assert reply.status == 200
    assert "I don't know `nonsense`" in reply.text
    assert "/escalate" in reply.text
    assert "help" in reply.text


# ---------------------------------------------------------------- /healthz
async def test_healthz_is_200_when_the_database_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


async def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    # Nothing listens on port 1: refused at once. (A SQLite file in a missing directory fails as fast, but
    # aiosqlite then finishes its worker thread after the test's loop closed and pytest warns about it.)
    engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    unreachable = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=unreachable.asgi()),
                                     base_url="http://supportbot.test") as http:
            started = time.monotonic()
            response = await http.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        assert time.monotonic() - started < 5  # a health check must not hang
    finally:
        await unreachable.close()


async def test_healthz_answers_only_get(http: httpx.AsyncClient) -> None:
    assert (await http.post("/healthz")).status_code == 405
