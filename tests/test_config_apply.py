"""`supportbot config apply FILE [--dry-run] [--yes]` and `SUPPORTBOT_CONFIG` at start-up: a key left out never
deactivates anyone, an emptied list needs --yes, a dry run changes nothing, and a start with the same file keeps
what managers changed in Slack (a changed file says, per team, what it overwrites)."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import Supportbot
from bot.cli import main
from bot.config_file import apply_at_start
from bot.rules.team_config import ConfigError, TeamsFile, parse_teams
from handlers.standups import ids
from storage import teams
from storage.db import make_engine, session_factory
from tests.conftest import SIGNING_SECRET, TEAM_YAML, Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.kit.races import both_first
from tests.standup_steps import BERLIN, MANAGER, NY, TOKYO, standup_yaml


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Any:
    """`supportbot ARGS…` in this process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("SUPPORTBOT_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_a_left_out_or_repeated_key_changes_nothing(cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "teams.yml"
    file.write_text(TEAM_YAML)
    assert cli("config", "apply", str(file))[0] == 0
    shown = cli("config", "show")[1]

    file.write_text(TEAM_YAML.replace("    members: [U0AGENT1, U0AGENT2]\n", ""))
    code, out, err = cli("config", "apply", str(file))
    assert (code, out) == (2, "")
    assert err.startswith("supportbot: teams[0].members: required")

    file.write_text(TEAM_YAML.replace("    managers: [U0MANAGER]\n", "    managers: [U0MANAGER]\n    members: []\n"))
    code, out, err = cli("config", "apply", str(file))
    assert (code, out) == (2, "")
    assert "line 8: key 'members' appears twice (first on line 6)" in err
    assert cli("config", "show")[1] == shown


def test_an_emptied_list_needs_yes_and_a_dry_run_changes_nothing(cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "teams.yml"
    file.write_text(TEAM_YAML)
    cli("config", "apply", str(file))
    shown = cli("config", "show")[1]

    file.write_text(TEAM_YAML.replace("members: [U0AGENT1, U0AGENT2]", "members: []") +
                    '    standup: {time: "10:00"}\n')
    code, out, err = cli("config", "apply", str(file))
    assert (code, out) == (2, "")
    assert "teams[0].members: the empty list deactivates 2 (U0AGENT1, U0AGENT2)" in err and "--yes" in err
    assert cli("config", "show")[1] == shown

    code, out, err = cli("config", "apply", str(file), "--dry-run")
    assert code == 0, err
    assert out.splitlines() == [
        'team tier1: standup.time: "09:30" -> "10:00"',
        "membership deactivated tier1:U0AGENT1 (member)",
        "membership deactivated tier1:U0AGENT2 (member)",
        "dry run: nothing was changed; applying it needs --yes: teams[0].members: the empty list deactivates 2 "
        "(U0AGENT1, U0AGENT2)"]
    assert cli("config", "show")[1] == shown

    code, out, err = cli("config", "apply", str(file), "--yes")
    assert code == 0, err
    assert out.splitlines()[-1] == "teams: 0 created, 1 updated, 0 unchanged, 2 memberships deactivated"
    [tier1] = yaml.safe_load(cli("config", "show")[1])["teams"]
    assert (tier1["members"], tier1["managers"], tier1["standup"]["time"]) == ([], ["U0MANAGER"], "10:00")


def test_a_new_team_with_nobody_is_refused(cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "teams.yml"
    file.write_text("teams:\n  - {key: empty, name: Nobody, members: [], managers: []}\n")
    code, out, err = cli("config", "apply", str(file), "--yes")
    assert (code, out) == (2, "")
    assert "teams[0]: a new team needs at least one member or manager" in err
    assert yaml.safe_load(cli("config", "show")[1]) == {"teams": []}


def test_the_help_names_the_file_and_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["config", "apply", "--help"])
    shown = capsys.readouterr().out
    assert "FILE" in shown and "--dry-run" in shown and "--yes" in shown


# ---------------------------------------------------------------- SUPPORTBOT_CONFIG at start-up
async def save_standup_time(bot: SlackDriver, slack: FakeSlack, time: str) -> None:
    """What a manager does in Slack: `/standup setup`, a new time, Save."""
    await bot.command("/standup", "setup", user=MANAGER)
    form = slack.last("views.open").view
    assert form is not None
    saved = await bot.submit(form, user=MANAGER, **{ids.SETUP_TIME: time})
    assert "response_action" not in saved.body, saved.body


async def standup(app: Supportbot) -> Any:
    found = (await app.services.directory.current()).find("global")
    assert found is not None
    return found.config.standup


def overwrite_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "overwrites" in r.getMessage()]


async def test_a_setup_made_in_slack_survives_a_restart_with_the_same_file(
        app: Supportbot, bot: SlackDriver, slack: FakeSlack, clock: Clock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    for user in (NY, BERLIN, TOKYO, MANAGER):
        slack.add_user(user)
    path, text = tmp_path / "teams.yml", standup_yaml()
    caplog.set_level(logging.INFO, logger="supportbot")
    await apply_at_start(app.services.engine, path, text, now=clock.now)  # the first start
    await save_standup_time(bot, slack, "10:15")

    await apply_at_start(app.services.engine, path, text, now=clock.now)  # a restart, the same file
    assert (await standup(app)).time == "10:15"
    assert any("is unchanged since it was applied" in r.getMessage() for r in caplog.records)
    assert overwrite_lines(caplog) == []

    changed = text.replace("window_hours: 4", "window_hours: 6")  # the file changes something else
    await apply_at_start(app.services.engine, path, changed, now=clock.now)
    assert ((await standup(app)).time, (await standup(app)).window_hours) == ("09:30", 6)
    [line] = overwrite_lines(caplog)
    assert "team global" in line and 'standup.time: "10:15" -> "09:30"' in line
    assert "window_hours" not in line  # the file's own change overwrites nothing made in Slack


async def test_a_changed_file_with_nothing_changed_in_slack_warns_of_nothing(
        app: Supportbot, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, text = tmp_path / "teams.yml", standup_yaml()
    await apply_at_start(app.services.engine, path, text, now=clock.now)
    await apply_at_start(app.services.engine, path, text.replace('"09:30"', '"08:00"'), now=clock.now)
    assert (await standup(app)).time == "08:00"
    assert overwrite_lines(caplog) == []
    async with app.services.db() as session:
        last = await teams.last_applied(session)
    assert last is not None and last.sha256 == teams.digest(text.replace('"09:30"', '"08:00"'))


async def test_a_changed_file_that_empties_a_list_is_not_applied_at_start(
        app: Supportbot, clock: Clock, tmp_path: Path) -> None:
    path, text = tmp_path / "teams.yml", standup_yaml()
    await apply_at_start(app.services.engine, path, text, now=clock.now)
    emptied = text.replace(f"managers: [{MANAGER}]", "managers: []")
    with pytest.raises(ConfigError) as refused:
        await apply_at_start(app.services.engine, path, emptied, now=clock.now)
    assert "teams[0].managers: the empty list deactivates 1 (U0LEAD)" in str(refused.value)
    assert "--yes" in str(refused.value)
    found = (await app.services.directory.current()).find("global")
    assert found is not None and found.config.managers == [MANAGER]
    async with app.services.db() as session:
        last = await teams.last_applied(session)
    assert last is not None and last.content == text
    assert parse_teams(text).teams[0].managers == [MANAGER]


def test_supportbot_run_keeps_a_slack_change_when_the_file_is_the_same(tmp_path: Path, slack: FakeSlack,
                                                                       database_url: str) -> None:
    """The real start-up path: `supportbot run` twice with the same SUPPORTBOT_CONFIG, a setup saved in between
    (the storage call the setup forms make)."""
    from tests.test_cli import OUR_VARIABLES, free_port, output_of, serving, stop, supportbot, wait_healthy

    teams_file = tmp_path / "teams.yml"
    teams_file.write_text(TEAM_YAML, encoding="utf-8")
    url = database_url
    env = {**{k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}, "DATABASE_URL": url,
           "SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
           "SUPPORTBOT_CONFIG": str(teams_file)}

    def start_and_stop() -> None:
        port = free_port()
        with serving("run", "--http", "--no-scheduler", "--port", str(port), env=env, cwd=tmp_path) as process:
            wait_healthy(process, f"http://127.0.0.1:{port}", tmp_path)
            assert stop(process) == 0, output_of(tmp_path)

    start_and_stop()
    asyncio.run(_save_in_slack(url, name="Tier 1 Care"))
    start_and_stop()
    [tier1] = yaml.safe_load(supportbot("config", "show", env=env, cwd=tmp_path).stdout)["teams"]
    assert tier1["name"] == "Tier 1 Care"
    assert "is unchanged since it was applied" in output_of(tmp_path)


async def _save_in_slack(url: str, *, name: str) -> None:
    engine = make_engine(url)
    try:
        async with session_factory(engine)() as session:
            [stored] = await teams.effective(session)
            await teams.apply(session, TeamsFile(teams=[stored.model_copy(update={"name": name})]),
                              now=datetime(2026, 12, 1, tzinfo=UTC))
            await session.commit()
    finally:
        await engine.dispose()


async def test_two_replicas_starting_with_a_new_file_apply_it_once_and_both_start(
        app: Supportbot, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Both read "no such team" before either inserts it: the loser's insert fails on the team's key, and it
    looks again instead of stopping the start-up."""
    path, text = tmp_path / "teams.yml", standup_yaml()
    caplog.set_level(logging.INFO, logger="supportbot")
    async with both_first(app, "teams"):
        await asyncio.gather(*(apply_at_start(app.services.engine, path, text, now=clock.now) for _ in range(2)))
    async with app.services.db() as session:
        configured = await teams.effective(session)
        last = await teams.last_applied(session)
    assert [team.key for team in configured] == ["global"]
    assert last is not None and last.sha256 == teams.digest(text)
    assert any("another replica applied" in r.getMessage() for r in caplog.records)
