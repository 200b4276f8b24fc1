"""The customer's reply that ends a wait on the customer, as tables: which reply ends it (`ending_reply`), how a
documented reply time reads (`reply_time`), and each helpdesk's field, from its documented shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.rules import freshdesk, intercom, zendesk
from bot.rules.customer_replies import Reply, ending_reply, reply_time
from bot.rules.escalation_changes import EscalationState, customer_replied


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, 2, hours, minutes, tzinfo=UTC)


PAUSED = at("10:00")
NOW = at("12:00")


@pytest.mark.parametrize(("paused_at", "replies", "expected"), [
    (None, [Reply("Zendesk #1", at("11:00"))], None),  # not waiting: nothing to end
    (PAUSED, [], None),  # no linked ticket a helpdesk holds
    (PAUSED, [Reply("Zendesk #1", None)], None),  # the helpdesk says no reply
    (PAUSED, [Reply("Zendesk #1", at("09:59"))], None),  # a reply from before the pause
    (PAUSED, [Reply("Zendesk #1", PAUSED)], None),  # at the very moment it paused: not after it
    (PAUSED, [Reply("Zendesk #1", at("10:30"))], Reply("Zendesk #1", at("10:30"))),
    (PAUSED, [Reply("Zendesk #1", at("09:00")), Reply("Freshdesk #7", at("11:15"))],
     Reply("Freshdesk #7", at("11:15"))),  # one linked ticket old, the other new
    (PAUSED, [Reply("Zendesk #1", at("11:40")), Reply("Freshdesk #7", at("10:20"))],
     Reply("Freshdesk #7", at("10:20"))),  # the first reply after the pause ended it
    (PAUSED, [Reply("Zendesk #1", at("13:00"))], Reply("Zendesk #1", NOW)),  # a helpdesk clock ahead: capped
])
def test_which_reply_ends_the_wait(paused_at: datetime | None, replies: list[Reply],
                                   expected: Reply | None) -> None:
    assert ending_reply(paused_at, replies, NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-02T10:30:00Z", at("10:30")),  # Zendesk, Freshdesk
    ("2026-11-02T05:30:00-05:00", at("10:30")),
    ("2026-11-02T10:30:00", at("10:30")),  # no offset: UTC
    (int(at("10:30").timestamp()), at("10:30")),  # Intercom: Unix seconds
    (None, None), ("", None), ("yesterday", None), (True, None), ({"at": 1}, None), (10**20, None),
])
def test_a_documented_reply_time(value: object, expected: datetime | None) -> None:
    assert reply_time(value) == expected


def test_zendesk_reads_the_metric_sets_requester_updated_at() -> None:
    body = {"tickets": [{"id": 4411}, {"id": 4412}, {"id": 4413}], "metric_sets": [
        {"id": 1, "ticket_id": 4411, "requester_updated_at": "2026-11-02T10:30:00Z", "replies": 1},
        {"id": 2, "ticket_id": 4412, "requester_updated_at": None},
        {"id": 3, "ticket_id": 4413, "requester_updated_at": "not a time"}, "junk", {"requester_updated_at": "x"}]}
    assert zendesk.customer_replies(body) == {"4411": at("10:30")}
    assert zendesk.customer_replies({"tickets": []}) == {} and zendesk.customer_replies(None) == {}


def test_freshdesk_reads_stats_requester_responded_at() -> None:
    body = [{"id": 77, "stats": {"agent_responded_at": "2026-11-02T09:00:00Z",
                                 "requester_responded_at": "2026-11-02T10:30:00Z"}},
            {"id": 78, "stats": {"requester_responded_at": None}}, {"id": 79}, {"stats": {}}, "junk"]
    assert freshdesk.customer_replies(body) == {"77": at("10:30")}
    assert freshdesk.customer_replies({"tickets": []}) == {}


def test_intercom_reads_statistics_last_contact_reply_at() -> None:
    body = {"type": "conversation.list", "conversations": [
        {"id": "123", "statistics": {"type": "conversation_statistics",
                                     "last_contact_reply_at": int(at("10:30").timestamp())}},
        {"id": "124", "statistics": {"last_contact_reply_at": None}}, {"id": "125", "statistics": None}]}
    assert intercom.customer_replies(body) == {"123": at("10:30")}
    assert intercom.customer_replies([]) == {}


def test_the_reply_resumes_with_the_customer_as_actor_and_moves_the_due_times() -> None:
    state = EscalationState(id=1, priority="P1", status="acknowledged", owner="U1", opened_at=at("09:00"),
                            priority_changed_at=at("09:00"), acknowledged_at=at("09:05"), paused_at=PAUSED)
    change = customer_replied(state, "Zendesk #4411", at("10:30"))
    assert change.state.paused_at is None and change.state.pauses == ((PAUSED, at("10:30")),)
    assert [(e.kind, e.actor, e.at, e.note) for e in change.events] == [
        ("resumed", "customer", at("10:30"), "the customer replied in Zendesk #4411")]
