"""`supportbot` as an operator meets it: real processes (the console script and `python -m bot`),
real ports, clear one-line errors, a clean exit on SIGTERM. And the manifest matches what the app serves."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jsonschema
import pytest
import yaml
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from handlers import all_commands, all_jobs
from storage.db import make_engine
from storage.migrate import alembic_config
from tests.conftest import SIGNING_SECRET, TEAM_YAML, TEST_DATABASE_URL
from tests.kit.block_limits import facts_dir
from tests.kit.databases import scratch_postgres
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.kit.signing import signed_headers

REPO = Path(__file__).resolve().parents[1]
SUPPORTBOT = str(Path(sys.executable).parent / "supportbot")
ENTRY_POINTS = {"console script": [SUPPORTBOT], "python -m bot": [sys.executable, "-m", "bot"]}
OUR_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
                 "SUPPORTBOT_CONFIG", "SUPPORTBOT_WEBHOOK_TOKEN", "LOG_LEVEL", "SUPPORTBOT_CLOCK_FILE",
                 "SUPPORTBOT_TICK_SECONDS", "PAGERDUTY_EVENTS_URL", "OPSGENIE_API_URL", "OPSGENIE_API_KEY")
STARTUP_SECONDS = 40  # a bound, not a wait: a loaded two-core machine takes 10-15 s to import and migrate


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The parent's environment with none of our variables but a database of the test's own."""
    clean = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    return {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'supportbot.db'}"}


