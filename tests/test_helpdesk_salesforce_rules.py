"""Pure rules of the Salesforce sync (bot.rules.salesforce): Salesforce's documented query answers read as tickets.
Shapes: see the URLs at the top of tests/kit/fake_salesforce.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.rules.salesforce import (
    Facts,
    ShapeError,
    api_usage,
    case,
    cases_page,
    cases_query,
    closed_statuses,
    csat_answers,
    customer_emails,
    error,
    milestones,
    records,
    reopens,
    replies_query,
    roles,
    survey_links,
    violated,
)
from bot.rules.team_config import ConfigError, parse_teams

ID = "5003000000D8cuIAAR"
QUEUE = {"attributes": {"type": "Name"}, "Name": "Tier 1", "Type": "Queue"}
BASE = {"attributes": {"type": "Case", "url": f"/services/data/v61.0/sobjects/Case/{ID}"}, "Id": ID,
        "CaseNumber": "00001026", "CreatedDate": "2026-11-02T14:00:00.000+0000", "ClosedDate": None, "IsClosed": False,
        "Status": "Working", "Origin": "Web", "OwnerId": "00G300000012345AAA", "Owner": QUEUE,
        "SystemModstamp": "2026-11-02T15:00:00.000+0000"}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("changes, expected", [
    ({}, {"status": "open", "channel": "web", "solved_at": None}),
    ({"Status": "New"}, {"status": "new"}),
    ({"Status": "On Hold"}, {"status": "on_hold"}),
    ({"Status": "Waiting on Customer"}, {"status": "pending"}),
    ({"Status": "Awaiting Parts"}, {"status": "open"}),  # a status the org made up, not closed
    ({"Status": "Closed", "IsClosed": True, "ClosedDate": "2026-11-03T10:00:00.000+0000"},
     {"status": "closed", "solved_at": _at("2026-11-03T10:00:00")}),
    ({"Status": "Resolved", "IsClosed": True, "ClosedDate": "2026-11-03T10:00:00.000+0000"}, {"status": "solved"}),
    ({"Status": "Done Done", "IsClosed": True, "ClosedDate": "2026-11-03T10:00:00.000+0000"}, {"status": "closed"}),
    ({"Status": "Closed", "IsClosed": False}, {"status": "open"}),  # IsClosed says it is not
])
def test_a_case_reads_as_a_ticket_with_its_case_number_and_a_status_isclosed_agrees_with(
        changes: dict[str, Any], expected: dict[str, Any]) -> None:
    found = case({**BASE, **changes}, Facts())
    assert found.row.id == "00001026" and found.row.created_at == _at("2026-11-02T14:00:00")
    assert {name: getattr(found.row, name) for name in expected} == expected
    assert found.fields == {"created_at", "status", "solved_at", "channel"}
    assert found.labels == {"queue": "Tier 1"}


def test_what_the_other_objects_say_is_written_and_only_that() -> None:
    facts = Facts(reopens={ID: 2})
    milestones([{"CaseId": ID, "MilestoneType": {"Name": "First Response"}, "CompletionDate":
                 "2026-11-02T14:40:00.000+0000", "IsViolated": False},
                {"CaseId": ID, "MilestoneType": {"Name": "First Response"}, "CompletionDate":
                 "2026-11-02T14:30:00.000+0000", "IsViolated": False},
                {"CaseId": ID, "MilestoneType": {"Name": "Resolution Time"}, "CompletionDate": None,
                 "IsViolated": True}], facts)
    csat_answers([{"ResponseId": "0Mx000000000001AAA", "NumberValue": 4}],
                 survey_links([{"SubjectId": ID, "SurveyResponseId": "0Mx000000000001AAA"}]), facts)
    found = case({**BASE, "Origin": None}, facts)
    assert (found.row.first_response_at, found.row.sla_breached, found.row.reopens, found.row.csat_good) == (
        _at("2026-11-02T14:30:00"), True, 2, True)
    assert found.fields == {"created_at", "status", "solved_at", "first_response_at", "sla_breached", "reopens",
                            "csat_good"}  # no Origin: the channel stored stays


def test_a_milestone_not_completed_yet_says_no_first_response_and_not_violated_says_not_breached() -> None:
    facts = Facts()
    milestones([{"CaseId": ID, "MilestoneType": {"Name": "First Response Time"}, "CompletionDate": None,
                 "IsViolated": False}], facts)
    found = case(BASE, facts)
    assert (found.row.first_response_at, found.row.sla_breached) == (None, False)
    assert {"first_response_at", "sla_breached"} <= found.fields


def test_an_owner_is_a_queue_or_a_user_whose_role_names_the_team() -> None:
    user = {**BASE, "OwnerId": "005300000012345AAA", "Owner": {"Name": "Ann Agent", "Type": "User"}}
    known = Facts(roles=roles([{"Id": "005300000012345AAA", "UserRole": {"Name": "Tier 2 Agent"}},
                               {"Id": "005300000099999AAA", "UserRole": None}]))
    assert case(user, known).labels == {"role": "Tier 2 Agent"}
    assert case(user, Facts()).labels == {}
    assert case({**BASE, "Owner": None}, Facts()).labels == {}  # a queue (00G…) with no name to match
    assert case({**user, "Owner": None}, known).labels == {"role": "Tier 2 Agent"}


def test_reopens_count_changes_from_a_closed_status_to_an_open_one() -> None:
    closed = closed_statuses([{"ApiName": "Closed", "MasterLabel": "Closed", "IsClosed": True},
                              {"ApiName": "Resolved", "MasterLabel": "Solved", "IsClosed": True},
                              {"ApiName": "Working", "MasterLabel": "Working", "IsClosed": False}])
    history = [{"CaseId": ID, "Field": "Status", "OldValue": "Closed", "NewValue": "Working"},
               {"CaseId": ID, "Field": "Status", "OldValue": "Working", "NewValue": "Resolved"},
               {"CaseId": ID, "Field": "Status", "OldValue": "Resolved", "NewValue": "Closed"},
               {"CaseId": ID, "Field": "Status", "OldValue": "Solved", "NewValue": "New"},
               {"CaseId": ID, "Field": "Owner", "OldValue": "Closed", "NewValue": "Working"}]
    assert reopens(history, closed, [ID, "500300000000001AAA"]) == {ID: 2, "500300000000001AAA": 0}


@pytest.mark.parametrize("record, reason", [
    ({**BASE, "CreatedDate": "yesterday"}, "created_at: bad date 'yesterday'"),
    ({**BASE, "CaseNumber": None}, "missing CaseNumber"),
    ({**BASE, "IsClosed": True}, "closed with no ClosedDate"),
    ({**BASE, "IsClosed": "yes"}, "IsClosed: expected true or false, got 'yes'"),
    ({**BASE, "ClosedDate": "2026-11-01T00:00:00.000+0000", "IsClosed": True}, "solved_at is before created_at"),
])
def test_a_case_that_does_not_read_is_reported_with_its_id_and_the_rest_of_the_batch_is_kept(
        record: dict[str, Any], reason: str) -> None:
    other = {**BASE, "Id": "5003000000D8cuJAAR", "CaseNumber": "00001027",
             "SystemModstamp": "2026-11-02T15:00:01.000+0000"}
    page = cases_page([other, record], False, Facts(), "2026-11-01T00:00:00.000Z")
    assert [t.row.id for t in page.tickets] == ["00001027"]
    assert len(page.unparsed) == 1 and reason in page.unparsed[0].reason
    assert page.unparsed[0].id in ("00001026 (Id 5003000000D8cuIAAR)", "5003000000D8cuIAAR")
    assert page.cursor == "2026-11-02T15:00:00.000Z,5003000000D8cuIAAR" and not page.done


def test_the_query_asks_after_the_cursor_and_a_cursor_that_is_no_cursor_is_refused() -> None:
    assert cases_query(None, datetime(2026, 10, 3, 14, tzinfo=UTC)).endswith(
        "FROM Case WHERE SystemModstamp >= 2026-10-03T14:00:00.000Z ORDER BY SystemModstamp ASC, Id ASC")
    assert "WHERE (SystemModstamp > 2026-11-02T15:00:00.000Z OR (SystemModstamp = 2026-11-02T15:00:00.000Z AND " \
        "Id > '5003000000D8cuIAAR'))" in cases_query("2026-11-02T15:00:00.000Z,5003000000D8cuIAAR", datetime.now(UTC))
    with pytest.raises(ShapeError, match="is not a Salesforce cursor"):
        cases_query("2026-11-02T15:00:00Z,x' OR Id != '", datetime.now(UTC))
    assert cases_page([], True, Facts(), "2026-11-01T00:00:00.000Z").cursor == "2026-11-01T00:00:00.000Z"


def test_query_answers_violations_usage_and_errors_read_as_documented() -> None:
    assert records({"totalSize": 3, "done": False, "nextRecordsUrl": "/services/data/v61.0/query/01gD-2000",
                    "records": [{}]}, "Case") == ([{}], False, "/services/data/v61.0/query/01gD-2000")
    with pytest.raises(ShapeError, match="no `nextRecordsUrl`"):
        records({"totalSize": 3, "done": False, "records": []}, "Case")
    with pytest.raises(ShapeError, match="no `records` list"):
        records([{"message": "x", "errorCode": "MALFORMED_QUERY"}], "Case")
    assert violated([{"Case": {"CaseNumber": "00001026"}, "IsViolated": True,
                      "SystemModstamp": "2026-11-02T15:00:00.000+0000"}]) == ({"00001026"}, _at("2026-11-02T15:00:00"))
    assert api_usage("api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)") == (18, 5000)
    assert api_usage(None) is None
    assert error([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]) == (
        "INVALID_SESSION_ID", "Session expired or invalid")
    assert error({"error": "invalid_client", "error_description": "invalid client credentials"}) == (
        "invalid_client", "invalid client credentials")


YAML = """
helpdesks:
  - key: sf
    kind: salesforce
    url: https://acme.my.salesforce.com
    {credentials}
