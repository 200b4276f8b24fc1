"""Fixtures shared by every test: a fake Slack, a migrated database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), the real app behind a signing driver, and a configured team."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Supportbot, create_app
from bot.rules.team_config import parse_teams
from bot.settings import Settings
from storage import teams
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.kit.databases import emptying, postgres_admin, scratch_postgres
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

TEAM_YAML = """
teams:
  - key: tier1
    name: Tier 1 Support
    timezone: America/New_York
    members: [U0AGENT1, U0AGENT2]
    managers: [U0MANAGER]
    channels: {escalations: C0ESC, digest: C0DIGEST, standup: C0STANDUP}
    escalation_paths:
      - {key: engineering, name: Engineering, channel: C0ENG}
      - {key: billing, name: Billing, channel: C0BILL}
"""


# ---------------------------------------------------------------- secrets never reach the logs
KNOWN_SECRETS = ("xoxb-test-token", SIGNING_SECRET, "xapp-1-test", "xapp-1-process", "whk-3f9c2a7e5d1b",
                 "zdsecret-6b1f0c9e4a7d", "zdtoken-", "fdkey-2c8e51a9d07b", "ictoken-7d3a90e1b64f",
                 "pdkey0a1b2c3d4e5f60718293a4b5c6d", "pdkeybilling0123456789abcdef0123", "ogkey-5e8a1c2f")
"""The tests' bot and app tokens, signing secret and webhook token (tests/test_tickets_webhook.py), and the fake
Zendesk's OAuth client secret and access tokens (tests/kit/fake_zendesk.py), the fake Freshdesk's API key and the
fake Intercom's access token (tests/kit/fake_freshdesk.py, tests/kit/fake_intercom.py), and the paging fakes'
routing and API keys (tests/test_paging.py)."""
TOKEN_SHAPED = re.compile(r"\bx(?:ox[abpeor]|app)-[0-9A-Za-z][0-9A-Za-z-]{2,}")
SCANNED_AT_DEBUG = ("bot", "handlers", "storage", "slack_bolt", "slack_sdk", "slack_sdk.web.async_base_client",
                    "apscheduler", "uvicorn", "starlette")


class SecretsInLogs(logging.Handler):
    """Every formatted log record of the session (exception text included), checked for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.leaks: list[str] = []
        self.seen = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted says nothing
            return
        self.seen += 1
        if any(secret in line for secret in KNOWN_SECRETS) or TOKEN_SHAPED.search(line):
            self.leaks.append(line[:500])


@pytest.fixture(scope="session", autouse=True)
def secret_scan() -> Iterator[SecretsInLogs]:
    """Fails the session when any log record held a secret; the app and Slack libraries log at DEBUG meanwhile."""
    handler, root = SecretsInLogs(), logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in SCANNED_AT_DEBUG}
    root.addHandler(handler)
    for name in SCANNED_AT_DEBUG:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    if handler.leaks:
        pytest.fail(f"{len(handler.leaks)} log records held a secret, e.g.:\n" + "\n".join(handler.leaks[:5]),
                    pytrace=False)


# ---------------------------------------------------------------- the slow tests, skipped by the default run
SLOW = {  # each over ~10 s on two cores (pytest --durations, SQLite, two workers); another test covers its feature
    "tests/test_crash_fanout.py::test_every_team_gets_one_digest_after_a_kill_mid_fan_out":
        "32 s; the stand-up one stays",
    "tests/test_slack_outage.py::test_a_minute_of_500s_delays_everything_due_and_loses_and_doubles_nothing": "17 s",
    "tests/test_slack_outage.py::test_a_unit_slack_keeps_refusing_is_parked_listed_retried_once_and_kept_by_housekeeping":
        "20 s; test_a_permanent_refusal_parks_at_once_and_its_retry_sends_what_waited_behind_it stays",
    "tests/test_socket_mode_supervised.py::test_while_slack_is_unreachable_it_backs_off_and_stops_on_a_signal[2]":
        "14 s; the SIGTERM one stays",
    "tests/test_hostile_properties.py::test_view_submission_state": "10 s of hypothesis examples",
    "tests/test_replicas.py::test_two_replicas_send_everything_of_a_week_exactly_once_and_on_time":
        "a simulated week of two processes on PostgreSQL",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks SLOW's tests `slow`; a name there that is no longer a test of its file stops the run."""
    modules = {item.nodeid.split("::")[0]: item.module for item in items if isinstance(item, pytest.Function)}
    for nodeid in SLOW:
        path, name = nodeid.split("::")
        if path in modules and not hasattr(modules[path], name.split("[")[0]):
            raise pytest.UsageError(f"tests/conftest.py SLOW names {nodeid}, which is no longer a test")
    for item in items:
        if item.nodeid in SLOW or item.nodeid.split("[")[0] in SLOW:
            item.add_marker(pytest.mark.slow)


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL (TEST_DATABASE_URL)' if TEST_DATABASE_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def slack(fake_slack: FakeSlack) -> Iterator[FakeSlack]:
    fake_slack.reset()
    fake_slack.clear_failures()
    yield fake_slack
    fake_slack.reset()
    fake_slack.clear_failures()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per session (each xdist worker has its own: under half a second on SQLite, a second on
    PostgreSQL): a SQLite file to copy, or a fresh PostgreSQL database named after the worker."""
    if TEST_DATABASE_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with scratch_postgres(TEST_DATABASE_URL, f"supportbot_test_{worker}") as url:
            asyncio.run(_migrate(url))
            yield url
        return
    path = tmp_path_factory.mktemp("template") / "supportbot.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    yield str(path)


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


EMPTY_ALL = emptying([table.name for table in reversed(Base.metadata.sorted_tables)])


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if TEST_DATABASE_URL:
        asyncio.run(postgres_admin(database_template, EMPTY_ALL))
        return database_template
    path = tmp_path / "supportbot.db"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=database_url,
        _env_file=None,
    )


class Clock:
    """The app's clock in tests: it reads `now` and moves only when a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Monday 2 November 2026, 09:00 in New York (14:00 UTC)."""
    return Clock(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))


@pytest.fixture
def home_refresh_after() -> float:
    """App Home refreshes wait past any test's end (and are dropped at close); tests/test_app_home.py, which
    checks them, waits a moment instead."""
    return 3600.0


@pytest.fixture
async def app(settings: Settings, clock: Clock, home_refresh_after: float) -> AsyncIterator[Supportbot]:
    built = create_app(settings, clock=clock, directory_check_every=0,  # tests change teams between requests
                       home_refresh_after=home_refresh_after)
    yield built
    await built.close()


@pytest.fixture
async def bot(app: Supportbot, slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    driver = SlackDriver(app, SIGNING_SECRET, response_url=slack.response_url)
    yield driver
    await driver.close()


@dataclass(frozen=True)
class TeamPeople:
    key: str = "tier1"
    agent: str = "U0AGENT1"
    teammate: str = "U0AGENT2"
    manager: str = "U0MANAGER"
    outsider: str = "U0OUTSIDER"
    escalations_channel: str = "C0ESC"
    paths: tuple[tuple[str, str], ...] = (("engineering", "C0ENG"), ("billing", "C0BILL"))

    def path_channel(self, key: str) -> str:
        return dict(self.paths)[key]


@pytest.fixture
async def team(app: Supportbot, slack: FakeSlack) -> TeamPeople:
    """Tier 1 Support, as the README's example configuration defines it; Slack knows its people."""
    people = TeamPeople()
    for person in (people.agent, people.teammate, people.manager):
        slack.add_user(person)
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(TEAM_YAML), now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
        await session.commit()
    return people
