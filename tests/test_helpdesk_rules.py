"""Pure rules of the helpdesk sync: Zendesk's documented JSON read as tickets (bot.rules.zendesk), teams matched
(bot.rules.helpdesk) and the `helpdesks:` configuration (bot.rules.helpdesk_config). Shapes: see the URLs at the
top of tests/kit/fake_zendesk.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.rules.helpdesk import team_for, unmatched_labels
from bot.rules.helpdesk_config import TeamHelpdesk
from bot.rules.team_config import ConfigError, parse_teams, render_teams
from bot.rules.zendesk import breached_tickets, export_page, ticket

GROUPS = {11: "Tier 1", 12: "Tier 2"}
BRANDS = {21: "Acme"}
BASE = {"id": 35436, "created_at": "2026-11-02T14:00:00Z", "status": "open", "group_id": 11, "brand_id": 21,
        "via": {"channel": "email"}}
METRIC = {"ticket_id": 35436, "reopens": 2, "replies": 3, "solved_at": "2026-11-03T10:00:00Z",
          "reply_time_in_minutes": {"calendar": 90, "business": 30},
          "full_resolution_time_in_minutes": {"calendar": 1200, "business": 400}}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("changes, metric, expected, fields", [
    ({}, None, {"status": "open", "channel": "email", "first_response_at": None}, {"created_at", "status", "channel"}),
    ({"status": "hold"}, None, {"status": "on_hold"}, {"created_at", "status", "channel"}),
    ({"satisfaction_rating": {"score": "good"}}, None, {"csat_good": True},
     {"created_at", "status", "channel", "csat_good"}),
    ({"satisfaction_rating": {"score": "bad"}}, None, {"csat_good": False},
     {"created_at", "status", "channel", "csat_good"}),
    ({"satisfaction_rating": {"score": "offered"}}, None, {"csat_good": None},
     {"created_at", "status", "channel", "csat_good"}),
    ({"satisfaction_rating": None}, None, {"csat_good": None}, {"created_at", "status", "channel", "csat_good"}),
    ({"via": None}, None, {"channel": None}, {"created_at", "status"}),
    ({"status": "solved"}, METRIC,
     {"first_response_at": _at("2026-11-02T15:30:00"), "solved_at": _at("2026-11-03T10:00:00"), "reopens": 2,
      "agent_replies": 3, "status": "solved"},
     {"created_at", "status", "channel", "first_response_at", "solved_at", "reopens", "agent_replies"}),
    ({"status": "solved"}, {**METRIC, "solved_at": None}, {"solved_at": _at("2026-11-03T10:00:00")},
     {"created_at", "status", "channel", "first_response_at", "solved_at", "reopens", "agent_replies"}),
    ({}, {**METRIC, "reply_time_in_minutes": {"calendar": None, "business": None}, "solved_at": None,
          "full_resolution_time_in_minutes": {"calendar": None}},
     {"first_response_at": None, "solved_at": None},
     {"created_at", "status", "channel", "first_response_at", "solved_at", "reopens", "agent_replies"}),
])
def test_a_zendesk_ticket_and_its_metric_set_read_as_a_ticket_with_the_fields_zendesk_gave(
        changes: dict[str, Any], metric: dict[str, Any] | None, expected: dict[str, Any], fields: set[str]) -> None:
    found = ticket({**BASE, **changes}, metric, GROUPS, BRANDS)
    assert found.row.id == "35436" and found.row.created_at == _at("2026-11-02T14:00:00")
    assert {name: getattr(found.row, name) for name in expected} == expected
    assert found.fields == fields
    assert found.labels == {"group": "Tier 1", "brand": "Acme"}


@pytest.mark.parametrize("record, reason", [
    ({**BASE, "status": "weird"}, "unknown status 'weird'"),
    ({**BASE, "created_at": "yesterday"}, "created_at: bad date 'yesterday'"),
    ({k: v for k, v in BASE.items() if k != "created_at"}, "missing created_at"),
    ({**BASE, "satisfaction_rating": {"score": "great"}}, "satisfaction_rating.score: unknown score 'great'"),
])
def test_a_record_that_does_not_read_is_reported_with_its_id_and_the_rest_of_the_page_is_kept(
        record: dict[str, Any], reason: str) -> None:
    body = {"tickets": [record, {**BASE, "id": 2}, {**BASE, "id": 3, "status": "deleted"}],
            "metric_sets": [], "after_cursor": "abc", "end_of_stream": True}
    page = export_page(body, GROUPS, BRANDS)
    assert [t.row.id for t in page.tickets] == ["2"]
    assert len(page.unparsed) == 1 and page.unparsed[0].id == "35436"
    assert reason in page.unparsed[0].reason
    assert page.skipped == 1 and page.cursor == "abc" and page.done


def test_metric_events_give_the_breached_tickets_and_where_to_go_on() -> None:
    body = {"ticket_metric_events": [{"ticket_id": 1, "type": "breach"}, {"ticket_id": 2, "type": "fulfill"}],
            "end_time": 1700000000, "end_of_stream": False}
    assert breached_tickets(body) == ({"1"}, 1700000000, False)


TIER1 = TeamHelpdesk.model_validate({"source": "zd", "match": {"group": "Tier 1"}})
ACME = TeamHelpdesk.model_validate({"source": "zd", "match": {"brand": "Acme", "group": "Tier 2"}})
OTHER = TeamHelpdesk.model_validate({"source": "other", "match": {"group": "Tier 2"}})
MAPPINGS = [("tier1", TIER1), ("acme", ACME), ("other", OTHER), ("nohelpdesk", None)]


@pytest.mark.parametrize("labels, team", [
    ({"group": "Tier 1"}, "tier1"),
    ({"group": "Tier 1", "brand": "Acme"}, "tier1"),
    ({"group": "Tier 2", "brand": "Acme"}, "acme"),
    ({"group": "Tier 2"}, None),  # the other source's team does not take it
    ({}, None),
])
def test_a_ticket_belongs_to_the_first_team_whose_every_match_label_it_has(labels: dict[str, str],
                                                                          team: str | None) -> None:
    assert team_for(labels, "zd", MAPPINGS) == team


def test_groups_no_team_matches_are_listed() -> None:
    names = {"group": ["Tier 1", "Tier 2", "Tier 3"], "brand": ["Acme", "Other"]}
    assert unmatched_labels(names, "zd", MAPPINGS) == {"group": ["Tier 3"], "brand": ["Other"]}


YAML = """
helpdesks:
  - key: zendesk
    kind: {kind}
    url: https://acme.zendesk.com
    client_id: supportbot
    {secret}