teams:
  - key: tier1
    name: Tier 1
    members: []
    managers: []
    helpdesk: {{source: sf, match: {match}}}
"""


@pytest.mark.parametrize("credentials, match, problem", [
    ("client_id: key", '{queue: "Tier 1"}', "give exactly one of client_secret_env or client_secret_file"),
    ("client_id: key\n    client_secret: s3cr3t", '{queue: "Tier 1"}', "client_secret: never write a secret"),
    ("client_id: key\n    client_secret_env: SF_SECRET", '{brand: "Acme"}',
     "team tier1: salesforce tickets match by queue or role, not by brand"),
    ("client_id: key\n    client_secret_env: SF_SECRET", "{}",
     "give a group, a brand, a queue, a role or a team to match"),
])
def test_a_bad_salesforce_configuration_is_refused(credentials: str, match: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_teams(YAML.format(credentials=credentials, match=match))
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert "s3cr3t" not in str(refused.value)


def test_a_salesforce_source_matching_by_queue_or_role_is_accepted() -> None:
    for match in ('{queue: "Tier 1"}', '{role: "Tier 2 Agent"}'):
        parsed = parse_teams(YAML.format(credentials="client_id_env: SF_KEY\n    client_secret_file: /run/secrets/sf",
                                         match=match))
        assert parsed.helpdesks is not None and parsed.helpdesks[0].kind == "salesforce"


def test_a_users_email_is_the_assignee_a_queue_is_none_and_the_latest_customer_email_is_the_reply() -> None:
    user = {**BASE, "OwnerId": "005300000012345AAA",
            "Owner": {"attributes": {"type": "Name"}, "Name": "Ann", "Type": "User", "Email": "ann@acme.test"}}
    queue = {**BASE, "Id": "5003000000D8cuJAAR", "CaseNumber": "00001027",
             "Owner": {**QUEUE, "Email": "tier1@acme.test"}}
    facts = Facts()
    customer_emails([{"attributes": {"type": "AggregateResult"}, "ParentId": ID,
                      "latest": "2026-11-03T09:30:00.000+0000"},
                     {"attributes": {"type": "AggregateResult"}, "ParentId": ID, "latest": "soon"},
                     {"attributes": {"type": "AggregateResult"}, "ParentId": "5003000000D8cuJAAR", "latest": None}],
                    facts)
    page = cases_page([user, queue], True, facts, "2026-11-01T00:00:00.000Z")
    assert page.assignees == {"00001026": "ann@acme.test", "00001027": None}
    assert page.replies == {"00001026": _at("2026-11-03T09:30:00")}
    assert page.aliases == {"00001026": ID, "00001027": "5003000000D8cuJAAR"}
    assert replies_query(f"('{ID}')") == ("SELECT ParentId, MAX(MessageDate) latest FROM EmailMessage WHERE "
                                           f"Incoming = true AND ParentId IN ('{ID}') GROUP BY ParentId")