def supportbot(*args: str, env: dict[str, str], cwd: Path, entry: str = "console script",
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run one command to completion (cwd is the test's folder: no stray .env is read)."""
    return subprocess.run([*ENTRY_POINTS[entry], *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(*args: str, env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`supportbot run …` in the background; killed if the test did not stop it."""
    log = (cwd / "supportbot.log").open("wb")
    process = subprocess.Popen([SUPPORTBOT, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


def output_of(cwd: Path) -> str:
    return (cwd / "supportbot.log").read_text("utf-8", errors="replace")


def wait_healthy(process: subprocess.Popen[bytes], url: str, cwd: Path) -> httpx.Response:
    """Poll GET /healthz until it answers 200, for at most STARTUP_SECONDS."""
    deadline = time.monotonic() + STARTUP_SECONDS
    last: object = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"supportbot exited with {process.returncode} while starting:\n{output_of(cwd)}")
        try:
            response = httpx.get(f"{url}/healthz", timeout=2)
        except httpx.TransportError as error:
            last = error
        else:
            if response.status_code == 200:
                return response
            last = response
        time.sleep(0.1)
    pytest.fail(f"/healthz did not answer 200 within {STARTUP_SECONDS}s (last: {last!r}):\n{output_of(cwd)}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=25)


def table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                found = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
                if "alembic_version" in found:
                    revision = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
                    found.add(f"revision:{revision}")
                return found
        finally:
            await engine.dispose()

    return asyncio.run(names())


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


# ---------------------------------------------------------------- start-up errors
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_run_without_a_bot_token_says_so_in_one_line(entry: str, env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("run", env=env, cwd=tmp_path, entry=entry)

    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("supportbot: SLACK_BOT_TOKEN is not set")
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "supportbot.db").exists()  # stopped before touching anything


@pytest.mark.parametrize(("args", "extra"), [
    (["run", "--http"], {}),
    (["run"], {}),  # no app token: HTTP mode is the only way to serve
    (["run", "--http"], {"SLACK_APP_TOKEN": "xapp-1-test"}),
])  # fmt: skip
def test_http_mode_without_a_signing_secret_names_it(
    args: list[str], extra: dict[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    done = supportbot(*args, env={**env, "SLACK_BOT_TOKEN": "xoxb-test", **extra}, cwd=tmp_path)

    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("supportbot: SLACK_SIGNING_SECRET")
    assert "Traceback" not in done.stderr


def test_a_malformed_variable_is_named(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("run", env={**env, "SLACK_BOT_TOKEN": "xoxp-a-user-token"}, cwd=tmp_path)

    assert done.returncode != 0
    assert done.stderr.startswith("supportbot: SLACK_BOT_TOKEN is malformed")
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- db upgrade
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_db_upgrade_creates_the_schema_on_a_fresh_sqlite_file(entry: str, env: dict[str, str],
                                                              tmp_path: Path) -> None:
    url = env["DATABASE_URL"]
    first = supportbot("db", "upgrade", env=env, cwd=tmp_path, entry=entry)
    second = supportbot("db", "upgrade", env=env, cwd=tmp_path, entry=entry)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr  # a second run is a no-op
    assert "up to date" in first.stdout
    assert {"teams", "team_members", "escalation_paths", "claims", f"revision:{HEAD}"} <= table_names(url)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL runs when TEST_DATABASE_URL is set")
def test_db_upgrade_creates_the_schema_on_a_fresh_postgresql_database(env: dict[str, str], tmp_path: Path) -> None:
    assert TEST_DATABASE_URL
    with scratch_postgres(TEST_DATABASE_URL, "supportbot_cli") as url:
        assert table_names(url) == set()
        done = supportbot("db", "upgrade", env={**env, "DATABASE_URL": url}, cwd=tmp_path)

        assert done.returncode == 0, done.stderr
        assert {"teams", "team_members", "escalation_paths", "claims", f"revision:{HEAD}"} <= table_names(url)


# ---------------------------------------------------------------- jobs
def test_jobs_list_prints_one_registered_job_a_line_name_first(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("jobs", "list", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    registered = [job.name for job in all_jobs()]
    listed = [line.split()[0] for line in done.stdout.splitlines()]
    assert all(line.strip() for line in done.stdout.splitlines())
    assert listed == registered


def test_jobs_run_of_an_unknown_job_exits_2_naming_the_known_ones(env: dict[str, str], tmp_path: Path) -> None:
    done = supportbot("jobs", "run", "nosuchjob", env=env, cwd=tmp_path)

    assert done.returncode == 2
    assert "nosuchjob" in done.stderr
    assert "known jobs" in done.stderr
    assert all(job.name in done.stderr for job in all_jobs())
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- serving HTTP
def help_command_form() -> str:
    return urlencode({
        "token": "verification-token", "team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0HERE",
        "channel_name": "support", "user_id": "U0AGENT1", "user_name": "agent", "command": "/supportbot",
        "text": "help", "api_app_id": "A0APP", "response_url": "https://hooks.slack.com/commands/T0TEAM/1/x",
        "trigger_id": "1.1111.abcdef",
    })  # fmt: skip


def test_run_http_serves_slack_and_health_and_stops_cleanly_on_sigterm(
    env: dict[str, str], tmp_path: Path, slack: FakeSlack, database_url: str
) -> None:
    """On the test database: PostgreSQL too when TEST_DATABASE_URL is set."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack.api_url, "DATABASE_URL": database_url}
    with serving("run", "--http", "--port", str(port), env=env, cwd=tmp_path) as process:
        health = wait_healthy(process, url, tmp_path)
        assert health.json()["database"] == "reachable"

        body = help_command_form()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        unsigned = httpx.post(f"{url}/slack/events", content=body, headers=form, timeout=10)
        signed = httpx.post(f"{url}/slack/events", content=body, headers=signed_headers(SIGNING_SECRET, body),
                            timeout=10)

        assert unsigned.status_code == 401
        assert unsigned.json() == {"error": "invalid request"}
        assert signed.status_code == 200, signed.text
        assert "/escalate" in signed.text
        assert slack.last("auth.test").token == "xoxb-http"  # the process talks to SLACK_API_URL

        code = stop(process)
    assert code == 0, output_of(tmp_path)
    assert "Traceback" not in output_of(tmp_path)
    assert "scheduler running: escalation-timers, escalation-review" in output_of(tmp_path)


def test_sigterm_lets_a_request_in_flight_finish(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    """A deploy must not cut off an agent mid-escalation: Slack is slow to open the form, SIGTERM
    arrives meanwhile, and the agent still gets the form and the bot still exits 0."""
    teams_file = tmp_path / "teams.yml"
    teams_file.write_text(TEAM_YAML, encoding="utf-8")
    port = free_port()
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack.api_url, "SUPPORTBOT_CONFIG": str(teams_file)}
    body = help_command_form().replace("%2Fsupportbot", "%2Fescalate").replace("text=help", "text=Checkout+fails")
    slack.delay_next("views.open", 2.0)
    with serving("run", "--http", "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path) as process:
        wait_healthy(process, f"http://127.0.0.1:{port}", tmp_path)
        with ThreadPoolExecutor(max_workers=1) as pool:
            reply = pool.submit(httpx.post, f"http://127.0.0.1:{port}/slack/events", content=body,
                                headers=signed_headers(SIGNING_SECRET, body), timeout=20)
            slack.wait_arrived("views.open", timeout=10)  # the listener is waiting for Slack
            code = stop(process)
            answered = reply.result(timeout=20)
    assert answered.status_code == 200, answered.text
    assert slack.last("views.open").ok  # the form was opened after SIGTERM arrived
    assert code == 0, output_of(tmp_path)


def test_supportbot_config_is_applied_at_start_up(env: dict[str, str], tmp_path: Path, slack: FakeSlack) -> None:
    teams_file = tmp_path / "teams.yml"
    teams_file.write_text(TEAM_YAML, encoding="utf-8")
    port = free_port()
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack.api_url}
    with serving("run", "--http", "--no-scheduler", "--port", str(port),
                 env={**env, "SUPPORTBOT_CONFIG": str(teams_file)}, cwd=tmp_path) as process:
        wait_healthy(process, f"http://127.0.0.1:{port}", tmp_path)
        assert stop(process) == 0, output_of(tmp_path)

    shown = supportbot("config", "show", env=env, cwd=tmp_path)

    assert shown.returncode == 0, shown.stderr
    [tier1] = yaml.safe_load(shown.stdout)["teams"]
    assert (tier1["key"], tier1["name"], tier1["timezone"]) == ("tier1", "Tier 1 Support", "America/New_York")
    assert tier1["members"] == ["U0AGENT1", "U0AGENT2"]
    assert tier1["managers"] == ["U0MANAGER"]
    assert [path["key"] for path in tier1["escalation_paths"]] == ["engineering", "billing"]


def test_a_bad_supportbot_config_stops_start_up_naming_the_path(env: dict[str, str], tmp_path: Path) -> None:
    teams_file = tmp_path / "teams.yml"
    teams_file.write_text(TEAM_YAML.replace("America/New_York", "Mars/Olympus_Mons"), encoding="utf-8")
    done = supportbot("run", "--http", "--port", str(free_port()),
                      env={**env, "SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                           "SUPPORTBOT_CONFIG": str(teams_file)}, cwd=tmp_path)

    assert done.returncode != 0
    assert "teams[0].timezone" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- .env.example
def example_variables() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text("utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_env_example_lists_every_setting_each_with_a_comment() -> None:
    from bot.settings import Settings

    lines = (REPO / ".env.example").read_text("utf-8").splitlines()
    documented = {field.alias for field in Settings.model_fields.values()}

    assert list(example_variables()) == list(OUR_VARIABLES)
    assert set(OUR_VARIABLES) == documented
    for name in OUR_VARIABLES:
        above = lines[lines.index(next(line for line in lines if line.startswith(f"{name}="))) - 1]
        assert above.startswith("# "), f"{name} has no comment above it"


def test_env_example_copied_to_dot_env_starts_the_bot_in_http_mode(env: dict[str, str], tmp_path: Path,
                                                                   slack: FakeSlack) -> None:
    """Blank optional values mean "unset": an empty SUPPORTBOT_CONFIG= is no file to read."""
    example = (REPO / ".env.example").read_text("utf-8")
    example = example.replace("SLACK_SIGNING_SECRET=\n", f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\n")
    example = example.replace("SLACK_API_URL=https://slack.com/api/", f"SLACK_API_URL={slack.api_url}")
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    port = free_port()
    del env["DATABASE_URL"]  # the example's own sqlite:///supportbot.db, relative to the working directory

    with serving("run", "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path) as process:
        wait_healthy(process, f"http://127.0.0.1:{port}", tmp_path)
        assert stop(process) == 0, output_of(tmp_path)

    assert (tmp_path / "supportbot.db").exists()
    assert "scheduler running" not in output_of(tmp_path)  # --no-scheduler serves Slack only


# ---------------------------------------------------------------- the manifest
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text("utf-8"))
    return loaded


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads((facts_dir() / "manifest.schema.json").read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)

    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest())]

    assert errors == []


def test_manifest_declares_exactly_the_commands_the_app_registers() -> None:
    declared = [command["command"] for command in manifest()["features"]["slash_commands"]]

    assert len(declared) == len(set(declared))
    assert set(declared) == set(all_commands())


@pytest.mark.parametrize("command", [c["command"] for c in manifest()["features"]["slash_commands"]])
async def test_every_declared_command_answers_help(command: str, bot: SlackDriver) -> None:
    reply = await bot.command(command, "help", user="U0AGENT1")

    assert reply.status == 200, reply.body
    assert reply.text.strip()
    assert "I don't know" not in reply.text
