"""Pure rules of the Freshdesk and Intercom connectors: their documented JSON read as tickets
(bot.rules.freshdesk, bot.rules.intercom; shapes and their URLs at the top of each and of tests/kit/fake_freshdesk.py,
fake_intercom.py), the `updated_at` cursor (bot.rules.helpdesk_cursor), and their `helpdesks:` configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.rules import freshdesk, intercom
from bot.rules.helpdesk_cursor import TimeCursor
from bot.rules.team_config import ConfigError, parse_teams

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
GROUPS = {11: "Tier 1"}
FD = {"id": 7, "created_at": "2026-11-02T14:00:00Z", "updated_at": "2026-11-02T15:00:00Z", "status": 2, "source": 1,
      "group_id": 11, "fr_escalated": False, "is_escalated": False}
STATS = {"first_responded_at": "2026-11-02T14:30:00Z", "resolved_at": None, "closed_at": None, "reopened_at": None}
BASE_FIELDS = {"created_at", "status", "channel", "sla_breached"}
STATS_FIELDS = {"first_response_at", "solved_at", "reopens"}


@pytest.mark.parametrize("changes, expected, fields", [
    ({}, {"status": "open", "channel": "Email", "sla_breached": False, "first_response_at": None}, BASE_FIELDS),
    ({"status": 3, "source": 7}, {"status": "pending", "channel": "Chat"}, BASE_FIELDS),
    ({"status": 4, "source": 2}, {"status": "solved", "channel": "Portal"}, BASE_FIELDS),
    ({"status": 5, "source": 3}, {"status": "closed", "channel": "Phone"}, BASE_FIELDS),
    ({"status": 6, "source": 10}, {"status": "open", "channel": "Outbound Email"}, BASE_FIELDS),  # a custom status
    ({"source": 9}, {"channel": "Feedback Widget"}, BASE_FIELDS),
    ({"source": 42}, {"channel": "source 42"}, BASE_FIELDS),
    ({"fr_escalated": True}, {"sla_breached": True}, BASE_FIELDS),
    ({"is_escalated": True}, {"sla_breached": True}, BASE_FIELDS),
    ({"stats": STATS}, {"first_response_at": T0 + timedelta(minutes=30), "solved_at": None, "reopens": 0},
     BASE_FIELDS | STATS_FIELDS),
    ({"status": 4, "stats": {**STATS, "resolved_at": "2026-11-03T10:00:00Z", "reopened_at": "2026-11-02T20:00:00Z"}},
     {"solved_at": datetime(2026, 11, 3, 10, tzinfo=UTC), "reopens": 1}, BASE_FIELDS | STATS_FIELDS),
    ({"status": 5, "stats": {**STATS, "closed_at": "2026-11-03T11:00:00Z"}},
     {"solved_at": datetime(2026, 11, 3, 11, tzinfo=UTC)}, BASE_FIELDS | STATS_FIELDS),
    ({"stats": None}, {"first_response_at": None}, BASE_FIELDS),
])
def test_a_freshdesk_ticket_reads_with_the_fields_freshdesk_gave(changes: dict[str, Any], expected: dict[str, Any],
                                                                 fields: set[str]) -> None:
    found = freshdesk.ticket({**FD, **changes}, GROUPS)
    assert found.row.id == "7" and found.row.created_at == T0 and found.labels == {"group": "Tier 1"}
    assert {name: getattr(found.row, name) for name in expected} == expected
    assert found.fields == fields


def test_a_freshdesk_ticket_without_escalation_flags_or_source_gives_neither_and_no_group_is_no_label() -> None:
    record = {k: v for k, v in FD.items() if k not in ("fr_escalated", "is_escalated", "source")}
    found = freshdesk.ticket({**record, "group_id": 99}, GROUPS)
    assert found.fields == {"created_at", "status"} and found.labels == {}


@pytest.mark.parametrize("changes, reason", [
    ({"status": "open"}, "unknown status 'open'"),
    ({"status": None}, "unknown status None"),
    ({"created_at": "yesterday"}, "created_at: bad date 'yesterday'"),
    ({"updated_at": "later"}, "bad date 'later'"),
    ({"status": 4, "stats": {**STATS, "resolved_at": "2026-11-01T10:00:00Z"}}, "before created_at"),
])
def test_a_freshdesk_record_that_does_not_read_is_reported_with_its_id(changes: dict[str, Any], reason: str) -> None:
    page = freshdesk.tickets_page([{**FD, **changes}, {**FD, "id": 8}], GROUPS, TimeCursor(since=T0), more=False,
                                  per_page=100)
    assert [t.row.id for t in page.tickets] == ["8"]
    assert [problem.id for problem in page.unparsed] == ["7"] and reason in page.unparsed[0].reason


@pytest.mark.parametrize("value, good", [(103, True), (102, True), (101, True), (100, False), (-101, False),
                                         (-103, False)])
def test_freshdesk_ratings_happy_are_good_neutral_and_unhappy_bad_as_imported(value: int, good: bool) -> None:
    assert freshdesk.rating(value) is good


def test_freshdesk_ratings_latest_wins_and_an_unknown_one_is_reported() -> None:
    body = [{"ticket_id": 1, "ratings": {"default_question": 103}, "created_at": "2026-11-02T15:00:00Z"},
            {"ticket_id": 1, "ratings": {"default_question": -102}, "created_at": "2026-11-02T14:00:00Z"},
            {"ticket_id": 2, "ratings": {"default_question": 7}, "created_at": "2026-11-02T16:00:00Z"}]
    found, latest, unread = freshdesk.ratings(body)
    assert found == {"1": True} and latest == datetime(2026, 11, 2, 15, tzinfo=UTC)
    assert [(problem.id, problem.reason) for problem in unread] == [("2", "satisfaction rating: unknown rating 7")]


def test_freshdesk_pages_go_on_by_page_then_past_the_cap_from_the_last_change() -> None:
    records = [{**FD, "id": n, "updated_at": f"2026-11-02T15:00:0{n % 2}Z"} for n in range(1, 5)]
    on = freshdesk.tickets_page(records, GROUPS, TimeCursor(since=T0), more=True, per_page=4)
    assert not on.done and TimeCursor.load(on.cursor, T0).page == "2"
    capped = freshdesk.tickets_page(records, GROUPS, TimeCursor(since=T0, page="300"), more=False, per_page=4)
    moved = TimeCursor.load(capped.cursor, T0)
    assert not capped.done and moved.page is None and moved.since == datetime(2026, 11, 2, 15, 0, 1, tzinfo=UTC)
    assert moved.seen == {"1", "3"}
    last = freshdesk.tickets_page(records[:2], GROUPS, TimeCursor(since=T0, page="4"), more=False, per_page=4)
    assert last.done and TimeCursor.load(last.cursor, T0).page is None


def test_the_cursor_skips_only_what_it_already_synced_at_its_own_second_and_moves_on_when_stuck() -> None:
    cursor = TimeCursor(since=T0, seen=frozenset({"1"}))
    assert not cursor.fresh("1", T0) and cursor.fresh("2", T0) and cursor.fresh("1", T0 + timedelta(seconds=1))
    assert TimeCursor.load(cursor.dump(), T0 - timedelta(days=1)) == cursor
    assert TimeCursor.load("not json", T0) == TimeCursor(since=T0)
    same = cursor.saw([("2", T0)]).caught_up()
    assert same == TimeCursor(since=T0, seen=frozenset({"1", "2"}))
    assert cursor.saw([("2", T0)]).restart() == TimeCursor(since=T0 + timedelta(seconds=1))
    assert cursor.caught_up() == cursor


IC = {"type": "conversation", "id": "123", "created_at": int(T0.timestamp()), "updated_at": int(T0.timestamp()) + 60,
      "state": "open", "source": {"type": "email"}, "team_assignee_id": 814865}
IC_STATS = {"first_admin_reply_at": int(T0.timestamp()) + 600, "last_close_at": int(T0.timestamp()) + 3600,
            "count_reopens": 2, "count_conversation_parts": 9}
IC_BASE = {"created_at", "status", "channel"}


@pytest.mark.parametrize("changes, expected, fields", [
    ({}, {"status": "open", "channel": "email"}, IC_BASE),
    ({"state": "snoozed"}, {"status": "pending"}, IC_BASE),
    ({"state": "closed", "statistics": IC_STATS},
     {"status": "solved", "first_response_at": T0 + timedelta(minutes=10), "solved_at": T0 + timedelta(hours=1),
      "reopens": 2, "agent_replies": None}, IC_BASE | STATS_FIELDS),
    ({"statistics": IC_STATS}, {"solved_at": None, "reopens": 2}, IC_BASE | STATS_FIELDS),  # reopened: not solved
    ({"statistics": None}, {"first_response_at": None}, IC_BASE),
    ({"conversation_rating": {"rating": 5}}, {"csat_good": True}, IC_BASE | {"csat_good"}),
    ({"conversation_rating": {"rating": 3}}, {"csat_good": False}, IC_BASE | {"csat_good"}),
    ({"conversation_rating": {"rating": 2}}, {"csat_good": False}, IC_BASE | {"csat_good"}),
    ({"conversation_rating": None}, {"csat_good": None}, IC_BASE | {"csat_good"}),
    ({"sla_applied": {"sla_name": "VIP", "sla_status": "missed"}}, {"sla_breached": True}, IC_BASE | {"sla_breached"}),
    ({"sla_applied": {"sla_name": "VIP", "sla_status": "hit"}}, {"sla_breached": False}, IC_BASE | {"sla_breached"}),
    ({"sla_applied": None}, {"sla_breached": False}, IC_BASE | {"sla_breached"}),
    ({"source": None}, {"channel": None}, {"created_at", "status"}),
])
def test_an_intercom_conversation_reads_with_the_fields_intercom_gave(
        changes: dict[str, Any], expected: dict[str, Any], fields: set[str]) -> None:
    found = intercom.conversation({**IC, **changes}, {"814865": "Billing"})
    assert found.row.id == "123" and found.row.created_at == T0 and found.labels == {"team": "Billing"}
    assert {name: getattr(found.row, name) for name in expected} == expected
    assert found.fields == fields


@pytest.mark.parametrize("changes, reason", [
    ({"state": "pending"}, "unknown state 'pending'"),
    ({"created_at": "2026-11-02"}, "created_at: expected Unix seconds, got '2026-11-02'"),
    ({"conversation_rating": {"rating": 9}}, "conversation_rating.rating: expected 1 to 5, got 9"),
    ({"updated_at": -5}, "updated_at: expected Unix seconds, got -5"),
])
def test_an_intercom_record_that_does_not_read_is_reported_with_its_id(changes: dict[str, Any], reason: str) -> None:
    body = {"type": "conversation.list", "conversations": [{**IC, **changes}, {**IC, "id": "124"}],
            "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1}}
    page = intercom.search_page(body, {}, TimeCursor(since=T0))
    assert [t.row.id for t in page.tickets] == ["124"] and page.done
    assert [(problem.id, problem.reason) for problem in page.unparsed] == [("123", reason)]


def test_an_intercom_page_with_a_next_goes_on_from_its_starting_after() -> None:
    body = {"conversations": [IC], "pages": {"next": {"page": 2, "starting_after": "WzE3MDAw"}}}
    page = intercom.search_page(body, {}, TimeCursor(since=T0))
    after = TimeCursor.load(page.cursor, T0)
    assert not page.done and after.page == "WzE3MDAw" and after.since == T0
    assert intercom.query(after, 150) == {"query": {"field": "updated_at", "operator": ">",
                                                    "value": int(T0.timestamp()) - 1},
                                          "pagination": {"per_page": 150, "starting_after": "WzE3MDAw"}}


YAML = """
helpdesks:
  - key: desk
    kind: {kind}
    url: https://acme.example.com
    {credentials}
