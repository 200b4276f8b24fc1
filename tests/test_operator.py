"""What an operator meets when something around the bot is wrong: one line that names the setting, says
what is wrong and what to do, and a non-zero exit — never a traceback. Real processes, as in test_cli."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import SIGNING_SECRET, TEAM_YAML, TEST_DATABASE_URL
from tests.kit.fake_slack import FakeSlack
from tests.test_cli import env as env  # the fixture, used by name
from tests.test_cli import free_port, output_of, serving, stop, supportbot, wait_healthy

POSTGRES_HOST = "postgresql://postgres@127.0.0.1:5432"


def _read_only_sqlite(folder: Path) -> str:
    """A SQLite database opened read-only (as root, file modes would not stop the process), one migration
    behind, so that upgrading it has to write."""
    path = folder / "old.db"

    async def make() -> None:
        engine = make_engine(f"sqlite:///{path}")
        try:
            await upgrade(engine, "0001")
        finally:
            await engine.dispose()

    asyncio.run(make())
    return f"sqlite:///file:{path}?mode=ro&uri=true"


BAD_DATABASES = {
    "unknown dialect": ("foo://x", "unknown database kind 'foo'"),
    "nothing listens": ("postgresql://postgres@127.0.0.1:1/x", "connection refused"),
    "unknown host": ("postgresql://postgres@no-such-host.invalid/x", "the host 'no-such-host.invalid' is unknown"),
    "folder cannot be written": ("sqlite:////proc/no-such-folder/x.db", "cannot create or open the SQLite file"),
}
NEEDS_POSTGRES = {
    "missing database": (f"{POSTGRES_HOST}/no_such_database_here", "the database 'no_such_database_here' does not"),
    "unknown user": ("postgresql://no_such_role@127.0.0.1:5432/postgres", "PostgreSQL has no user 'no_such_role'"),
}
COMMANDS = {"run": ["run", "--http"], "db upgrade": ["db", "upgrade"], "config apply": ["config", "apply"]}


def _one_line(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("supportbot: DATABASE_URL"), lines[0]
    for part in expected:
        assert part in lines[0], lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def _run(command: str, url: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    teams = tmp_path / "teams.yml"
    teams.write_text(TEAM_YAML)
    args = [*COMMANDS[command], *([str(teams)] if command == "config apply" else [])]
    return supportbot(*args, env={**env, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-test",
                                  "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": "http://127.0.0.1:9/api/"},
                      cwd=tmp_path, timeout=60)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(BAD_DATABASES))
def test_a_bad_database_setting_is_one_line(case: str, command: str, env: dict[str, str], tmp_path: Path) -> None:
    url, says = BAD_DATABASES[case]
    _one_line(_run(command, url, env, tmp_path), says)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs the PostgreSQL server (TEST_DATABASE_URL)")
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(NEEDS_POSTGRES))
def test_a_wrong_postgresql_is_one_line(case: str, command: str, env: dict[str, str], tmp_path: Path) -> None:
    url, says = NEEDS_POSTGRES[case]
    _one_line(_run(command, url, env, tmp_path), says)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_sqlite_file_is_one_line(command: str, env: dict[str, str], tmp_path: Path) -> None:
    _one_line(_run(command, _read_only_sqlite(tmp_path), env, tmp_path), "is read-only")


def test_db_upgrade_names_the_database_and_its_revision(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("db", "upgrade", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database {env['DATABASE_URL']} is up to date: revision 0024, the latest"


def test_a_password_is_never_printed(env: dict[str, str], tmp_path: Path) -> None:
    done = _run("db upgrade", "postgresql://postgres:s3cret-pw@127.0.0.1:1/x", env, tmp_path)
    _one_line(done, "postgresql://postgres:***@127.0.0.1:1/x")
    assert "s3cret-pw" not in done.stderr


# ---------------------------------------------------------------- the bot token, checked at start-up

@pytest.mark.parametrize("refusal", ["invalid_auth", "account_inactive"])
def test_a_token_slack_refuses_stops_start_up_in_one_line(refusal: str, env: dict[str, str], tmp_path: Path,
                                                          slack: FakeSlack) -> None:
    slack.fail_method("auth.test", refusal)
    done = supportbot("run", "--http", "--port", str(free_port()), "--no-scheduler", cwd=tmp_path, env={
        **env, "SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (f"supportbot: SLACK_BOT_TOKEN was refused by Slack ({refusal}): copy the Bot User OAuth "
                         "Token (xoxb-…) again from the app's OAuth & Permissions page")
    assert "Traceback" not in done.stderr


def test_start_up_says_which_workspace_and_bot_it_runs_as(env: dict[str, str], tmp_path: Path,
                                                          slack: FakeSlack) -> None:
    port = free_port()
    with serving("run", "--http", "--port", str(port), "--no-scheduler", cwd=tmp_path, env={
            **env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url}) as process:
        wait_healthy(process, f"http://127.0.0.1:{port}", tmp_path)
        assert stop(process) == 0
    log = output_of(tmp_path)
    assert "running as @supportbot (U0BOT) in the workspace Fake Team (T0TEAM)" in log
    assert "will be unused" not in log  # Bolt's warning about SLACK_BOT_TOKEN beside our own client
    assert slack.count("auth.test") >= 1


def test_tickets_import_says_when_the_file_is_missing(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("tickets", "import", str(tmp_path / "export.csv"), env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"supportbot: {tmp_path / 'export.csv'}: no such file"


def test_help_shows_the_defaults_of_port_and_host(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("run", "--help", env=env, cwd=tmp_path)
    assert "(default: 3000)" in done.stdout and "(default: 0.0.0.0" in done.stdout


def test_a_sqlite_file_that_cannot_be_opened_is_found_before_connecting(tmp_path: Path) -> None:
    from bot.database_errors import sqlite_file_unusable

    assert sqlite_file_unusable(f"sqlite:///{tmp_path}/new.db") is None
    assert sqlite_file_unusable("sqlite://") is None
    assert sqlite_file_unusable("postgresql://u@h/db") is None
    missing = sqlite_file_unusable(f"sqlite:///{tmp_path}/no-such-folder/x.db")
    assert missing is not None and "check that its folder exists" in str(missing)
    folder = sqlite_file_unusable(f"sqlite:///{tmp_path}")
    assert folder is not None and "cannot open the SQLite file" in str(folder)
