"""Tests of the test kit itself: FakeSlack (Web API + Socket Mode), block limits and signing."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.kit.block_limits import facts_dir, problems, view_problems
from tests.kit.driver import state_of
from tests.kit.fake_slack import FakeSlack
from tests.kit.signing import sign, signed_headers


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(slack: FakeSlack) -> Iterator[None]:
    slack.reset()
    yield
    assert slack.errors == [], "FakeSlack crashed while serving a request"


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


def section(i: int) -> dict[str, Any]:
    return {"type": "section", "block_id": f"b{i}", "text": {"type": "mrkdwn", "text": f"line {i}"}}


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"}, "blocks": blocks, **extra}


def header(length: int) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": "h" * length}}


# ---------------------------------------------------------------- chat.*
async def test_post_and_update_message_are_recorded(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="v1", blocks=[section(1)])
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="v2", blocks=[section(2)])

    assert posted["channel"] == "C1"
    assert posted["message"]["text"] == "v1"
    assert updated["ts"] == posted["ts"]
    call = slack.last("chat.postMessage", channel="C1")
    assert (call.text, call.blocks, call.token, call.status) == ("v1", [section(1)], "xoxb-test", 200)
    assert slack.last("chat.update").ts == posted["ts"]
    assert slack.message("C1", posted["ts"])["blocks"] == [section(2)]  # type: ignore[index]


async def test_ts_is_unique_and_increasing(client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C1", text="a")
    second = await client.chat_postMessage(channel="C1", text="b", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]


async def test_post_to_user_id_lands_in_dm(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U42", text="hi")
    assert posted["channel"] == "DU42"
    assert slack.messages("DU42")[0]["text"] == "hi"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_without_text_or_blocks_is_no_text(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"


async def test_message_with_51_blocks_is_invalid_blocks(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="ok", blocks=[section(i) for i in range(50)])
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="too many", blocks=[section(i) for i in range(51)])
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "invalid_blocks"
    assert [c.ok for c in slack.calls("chat.postMessage")] == [True, False]


async def test_header_over_150_chars_is_rejected(client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="ok", blocks=[header(150)])
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="long", blocks=[header(151)])
    assert err.value.response["error"] == "invalid_blocks"
    assert "150" in err.value.response["response_metadata"]["messages"][0]


async def test_update_of_unknown_ts_is_message_not_found(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C1", ts="1111111111.000100", text="nope")
    assert err.value.response["error"] == "message_not_found"


async def test_permalink_and_ephemeral(client: AsyncWebClient) -> None:
    link = await client.chat_getPermalink(channel="C9", message_ts="1700000000.000100")
    eph = await client.chat_postEphemeral(channel="C9", user="U1", text="psst")
    assert link["permalink"] == "https://fake.slack.com/archives/C9/p1700000000000100"
    assert eph["message_ts"]


# ---------------------------------------------------------------- views.*
async def test_modal_with_101_blocks_is_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="t.1", view=modal([section(i) for i in range(100)]))
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="t.2", view=modal([section(i) for i in range(101)]))
    assert opened["view"]["id"].startswith("V")
    assert err.value.response["error"] == "invalid_arguments"
    assert slack.count("views.open") == 2


async def test_views_open_needs_trigger_id_and_update_needs_known_view(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as no_trigger:
        await client.views_open(view=modal([section(1)]))
    with pytest.raises(SlackApiError) as unknown:
        await client.views_update(view_id="V404", view=modal([section(1)]))
    assert no_trigger.value.response["error"] == "invalid_arguments"
    assert unknown.value.response["error"] == "not_found"


async def test_views_update_by_external_id_replaces_view(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="t.1", view=modal([section(1)], external_id="ext-1"))
    updated = await client.views_update(external_id="ext-1", view=modal([section(2)], external_id="ext-1"))
    assert updated["view"]["id"] == opened["view"]["id"]
    assert slack.view(opened["view"]["id"])["blocks"] == [section(2)]  # type: ignore[index]


async def test_views_publish_home(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.views_publish(user_id="U1", view={"type": "home", "blocks": [section(1)]})
    assert slack.home("U1")["blocks"] == [section(1)]  # type: ignore[index]
    assert slack.last("views.publish").view == {"type": "home", "blocks": [section(1)]}


# ---------------------------------------------------------------- rate limits and failures
async def test_429_is_retried_after_retry_after(slack: FakeSlack) -> None:
    plain = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as err:
        await plain.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"

    retrying = AsyncWebClient(
        token="xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.reset()
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    posted = await retrying.chat_postMessage(channel="C1", text="x")
    assert posted["ok"] is True
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]


async def test_fail_method_until_cleared(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_method("chat.postMessage", error="not_in_channel")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    slack.clear_failures()
    await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_in_channel"
    assert [c.error for c in slack.calls("chat.postMessage")] == ["not_in_channel", None]


async def test_server_error_injection(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("users.info", status=503)
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U1")
    assert err.value.response.status_code == 503


async def test_auth_and_unknown_method(slack: FakeSlack) -> None:
    bad = AsyncWebClient(token="xoxp-user", base_url=slack.api_url)
    anonymous = AsyncWebClient(base_url=slack.api_url)
    good = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    errors = []
    for call in (bad.auth_test(), anonymous.auth_test(), good.api_call("chat.nope")):
        with pytest.raises(SlackApiError) as err:
            await call
        errors.append(err.value.response["error"])
    assert errors == ["invalid_auth", "not_authed", "unknown_method"]
    assert (await good.auth_test())["user_id"] == "U0BOT"


def test_bad_request_does_not_kill_server(slack: FakeSlack) -> None:
    request = urllib.request.Request(
        slack.api_url + "chat.postMessage",
        data=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": "Bearer xoxb-test"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        answer = json.loads(resp.read())
    assert answer == {"ok": False, "error": "invalid_json"}
    assert WebClient(token="xoxb-test", base_url=slack.api_url).auth_test()["ok"] is True


# ---------------------------------------------------------------- connections
async def test_connections_counts_keep_alive_connections_not_calls(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        shared = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, session=session)
        await shared.auth_test()
        await shared.chat_postMessage(channel="C1", text="same connection")
    assert slack.count() == 2
    assert slack.connections() == 1

    slack.reset()
    assert slack.connections() == 0
    for text in ("first session", "second session"):
        async with aiohttp.ClientSession() as session:
            own = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, session=session)
            await own.chat_postMessage(channel="C1", text=text)
    assert slack.count() == 2
    assert slack.connections() == 2


# ---------------------------------------------------------------- users, files, waiting
async def test_users_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U7", real_name="Ada Lovelace", tz="Europe/London")
    user = (await client.users_info(user="U7"))["user"]
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert (user["real_name"], user["tz"]) == ("Ada Lovelace", "Europe/London")
    assert isinstance(user["tz_offset"], int)
    assert err.value.response["error"] == "user_not_found"


async def test_files_upload_v2_round_trip(slack: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.files_upload_v2(
        channel="C1", filename="kpi.csv", content="a,b\n1,2\n", title="KPIs"
    )
    file_id = result["file"]["id"]
    assert slack.last("upload").data == b"a,b\n1,2\n"
    assert slack.file(file_id)["completed"] is True  # type: ignore[index]
    assert slack.last("files.completeUploadExternal").args["files"] == [{"id": file_id, "title": "KPIs"}]


def test_wait_for_sees_calls_from_another_thread(slack: FakeSlack) -> None:
    sync_client = WebClient(token="xoxb-test", base_url=slack.api_url)
    worker = threading.Thread(target=lambda: sync_client.chat_postMessage(channel="C5", text="from thread"))
    worker.start()
    calls = slack.wait_for("chat.postMessage", channel="C5", timeout=5)
    worker.join(timeout=5)
    assert calls[0].text == "from thread"


async def test_await_for_times_out_with_listing(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        await slack.await_for("chat.postMessage", timeout=0.05)
    with pytest.raises(AssertionError, match=r"chat\.update"):
        slack.last("chat.update")


# ---------------------------------------------------------------- block limits (pure)
def test_block_limit_problems() -> None:
    assert problems([section(1), header(10)]) == []
    assert problems([{"type": "sectoin"}]) != []
    assert any("duplicate block_id" in p for p in problems([section(1), section(1)]))
    button = {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "action_id": "a"}
    assert problems([{"type": "actions", "elements": [button]}]) != []
    assert view_problems(modal([section(1)], title={"type": "plain_text", "text": "t" * 25})) != []
    assert view_problems(modal([section(1)])) == []


# ---------------------------------------------------------------- signing
def test_signing_reproduces_slack_docs_vector() -> None:
    vector = json.loads((facts_dir() / "signature_vector.json").read_text())["vector"]
    headers = signed_headers(vector["signing_secret"], vector["body"], vector["timestamp"])
    assert sign(vector["signing_secret"], vector["body"], vector["timestamp"]) == vector["expected_signature"]
    assert headers["X-Slack-Signature"] == vector["expected_signature"]
    assert headers["X-Slack-Request-Timestamp"] == vector["timestamp"]
    assert (
        sign(vector["signing_secret"], vector["body"] + "x", vector["timestamp"])
        != vector["expected_signature"]
    )


# ---------------------------------------------------------------- socket mode
def slash_command_payload() -> dict[str, Any]:
    envelopes = json.loads((facts_dir() / "payloads" / "socket_mode_envelopes.json").read_text())
    envelope = next(e for e in envelopes["payload"]["envelopes"] if e["type"] == "slash_commands")
    payload: dict[str, Any] = envelope["payload"]
    return payload


async def test_socket_mode_client_receives_envelope_and_acks(slack: FakeSlack) -> None:
    web = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    client = SocketModeClient(app_token="xapp-1-test", web_client=web, auto_reconnect_enabled=False)
    received: list[SocketModeRequest] = []
    frame_types: list[str | None] = []

    async def on_request(sm: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        received.append(req)
        await sm.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "ok"})
        )

    async def on_frame(sm: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None) -> None:
        frame_types.append(message.get("type"))

    client.socket_mode_request_listeners.append(on_request)
    client.message_listeners.append(on_frame)
    try:
        await client.connect()
        await slack.socket.await_connected()
        envelope_id = slack.socket.send("slash_commands", slash_command_payload())
        ack = await slack.socket.await_ack(envelope_id)

        slack.socket.disconnect()
        await slack.socket.await_connected(total=2)
        second_id = slack.socket.send(
            "events_api", {"type": "event_callback", "event": {"type": "app_mention"}}
        )
        second_ack = await slack.socket.await_ack(second_id)
    finally:
        await client.close()

    assert ack == {"envelope_id": envelope_id, "payload": {"text": "ok"}}
    assert (received[0].type, received[0].payload["command"]) == ("slash_commands", "/hello-socket-mode")
    assert received[0].accepts_response_payload is True
    assert frame_types[0] == "hello"
    assert second_ack["envelope_id"] == second_id
    assert slack.count("apps.connections.open") == 2
    assert slack.last("apps.connections.open").token == "xapp-1-test"


def test_the_driver_sends_an_untouched_inputs_initial_value_as_slack_does() -> None:
    """Slack's view_submission state holds what each input shows: its initial value unless the person changed it.
    The driver does the same, so a form's prefilled values reach the app as they would from Slack."""
    view = {"blocks": [
        {"type": "input", "block_id": "text", "element": {"type": "plain_text_input", "action_id": "a",
                                                         "initial_value": "kept"}},
        {"type": "input", "block_id": "pick", "element": {
            "type": "static_select", "action_id": "b", "initial_option": {
                "text": {"type": "plain_text", "text": "Two"}, "value": "2"},
            "options": [{"text": {"type": "plain_text", "text": name}, "value": value}
                        for name, value in (("One", "1"), ("Two", "2"))]}},
        {"type": "input", "block_id": "who", "element": {"type": "multi_users_select", "action_id": "c",
                                                        "initial_users": ["U1", "U2"]}},
        {"type": "input", "block_id": "where", "element": {"type": "conversations_select", "action_id": "d"}},
    ]}
    state = state_of(view, {"pick": "1", "text": None})
    assert state["text"]["a"]["value"] is None  # named with None: cleared by the person
    assert state["pick"]["b"]["selected_option"]["value"] == "1"  # changed
    assert state["who"]["c"]["selected_users"] == ["U1", "U2"]  # untouched: the initial value
    assert state["where"]["d"]["selected_conversation"] is None  # no initial value, not filled
    untouched = state_of(view, {})
    assert untouched["text"]["a"]["value"] == "kept"
    assert untouched["pick"]["b"]["selected_option"]["value"] == "2"