teams:
  - key: tier1
    name: Tier 1
    members: []
    managers: []
    helpdesk: {{source: desk, match: {match}}}
"""


@pytest.mark.parametrize("kind, credentials, match, problem", [
    ("freshdesk", "", "{group: T}", "helpdesks[0]: give exactly one of api_key_env or api_key_file"),
    ("freshdesk", "api_key: abc123", "{group: T}", "helpdesks[0]: api_key: never write a secret in the YAML"),
    ("freshdesk", "{api_key_env: K, client_secret_env: S}", "{group: T}",
     "helpdesks[0]: client_secret_env is not used by kind freshdesk"),
    ("freshdesk", "api_key_env: K", "{brand: Acme}",
     "team tier1: freshdesk tickets match by group, not by brand"),
    ("intercom", "client_id: x", "{team: T}",
     "helpdesks[0]: give exactly one of access_token_env or access_token_file"),
    ("intercom", "{access_token_env: A, access_token_file: /run/a}", "{team: T}",
     "helpdesks[0]: give exactly one of access_token_env or access_token_file"),
    ("intercom", "access_token: abc123", "{team: T}", "helpdesks[0]: access_token: never write a secret in the YAML"),
    ("intercom", "access_token_env: A", "{group: T}", "team tier1: intercom tickets match by team, not by group"),
    ("zendesk", "{client_id: c, client_secret_env: S}", "{team: T}",
     "team tier1: zendesk tickets match by group or brand, not by team"),
])
def test_a_bad_vendor_configuration_is_refused_naming_its_path(kind: str, credentials: str, match: str,
                                                               problem: str) -> None:
    text = YAML.format(kind=kind, credentials=credentials.strip("{}").replace(", ", "\n    "), match=match)
    with pytest.raises(ConfigError) as refused:
        parse_teams(text)
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert "abc123" not in str(refused.value)


@pytest.mark.parametrize("kind, credentials, match", [
    ("freshdesk", "api_key_file: /run/secrets/freshdesk", "{group: Tier 1}"),
    ("intercom", "access_token_env: INTERCOM_TOKEN", "{team: Billing}"),
])
def test_a_vendor_configuration_reads_back(kind: str, credentials: str, match: str) -> None:
    parsed = parse_teams(YAML.format(kind=kind, credentials=credentials, match=match))
    assert parsed.helpdesks is not None and parsed.helpdesks[0].kind == kind