teams:
  - key: tier1
    name: Tier 1
    members: []
    managers: []
    helpdesk: {{source: {source}, match: {{group: "Tier 1"}}}}
"""


@pytest.mark.parametrize("kind, secret, source, problem", [
    ("salesforce", "client_secret_env: ZD_SECRET", "zendesk",
     "team tier1: salesforce tickets match by queue or role, not by group"),
    ("zendesk", "client_secret: hunter2", "zendesk", "helpdesks[0]: client_secret: never write a secret in the YAML"),
    ("zendesk", "", "zendesk", "helpdesks[0]: give exactly one of client_secret_env or client_secret_file"),
    ("zendesk", "client_secret_env: ZD_SECRET", "freshdesk", "helpdesk source 'freshdesk' is not in helpdesks"),
    ("zendesk", "client_secret_env: 'ZD SECRET'", "zendesk", "helpdesks[0].client_secret_env: expected an environment"),
])
def test_a_bad_helpdesk_configuration_is_refused_naming_its_path(kind: str, secret: str, source: str,
                                                                 problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_teams(YAML.format(kind=kind, secret=secret, source=source))
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert "hunter2" not in str(refused.value)


def test_the_effective_configuration_names_where_the_secret_is_and_reads_back() -> None:
    parsed = parse_teams(YAML.format(kind="zendesk", secret="client_secret_env: ZD_SECRET", source="zendesk"))
    assert parsed.helpdesks is not None and parsed.teams[0].helpdesk is not None
    shown = render_teams(parsed.teams, parsed.helpdesks)
    assert "client_secret_env: ZD_SECRET" in shown and "sync_every_minutes: 5" in shown
    assert parse_teams(shown) == parsed
