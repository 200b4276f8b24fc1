"""`supportbot helpdesk check` and `supportbot helpdesk sync --since` with a Salesforce source, run as an operator
runs them, against FakeSalesforce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.kit.fake_salesforce import CLIENT_ID, CLIENT_SECRET, FakeSalesforce
from tests.test_cli import env, supportbot  # noqa: F401 - `env` is a fixture

YAML = """
helpdesks:
  - key: salesforce
    kind: salesforce
    url: {url}
    client_id: {client_id}
    client_secret_file: {secret_file}
teams:
  - key: tier1
    name: Tier 1
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: salesforce, match: {{queue: "Tier 1"}}}}
"""


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as server:
        server.add_queue("Tier 1")
        server.absent.add("SurveySubject")
        yield server


def test_check_prints_the_api_usage_and_what_the_org_lacks_then_a_backfill(
        salesforce: FakeSalesforce, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    secret = tmp_path / "salesforce-secret"
    secret.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    config = tmp_path / "teams.yaml"
    config.write_text(YAML.format(url=salesforce.url, client_id=CLIENT_ID, secret_file=secret), encoding="utf-8")
    applied = supportbot("config", "apply", str(config), env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr

    checked = supportbot("helpdesk", "check", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.fullmatch(r"salesforce: credentials OK; every queue matches a team \(tier1\); API usage "
                        r"1,0\d\d/15,000 today \(7%\); no Feedback Management surveys \(SurveySubject is not "
                        r"available\): CSAT is not synced\n", checked.stdout), checked.stdout

    for number in range(1, 6):
        salesforce.put(number, created=datetime(2026, 10, 2, tzinfo=UTC))
    synced = supportbot("helpdesk", "sync", "--since", "2026-10-01", env=env, cwd=tmp_path)
    assert (synced.returncode, synced.stdout) == (0, "salesforce: 5 tickets synced (5 new, 0 updated)\n"), \
        synced.stderr
    assert "SystemModstamp >= 2026-10-01T00:00:00.000Z" in salesforce.queries("Case")[-1]
    for output in (applied, checked, synced):
        assert CLIENT_SECRET not in output.stdout + output.stderr and "00DSF" not in output.stdout + output.stderr
