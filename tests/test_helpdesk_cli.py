"""`supportbot helpdesk check`, `supportbot helpdesk sync [--since]`, `config show` and `jobs list` with a
`helpdesks:` configuration, run as an operator runs them, against FakeZendesk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.kit.fake_zendesk import CLIENT_ID, CLIENT_SECRET, FakeZendesk
from tests.test_cli import env, supportbot  # noqa: F401 - `env` is a fixture

YAML = """
helpdesks:
  - key: zendesk
    kind: zendesk
    url: {url}
    client_id: {client_id}
    client_secret_file: {secret_file}
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: zendesk, match: {{group: "Tier 1"}}}}
"""


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    with FakeZendesk() as server:
        server.add_group(11, "Tier 1")
        server.add_group(13, "Tier 3")
        yield server


def test_check_then_a_backfill_then_config_show_without_the_secret(zendesk: FakeZendesk, env: dict[str, str],  # noqa: F811
                                                                   tmp_path: Path) -> None:
    secret = tmp_path / "zendesk-secret"
    secret.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    config = tmp_path / "teams.yaml"
    config.write_text(YAML.format(url=zendesk.url, client_id=CLIENT_ID, secret_file=secret), encoding="utf-8")
    applied = supportbot("config", "apply", str(config), env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "helpdesk zendesk: added" in applied.stdout

    checked = supportbot("helpdesk", "check", env=env, cwd=tmp_path)
    assert (checked.returncode, checked.stdout) == (1, "zendesk: credentials OK; group 'Tier 3' matches no team\n")

    for number in range(1, 8):
        zendesk.put(number, created=datetime(2026, 9, 2, tzinfo=UTC), group_id=11 if number < 7 else 13)
    synced = supportbot("helpdesk", "sync", "--since", "2026-09-01", env=env, cwd=tmp_path)
    assert synced.returncode == 1, synced.stderr  # a ticket matched no team
    assert synced.stdout == ("zendesk: 6 tickets synced (6 new, 0 updated); 1 matched no team: "
                             "group=Tier 3 (1)\n")
    assert zendesk.calls("/api/v2/incremental/tickets/cursor.json")[0].query["start_time"] == str(
        int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()))

    shown = supportbot("config", "show", env=env, cwd=tmp_path)
    assert f"client_secret_file: {secret}" in shown.stdout and CLIENT_SECRET not in shown.stdout
    listed = supportbot("jobs", "list", env=env, cwd=tmp_path)
    assert any(line.startswith("helpdesk-sync\t") for line in listed.stdout.splitlines())
    for output in (applied, checked, synced, shown, listed):
        assert CLIENT_SECRET not in output.stdout + output.stderr and "zdtoken-" not in output.stdout + output.stderr


def test_no_helpdesk_configured_says_how_to_add_one(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    done = supportbot("helpdesk", "check", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "add a `helpdesks:` list to the teams YAML" in done.stderr


def test_a_backfill_not_on_a_terminal_says_its_progress_in_plain_lines(
        zendesk: FakeZendesk, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    secret = tmp_path / "zendesk-secret"
    secret.write_text(CLIENT_SECRET, encoding="utf-8")
    config = tmp_path / "teams.yaml"
    config.write_text(YAML.format(url=zendesk.url, client_id=CLIENT_ID, secret_file=secret), encoding="utf-8")
    assert supportbot("config", "apply", str(config), env=env, cwd=tmp_path).returncode == 0
    zendesk.page_size = 500
    for number in range(1, 2501):
        zendesk.put(number, created=datetime(2026, 9, 2, tzinfo=UTC), group_id=11)

    synced = supportbot("helpdesk", "sync", "--since", "2026-09-01", env=env, cwd=tmp_path)  # stderr is a pipe
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout == "zendesk: 2,500 tickets synced (2,500 new, 0 updated)\n"
    progress = [line for line in synced.stderr.splitlines() if line.startswith("zendesk:")]
    assert progress == ["zendesk: 1,000 tickets synced so far (2 pages)",
                        "zendesk: 2,000 tickets synced so far (4 pages)"], synced.stderr
    assert "\r" not in synced.stderr and "\x1b[" not in synced.stderr  # no bar, no cursor movement
