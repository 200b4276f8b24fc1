"""`POST /webhooks/tickets` through the real ASGI front: the bearer token is checked before the body is
read, a bad body is refused whole with every field error (and nothing stored), a good one is upserted by
(team, id) exactly as the CSV import is."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from bot.tickets_import import import_tickets
from storage import teams
from storage.kpi_models import Ticket
from tests.conftest import TEAM_YAML, Clock
from tests.test_ticket_formats import GENERIC_HEADER

TOKEN = "whk-3f9c2a7e5d1b"
URL = "/webhooks/tickets"
TICKET = {"id": "4411", "team": "tier1", "created_at": "2026-11-02T09:00:00-05:00",
          "first_response_at": "2026-11-02T09:20:00-05:00", "solved_at": None, "status": "open",
          "channel": "email", "csat": None, "reopens": 0, "agent_replies": 1, "sla_breached": False}


async def serve(settings: Settings, clock: Clock, token: str | None) -> Supportbot:
    hooked = create_app(settings.model_copy(update={"supportbot_webhook_token": token}), clock=clock,
                        directory_check_every=0)
    async with hooked.services.db() as session:
        await teams.apply(session, parse_teams(TEAM_YAML), now=datetime(2026, 1, 1, tzinfo=UTC))
        await session.commit()
    return hooked


@pytest.fixture
async def http(settings: Settings, clock: Clock) -> AsyncIterator[tuple[httpx.AsyncClient, Supportbot]]:
    hooked = await serve(settings, clock, TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooked.asgi()),
                                 base_url="http://supportbot.test") as client:
        yield client, hooked
    await hooked.close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def stored(app: Supportbot) -> dict[str, Ticket]:
    async with app.services.db() as session:
        return {t.external_id: t for t in (await session.scalars(select(Ticket))).all()}


async def count(app: Supportbot) -> int:
    async with app.services.db() as session:
        return (await session.scalar(select(func.count()).select_from(Ticket))) or 0


@pytest.mark.parametrize("headers", [
    {}, bearer("wrong"), {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}, bearer(""),
])  # fmt: skip
async def test_without_the_token_nothing_is_read(http: tuple[httpx.AsyncClient, Supportbot],
                                                 headers: dict[str, str]) -> None:
    client, app = http
    answer = await client.post(URL, json=TICKET, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in answer.json()["error"]
    assert await count(app) == 0


async def test_one_ticket_is_stored_and_sent_again_changes_nothing(http: tuple[httpx.AsyncClient, Supportbot],
                                                                  clock: Clock) -> None:
    client, app = http
    answer = await client.post(URL, json=TICKET, headers=bearer())
    assert (answer.status_code, answer.json()) == (200, {"imported": 1, "updated": 0, "unchanged": 0, "ignored": []})
    ticket = (await stored(app))["4411"]
    assert ticket.created_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert (ticket.status, ticket.source, ticket.updated_at) == ("open", "webhook", clock.now)

    again = await client.post(URL, json=TICKET, headers=bearer())
    assert again.json() == {"imported": 0, "updated": 0, "unchanged": 1, "ignored": []}


async def test_a_list_is_upserted_by_team_and_id(http: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, app = http
    await client.post(URL, json=TICKET, headers=bearer())
    solved = {**TICKET, "status": "solved", "solved_at": "2026-11-02T16:00:00Z", "csat": 5}
    answer = await client.post(URL, json=[solved, {**TICKET, "id": 4412}], headers=bearer())
    assert (answer.status_code, answer.json()) == (200, {"imported": 1, "updated": 1, "unchanged": 0, "ignored": []})
    found = await stored(app)
    assert sorted(found) == ["4411", "4412"]
    assert (found["4411"].status, found["4411"].csat_good) == ("solved", True)


@pytest.mark.parametrize("body, errors", [
    ({**TICKET, "created_at": "yesterday"},
     [{"index": 0, "field": "created_at",
       "error": "bad date 'yesterday' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)"}]),
    ([TICKET, {**TICKET, "id": "", "status": "wip"}],
     [{"index": 1, "field": "id", "error": "missing id"},
      {"index": 1, "field": "status",
       "error": "unknown status 'wip' (expected new, open, pending, on_hold, solved, closed)"}]),
    ([TICKET, {**TICKET, "id": "9", "solved_at": "2026-11-01T00:00:00Z"}],
     [{"index": 1, "field": "solved_at", "error": "solved_at is before created_at"}]),
    ({k: v for k, v in TICKET.items() if k != "team"}, [{"index": 0, "field": "team", "error": "missing team"}]),
    ([TICKET, {**TICKET, "id": "9", "team": "tier9"}],
     [{"index": 1, "field": "team", "error": "unknown team 'tier9'"}]),
    ({**TICKET, "csat": 9},
     [{"index": 0, "field": "csat", "error": "bad csat 9 (expected good, bad or a score of 1-5)"}]),
    (["not a ticket"], [{"index": 0, "field": None, "error": "expected a ticket: a JSON object"}]),
])  # fmt: skip
async def test_a_bad_body_is_refused_whole_with_every_field_error(
    http: tuple[httpx.AsyncClient, Supportbot], body: Any, errors: list[dict[str, Any]]
) -> None:
    client, app = http
    answer = await client.post(URL, json=body, headers=bearer())
    assert (answer.status_code, answer.json()) == (422, {"errors": errors})
    assert await count(app) == 0


async def test_a_body_that_is_not_json_is_422(http: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, _app = http
    answer = await client.post(URL, content=b"{not json", headers={**bearer(), "content-type": "application/json"})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["index"] is None and error["error"].startswith("the body is not JSON")


async def test_a_body_over_the_cap_is_413_and_unread(http: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, app = http
    huge = json.dumps([{**TICKET, "id": str(i)} for i in range(6000)]).encode()
    assert len(huge) > 1024 * 1024
    answer = await client.post(URL, content=huge, headers={**bearer(), "content-type": "application/json"})
    assert answer.status_code == 413
    assert await count(app) == 0


async def test_without_a_token_configured_the_endpoint_is_off(settings: Settings, clock: Clock) -> None:
    hooked = await serve(settings, clock, None)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooked.asgi()),
                                     base_url="http://supportbot.test") as client:
            answer = await client.post(URL, json=TICKET, headers=bearer())
    finally:
        await hooked.close()
    assert answer.status_code == 404
    assert "SUPPORTBOT_WEBHOOK_TOKEN" in answer.json()["error"]


def test_the_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_TOKEN", TOKEN)
    assert Settings(_env_file=None).supportbot_webhook_token == TOKEN  # type: ignore[call-arg]
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_TOKEN", "  ")
    assert Settings(_env_file=None).supportbot_webhook_token is None  # type: ignore[call-arg]


# ---------------------------------------------------------------- partial updates

def readme_example() -> Any:
    """The body of the documentation's own `curl` example (docs/features/helpdesk-tickets.md)."""
    readme = (Path(__file__).resolve().parents[1] / "docs" / "features" / "helpdesk-tickets.md").read_text("utf-8")
    found = re.search(r"/webhooks/tickets \\\n.*?-d '(?P<body>.*?)'\n", readme, re.DOTALL)
    assert found is not None
    return json.loads(found["body"])


