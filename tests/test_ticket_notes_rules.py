"""The tickets behind an escalation, as tables: which source holds a linked ticket, which note each timeline event
puts on it, how its body is written for each helpdesk, which stored tickets are behind an open escalation, and
Zendesk's side-loaded assignees."""

from __future__ import annotations

from typing import Any

import pytest

from bot.rules import freshdesk, intercom, keys
from bot.rules.delivery_failures import kind_of
from bot.rules.ticket_notes import Facts, Source, Target, assignee_text, body_for, escalated_tickets, note_text, targets
from bot.rules.zendesk import assignees

ZD = Source("zendesk", "zendesk", "https://acme.zendesk.com")
ZD_EU = Source("zendesk-eu", "zendesk", "https://acme-eu.zendesk.com")
FD = Source("freshdesk", "freshdesk", "https://acme.freshdesk.com")


def link(system: str | None, ref: str, url: str | None = None) -> dict[str, Any]:
    return {"system": system, "ref": ref, "url": url}


@pytest.mark.parametrize("tickets, sources, team_source, expected", [
    ([link("Zendesk", "1", "https://acme.zendesk.com/agent/tickets/1")], [ZD], None,
     [Target("zendesk", "zendesk", "1")]),
    # by the link's host, among two sources of the kind
    ([link("Zendesk", "2", "https://acme-eu.zendesk.com/agent/tickets/2")], [ZD, ZD_EU], "zendesk",
     [Target("zendesk-eu", "zendesk", "2")]),
    # another host: the team's own source
    ([link("Zendesk", "3", "https://other.zendesk.com/agent/tickets/3")], [ZD, ZD_EU], "zendesk-eu",
     [Target("zendesk-eu", "zendesk", "3")]),
    # another host, two sources, the team's is neither: nobody's
    ([link("Zendesk", "3", "https://other.zendesk.com/agent/tickets/3")], [ZD, ZD_EU], None, []),
    # a plain id, another link, a helpdesk nobody configured: no note
    ([link(None, "#9001"), link(None, "https://x.example/1", "https://x.example/1"),
      link("Intercom", "5", "https://app.intercom.com/a/apps/x/conversations/5")], [ZD, FD], "zendesk", []),
    # each once, in the order linked
    ([link("Freshdesk", "7", "https://acme.freshdesk.com/a/tickets/7"), link("Zendesk", "1"), link("Zendesk", "1")],
     [ZD, FD], None, [Target("freshdesk", "freshdesk", "7"), Target("zendesk", "zendesk", "1")]),
])
def test_which_source_holds_a_linked_ticket(tickets: list[dict[str, Any]], sources: list[Source],
                                            team_source: str | None, expected: list[Target]) -> None:
    assert targets(tickets, sources, team_source) == expected


BASE = {"ref": "ESC-4", "priority": "P1", "customer": "ACME", "summary": "Checkout fails", "actor": "U1"}


@pytest.mark.parametrize("kind, note, root_cause, expected", [
    ("opened", "Checkout fails", None,
     "Escalated in Slack by U1: ESC-4 P1 · ACME: Checkout fails. The escalation's updates will be noted here."),
    ("acknowledged", None, None, "ESC-4 was acknowledged in Slack by U1."),
    ("customer_update", "We are on it", None, "ESC-4: the customer was sent an update by U1:\nWe are on it"),
    ("resolved", "Rolled back", "outage",
     "ESC-4 was resolved in Slack by U1 (root cause: outage). Outcome: Rolled back"),
    ("resolved", None, None, "ESC-4 was resolved in Slack by U1. Outcome: not given"),
    ("update", "internal", None, None),  # an internal update stays in Slack
    ("assigned", None, None, None),
    ("priority", None, None, None),
    ("reopened", "again", None, None),
])
def test_which_note_an_event_implies(kind: str, note: str | None, root_cause: str | None,
                                     expected: str | None) -> None:
    assert note_text(Facts(**BASE, kind=kind, note=note, root_cause=root_cause)) == expected


@pytest.mark.parametrize("kind, text, expected", [
    ("zendesk", "a <b> & c\nd", "a <b> & c\nd"),  # plain text
    ("freshdesk", "a <b> & c\nd", "a &lt;b&gt; &amp; c<br>d"),  # HTML
    ("intercom", "x\ny", "x<br>y"),
    ("salesforce", "é" * 2500, "é" * 2000),  # 4,000 bytes at most, never a broken character
])
def test_a_notes_body_for_each_helpdesk(kind: str, text: str, expected: str) -> None:
    assert body_for(kind, text) == expected


def test_open_escalations_mark_their_tickets_of_the_teams_helpdesk() -> None:
    open_escalations = [("ESC-1", [link("Zendesk", "11"), link(None, "#12"), link("Freshdesk", "13")]),
                        ("ESC-2", [link("Zendesk", "11"), link(None, "https://x.example/14", "https://x.example/14")])]
    assert escalated_tickets(open_escalations, "zendesk") == {"11": "ESC-1", "12": "ESC-1"}
    assert escalated_tickets(open_escalations, None) == {"12": "ESC-1"}


def test_zendesks_side_loaded_assignees() -> None:
    body = {"tickets": [{"id": 1, "assignee_id": 7}, {"id": 2, "assignee_id": None}, {"id": 3, "assignee_id": 8},
                        "junk"], "users": [{"id": 7, "email": "ana@acme.com"}, {"id": 9, "email": "x@acme.com"}]}
    assert assignees(body) == {"1": "ana@acme.com", "2": None}
    assert assignees(None) == {}


def test_the_keys_and_what_a_refusal_means() -> None:
    assert str(keys.ticket_note(4, "zendesk", "4411", 9)) == "esc:4:ticket:zendesk:4411:note:9"
    assert str(keys.ticket_assignee_dm(4, "zendesk", "4411", 9)) == "esc:4:ticket:zendesk:4411:assignee:9"
    assert keys.parse("esc:4:ticket:zendesk:4411:note:9") == keys.ticket_note(4, "zendesk", "4411", 9)
    assert [kind_of(c) for c in ("invalid_note", "ticket_not_found", "users_not_found", "http_429", "http_503")] == \
        ["permanent", "permanent", "permanent", "transient", "transient"]


def test_the_assignees_dm_escapes_what_people_typed() -> None:
    assert assignee_text("ESC-4", "<!here> down", "fixed & done", "Zendesk #1") == (
        "ESC-4 (&lt;!here&gt; down), escalated from your ticket Zendesk #1, is resolved. Outcome: fixed &amp; done")


def test_freshdesk_and_intercom_assignees() -> None:
    assert freshdesk.responders([{"id": 1, "responder_id": 3}, {"id": 2, "responder_id": None}, {"id": 4}, "x"]) \
        == {"1": 3, "2": None, "4": None}
    assert freshdesk.agent_emails([{"id": 3, "contact": {"email": "ana@acme.com"}}, {"id": 4, "contact": {}},
                                   {"id": "5", "contact": {"email": "x@acme.com"}}]) == {3: "ana@acme.com"}
    assert freshdesk.agent_emails({"message": "nope"}) == {}
    found = {"conversations": [{"id": "9", "admin_assignee_id": 814860}, {"id": "10", "admin_assignee_id": None}]}
    assert intercom.assignees(found) == {"9": "814860", "10": None}
    assert intercom.admin_emails({"admins": [{"id": "814860", "email": "ana@acme.com"}, {"id": "1"}]}) == \
        {"814860": "ana@acme.com"}
    assert intercom.admin_emails([]) == {}
