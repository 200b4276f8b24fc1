"""The teams YAML: validation messages name the path; apply/show round-trips; applying is idempotent."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Supportbot
from bot.rules.directory import Directory, TeamProfile
from bot.rules.team_config import ConfigError, parse_teams, render_teams
from storage import directory, teams
from storage.models import TeamMember
from tests.conftest import TEAM_YAML

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("change", "expected"), [
    (("\"09:30\"", "\"9:3\""), "teams[0].standup.time: expected HH:MM"),
    (("timezone: America/New_York", "timezone: Mars/Olympus"), "teams[0].timezone: unknown timezone"),
    (("members: [U0AGENT1", "members: [agent1"), "teams[0].members[0]: expected a Slack user ID"),
    (("key: engineering, name", "key: billing, name"), "escalation path key 'billing' is used twice"),
    (("min_responses: 5", "min_responses: 2"), "teams[0].pulse.min_responses: must be at least 3"),
    (("digest: {time", "digests: {time"), "teams[0].digests: unknown key"),
    (("channels: {escalations: C0ESC", "channels: {escalations: general"), "teams[0].channels.escalations"),
])
def test_a_bad_value_is_reported_with_its_path(change: tuple[str, str], expected: str) -> None:
    text = FULL_YAML.replace(*change)
    assert text != FULL_YAML, "the change must apply to the example"
    with pytest.raises(ConfigError) as raised:
        parse_teams(text)
    assert any(problem.startswith(expected) or expected in problem for problem in raised.value.problems), \
        raised.value.problems


def test_missing_required_fields_and_broken_yaml_are_named() -> None:
    with pytest.raises(ConfigError) as missing:
        parse_teams("teams:\n  - key: tier1\n")
    assert missing.value.problems == ["teams[0].name: required",  # a team's people must be written, even as []
                                      "teams[0].members: required (write `members: []` for none)",
                                      "teams[0].managers: required (write `managers: []` for none)"]
    with pytest.raises(ConfigError) as broken:
        parse_teams("teams: [\n")
    assert broken.value.problems[0].startswith("line ")
    with pytest.raises(ConfigError) as empty:
        parse_teams("")
    assert "teams" in empty.value.problems[0]


def test_the_design_example_is_valid() -> None:
    parsed = parse_teams(FULL_YAML)
    team = parsed.teams[0]
    assert team.standup.time == "09:30" and team.pulse.min_responses == 5
    assert [p.key for p in team.escalation_paths] == ["engineering", "billing"]
    assert parse_teams(render_teams(parsed.teams)) == parsed


async def test_applying_twice_changes_nothing_and_show_round_trips(app: Supportbot) -> None:
    config = parse_teams(FULL_YAML)
    async with app.services.db() as session:
        first = await teams.apply(session, config, now=NOW)
        second = await teams.apply(session, config, now=NOW)
        stored = await teams.effective(session)
    assert (first.created, second.created, second.updated, second.unchanged) == (["tier1"], [], [], ["tier1"])
    shown = render_teams(stored)
    assert parse_teams(shown) == config


async def test_removing_a_member_deactivates_without_losing_history(app: Supportbot) -> None:
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(FULL_YAML), now=NOW)
        report = await teams.apply(session, parse_teams(FULL_YAML.replace("U0AGENT1, ", "")), now=NOW)
        rows = await session.scalars(select(TeamMember).where(TeamMember.user_id == "U0AGENT1"))
        memberships = {(m.user_id, m.role): m.active for m in rows}
        assert memberships[("U0AGENT1", "member")] is False  # kept, inactive
        assert _team(await directory.load(session)).belongs("U0AGENT1") is False
        assert report.deactivated == ["tier1:U0AGENT1 (member)"]
        back = await teams.apply(session, parse_teams(FULL_YAML), now=NOW)
        assert back.updated == ["tier1"]
        assert _team(await directory.load(session)).belongs("U0AGENT1") is True


def _team(found: Directory) -> TeamProfile:
    team = found.find("tier1")
    assert team is not None
    return team


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_config_apply_and_show_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    good = tmp_path / "teams.yml"
    good.write_text(FULL_YAML)
    applied = _cli("config", "apply", str(good), env=env)
    assert applied.returncode == 0, applied.stderr
    assert "1 created" in applied.stdout
    again = _cli("config", "apply", str(good), env=env)
    assert "1 unchanged" in again.stdout
    shown = _cli("config", "show", env=env)
    assert parse_teams(shown.stdout) == parse_teams(FULL_YAML)

    bad = tmp_path / "bad.yml"
    bad.write_text(FULL_YAML.replace('"09:30"', '"9:3"'))
    refused = _cli("config", "apply", str(bad), env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "supportbot: teams[0].standup.time: expected HH:MM"
    missing = _cli("config", "apply", str(tmp_path / "nope.yml"), env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


FULL_YAML = TEAM_YAML + """\
    standup: {time: "09:30", days: [mon, tue, wed, thu, fri], reminder_minutes: 60, window_hours: 4}
    pulse: {day: fri, time: "14:00", close_after_hours: 72, min_responses: 5}
    digest: {time: "09:00"}
    kpi_targets: {first_response_minutes: 60, resolution_hours: 24, csat_percent: 90, fcr_percent: 70}
"""