async def test_the_readme_example_after_an_import_keeps_what_it_does_not_name(
    http: tuple[httpx.AsyncClient, Supportbot], tmp_path: Path
) -> None:
    client, app = http
    export = tmp_path / "tickets.csv"
    row = "4411,tier1,2026-11-02T13:00:00Z,,2026-11-02T18:00:00Z,solved,phone,5,1,3,true"
    export.write_text(f"{GENERIC_HEADER}\n{row}\n", encoding="utf-8")
    status = await import_tickets(app.services.engine, export, team=None, now=datetime(2026, 11, 3, tzinfo=UTC),
                                  out=io.StringIO(), err=io.StringIO(), terminal=False)
    assert status == 0

    body = readme_example()
    assert [sorted(ticket) for ticket in body] == [
        ["channel", "created_at", "first_response_at", "id", "status", "team"]]
    answer = await client.post(URL, json=body, headers=bearer())
    assert (answer.status_code, answer.json()) == (200, {"imported": 0, "updated": 1, "unchanged": 0, "ignored": []})
    ticket = (await stored(app))["4411"]
    # named in the body: changed
    assert (ticket.status, ticket.channel, ticket.source) == ("open", "email", "webhook")
    assert ticket.first_response_at == datetime(2026, 11, 2, 14, 20, tzinfo=UTC)
    # not named: kept, as is the created time of a stored ticket
    assert ticket.solved_at == datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    assert (ticket.csat_good, ticket.agent_replies, ticket.reopens, ticket.sla_breached) == (True, 3, 1, True)
    assert ticket.created_at == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)


async def test_only_an_explicit_null_clears_a_field(http: tuple[httpx.AsyncClient, Supportbot]) -> None:
    client, app = http
    solved = {**TICKET, "status": "solved", "solved_at": "2026-11-02T16:00:00Z", "csat": "good", "agent_replies": 4}
    await client.post(URL, json=solved, headers=bearer())
    reopened = {key: TICKET[key] for key in ("id", "team", "created_at")} | {"status": "open", "solved_at": None}
    answer = await client.post(URL, json=reopened, headers=bearer())
    assert answer.json()["updated"] == 1
    ticket = (await stored(app))["4411"]
    assert (ticket.status, ticket.solved_at) == ("open", None)  # cleared, as the body said
    assert (ticket.csat_good, ticket.agent_replies, ticket.channel) == (True, 4, "email")  # kept

    again = await client.post(URL, json=reopened, headers=bearer())
    assert again.json() == {"imported": 0, "updated": 0, "unchanged": 1, "ignored": []}


async def test_fields_the_webhook_does_not_know_are_ignored_and_named(http: tuple[httpx.AsyncClient, Supportbot]
                                                                     ) -> None:
    client, app = http
    body = [{**TICKET, "priority": "high", "subject": "Refund"}, {**TICKET, "id": "4412", "assignee": "Ana"}]
    answer = await client.post(URL, json=body, headers=bearer())
    assert (answer.status_code, answer.json()) == (
        200, {"imported": 2, "updated": 0, "unchanged": 0, "ignored": ["assignee", "priority", "subject"]})
    assert sorted(await stored(app)) == ["4411", "4412"]
