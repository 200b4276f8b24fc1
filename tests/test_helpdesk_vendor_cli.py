"""`supportbot helpdesk check` and `helpdesk sync --since` with a Freshdesk and an Intercom source, run as an
operator runs them, against FakeFreshdesk and FakeIntercom: one line per source, no secret printed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.kit.fake_freshdesk import API_KEY, FakeFreshdesk
from tests.kit.fake_intercom import ACCESS_TOKEN, FakeIntercom
from tests.test_cli import env, supportbot  # noqa: F401 - `env` is a fixture

YAML = """
helpdesks:
  - key: freshdesk
    kind: freshdesk
    url: {freshdesk}
    api_key_file: {key_file}
  - key: intercom
    kind: intercom
    url: {intercom}
    access_token_env: INTERCOM_TOKEN
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: freshdesk, match: {{group: "Tier 1"}}}}
  - key: billing
    name: Billing
    members: [U0AGENT2]
    managers: [U0MANAGER]
    helpdesk: {{source: intercom, match: {{team: "Billing"}}}}
"""


@pytest.fixture
def desks() -> Iterator[tuple[FakeFreshdesk, FakeIntercom]]:
    with FakeFreshdesk() as freshdesk, FakeIntercom() as intercom:
        freshdesk.add_group(11, "Tier 1")
        freshdesk.add_group(13, "Tier 3")
        intercom.add_team("101", "Billing")
        yield freshdesk, intercom


def test_check_says_one_line_per_source_and_a_backfill_syncs_both(desks: tuple[FakeFreshdesk, FakeIntercom],
                                                                  env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    freshdesk, intercom = desks
    key = tmp_path / "freshdesk-key"
    key.write_text(API_KEY + "\n", encoding="utf-8")
    config = tmp_path / "teams.yaml"
    config.write_text(YAML.format(freshdesk=freshdesk.url, intercom=intercom.url, key_file=key), encoding="utf-8")
    applied = supportbot("config", "apply", str(config), env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr

    unset = supportbot("helpdesk", "check", env=env, cwd=tmp_path)
    assert (unset.returncode, unset.stdout) == (1, "freshdesk: credentials OK; group 'Tier 3' matches no team\n"
                                                   "intercom: access_token: the environment variable INTERCOM_TOKEN "
                                                   "is not set\n")
    with_token = {**env, "INTERCOM_TOKEN": ACCESS_TOKEN}
    checked = supportbot("helpdesk", "check", env=with_token, cwd=tmp_path)
    assert checked.stdout.splitlines()[1] == "intercom: credentials OK; every team matches a team (billing)"

    for number in range(1, 4):
        freshdesk.put(number, created=datetime(2026, 9, 2, tzinfo=UTC), group_id=11)
        intercom.put(number, created=datetime(2026, 9, 2, tzinfo=UTC), team="101")
    synced = supportbot("helpdesk", "sync", "--since", "2026-09-01", env=with_token, cwd=tmp_path)
    assert (synced.returncode, synced.stdout) == (0, "freshdesk: 3 tickets synced (3 new, 0 updated)\n"
                                                     "intercom: 3 tickets synced (3 new, 0 updated)\n"), synced.stderr
    assert freshdesk.calls("/api/v2/tickets")[-1].query["updated_since"] == "2026-09-01T00:00:00Z"
    shown = supportbot("config", "show", env=with_token, cwd=tmp_path)
    assert f"api_key_file: {key}" in shown.stdout and "access_token_env: INTERCOM_TOKEN" in shown.stdout
    for output in (applied, unset, checked, synced, shown):
        assert API_KEY not in output.stdout + output.stderr and ACCESS_TOKEN not in output.stdout + output.stderr
