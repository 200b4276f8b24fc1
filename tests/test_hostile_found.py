"""What the property-based hostile-input test (tests/test_hostile_properties.py) found, one plain case each:
a webhook body or a form's metadata nested past the JSON parser's depth, user text echoed unescaped in a
private answer, a NUL character or a count past the database's integer in a ticket, and timezone names that
are folders or too long (ZoneInfo raises OSError for those, not ZoneInfoNotFoundError)."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.app import Supportbot
from bot.rules.people import Person
from bot.rules.team_config import ConfigError, parse_teams
from bot.rules.ticket_formats import column
from bot.rules.ticket_rows import parse, parse_text
from bot.settings import Settings
from bot.tickets_import import ImportRefused, import_tickets, time_zone
from tests import hostile_strategies as hs
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.roles_world import PEOPLE, World
from tests.test_tickets_webhook import TICKET, TOKEN, URL, serve

DEEP_LIST = "[" * 1400 + "]" * 1400  # fits private_metadata's 3,000 characters, nests past json's ~1,000 levels


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.fixture
async def world(app: Supportbot, bot: SlackDriver, slack: FakeSlack, clock: Clock) -> World:
    return await World(app, bot, slack, clock).build()


# ---------------------------------------------------------------- nested past the parser's depth
@pytest.mark.parametrize("depth", [1000, 100_000])
async def test_a_webhook_body_nested_too_deep_is_refused_not_a_500(depth: int, settings: Settings,
                                                                    clock: Clock) -> None:
    hooked = await serve(settings, clock, TOKEN)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooked.asgi()),
                                     base_url="http://supportbot.test") as client:
            answer = await client.post(URL, content=("[" * depth + "]" * depth).encode(),
                                       headers={"Authorization": f"Bearer {TOKEN}"})
            control = await client.post(URL, json=TICKET, headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        await hooked.close()
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["error"] == "the body nests too deeply to be tickets"
    assert control.status_code == 200 and control.json()["imported"] == 1


@pytest.mark.parametrize(("opener", "who", "form"), [
    (("/supportbot", "setup"), "manager", "supportbot.setup"),
    (("standup_start", "tier1|{day}"), "member", "standup_form"),
])
async def test_form_metadata_nested_too_deep_is_refused_inline(opener: tuple[str, str], who: str, form: str,
                                                               world: World, caplog: pytest.LogCaptureFixture) -> None:
    what, arg = opener
    if what.startswith("/"):
        await world.bot.command(what, arg, user=PEOPLE[who])
    else:
        await world.bot.click(what, user=PEOPLE[who], value=arg.format(day=world.day), channel="C0STAND")
    view = world.last_form()
    assert view["callback_id"] == form
    with caplog.at_level(logging.INFO):
        reply = await world.submit(PEOPLE[who], {**view, "private_metadata": DEEP_LIST})
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    assert errors_logged(caplog) == []


# ---------------------------------------------------------------- user text echoed in a private answer
@pytest.mark.parametrize(("command", "text", "who"), [
    ("/prioritize", "done {initiative} <!channel> shipped", "manager"),
    ("/prioritize", "drop {initiative} <@U0EVIL> said so", "manager"),
    ("/supportbot", "<!channel> <https://evil.example|click>", "member"),
    ("/supportbot", "setup <!here>", "manager"),
])
async def test_typed_text_echoed_back_is_escaped(command: str, text: str, who: str, world: World) -> None:
    reply = await world.bot.command(command, text.format(initiative=world.initiative), user=PEOPLE[who])
    assert reply.status == 200
    assert not hs.LIVE.search(reply.body), reply.body
    assert "&lt;!channel&gt;" in reply.body or "&lt;@U0EVIL&gt;" in reply.body or "&lt;!here&gt;" in reply.body


# ---------------------------------------------------------------- tickets the database cannot store
GOOD = {"id": "T1", "created_at": "2026-11-02T09:00:00Z", "status": "open"}


@pytest.mark.parametrize(("change", "message", "csv"), [
    ({"id": "T\x00"}, "holds a NUL character", True), ({"channel": "e\x00mail"}, "holds a NUL character", True),
    ({"agent_replies": "99999999999999999999"}, "up to 2,147,483,647", True),
    ({"team": "tier1\x00"}, "holds a NUL character", False),  # a CSV row's team must be a known one anyway
    ({"id": "T\ud800"}, "half a surrogate pair", False),  # JSON can say \ud800; a CSV file is read as UTF-8
    ({"reopens": 2**40}, "less than or equal to 2147483647", False),
])
def test_a_ticket_no_column_can_hold_is_refused(change: dict[str, Any], message: str, csv: bool) -> None:
    """The webhook reads tickets with `parse`, the CSV import with `parse_text`."""
    for read in (parse, parse_text) if csv else (parse,):
        with pytest.raises(ValidationError, match=message):
            read({**GOOD, **change})


async def test_a_csv_row_with_a_nul_is_rejected_and_the_rest_loads(world: World, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(",".join(hs.GENERIC) + "\nA\x00,tier1,2026-11-02T09:00:00Z,,,open,,,,,\n"
                      "B,tier1,2026-11-02T09:00:00Z,,,open,,,99999999999,,\nC,tier1,2026-11-02T09:00:00Z,,,open,,,,,\n")
    out, err = io.StringIO(), io.StringIO()
    status = await import_tickets(world.app.services.engine, export, team=None, now=datetime(2026, 11, 3, tzinfo=UTC),
                                  out=out, err=err, terminal=False)
    assert (status, out.getvalue().splitlines()) == (1, ["1 imported, 0 updated, 2 rejected"])
    assert err.getvalue().splitlines() == ["line 2: id: holds a NUL character",
                         "line 3: reopens: expected a whole number up to 2,147,483,647, got '99999999999'"]


# ---------------------------------------------------------------- timezone names that are folders or too long
@pytest.mark.parametrize("name", ["America", "x" * 300])
def test_a_timezone_that_is_no_zone_is_refused_everywhere_it_is_read(name: str) -> None:
    with pytest.raises(ImportRefused, match="unknown timezone"):
        time_zone(name)
    assert column(f"Created at ({name})")[1] is None
    assert Person("U1", "Ann", tz=name).zone("Europe/Paris").key == "Europe/Paris"


async def test_a_setup_form_timezone_longer_than_the_form_allows_is_refused_inline(world: World) -> None:
    await world.bot.command("/supportbot", "setup", user=PEOPLE["manager"])
    reply = await world.submit(PEOPLE["manager"], team_timezone="x" * 300)
    assert reply.errors == {"team_timezone": "Type an IANA timezone name, e.g. America/New_York."}


TEAMS = "teams:\n  - {key: t, name: T, timezone: %s, members: [U0A], managers: [U0B], channels: {escalations: C0E}}\n"


@pytest.mark.parametrize("name", ["America", "x" * 300])
def test_a_teams_file_timezone_that_is_a_folder_or_too_long_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown timezone"):
        parse_teams(TEAMS % name)


async def test_a_setup_form_timezone_that_is_a_folder_is_refused_inline(world: World,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    await world.bot.command("/supportbot", "setup", user=PEOPLE["manager"])
    with caplog.at_level(logging.INFO):
        reply = await world.submit(PEOPLE["manager"], team_timezone="America")
    assert reply.status == 200 and "unknown timezone" in reply.errors["team_timezone"]
    assert errors_logged(caplog) == []
