"""The digest's pure rules as tables: where each metric's line goes (signal first), the count behind a value,
links to helpdesk tickets and Slack cards, how fresh a helpdesk's tickets are, and the keys of what the digest job
sends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.rules import keys
from bot.rules.freshness import judge, notice
from bot.rules.kpi import BY_KEY, Change, Reading
from bot.rules.kpi_digest import Place, arrange, counted_value, place
from bot.rules.linked_tickets import slack_message_url, ticket_url


def reading(key: str, value: float | None, status: str | None = None, day: float | None = None,
            week: float | None = None, target: float | None = None) -> Reading:
    metric = BY_KEY[key]
    return Reading(metric, value, target if target is not None else (1.0 if metric.target_field else None),
                   status, None if day is None else Change(day), None if week is None else Change(week))  # type: ignore[arg-type]


@pytest.mark.parametrize(("row", "sample", "expected"), [
    (reading("csat", 50.0, "red", -50, -50), 6, "off_target"),
    (reading("csat", 85.0, "amber"), 6, "off_target"),
    (reading("created", 30, None, 0.4, 45), 30, "moved"),            # +45% against the 7-day average
    (reading("created", 30, None, 45, None), 30, "moved"),           # no average: against the day before
    (reading("created", 30, None, 60, 5), 30, "steady"),             # the average wins: 5%
    (reading("fcr", 80.0, "green", 2, 1), 6, "on_target"),
    (reading("fcr", 80.0, "green", 2, 30), 6, "moved"),              # green, but moved a lot
    (reading("csat", 80.0, None, 2, 1), 3, "steady"),                # too few to judge: no status
    (reading("escalations_opened", 0, None, None, None), 0, "hidden"),  # zero, no change: no line
    (reading("escalations_opened", 0, None, 0.2, -0.3), 0, "hidden"),   # zero, changes round to 0%
    (reading("escalations_resolved", 0, None, None, -100), 0, "moved"),  # zero, down from 3 a day
    (reading("escalation_sla", None), 0, "steady"),                  # has a target: says "no escalations due"
    (reading("standup_participation", None), 0, "hidden"),           # no target, no value: no line
    (reading("pulse_score", 3.5, None, 0, 2), 6, "steady"),
    (reading("pulse_score", 4.2, None, 20, 25), 6, "steady"),        # a pulse move is judged against its noise
    (reading("enps", 33, None, 100, 50), 6, "steady"),               # in the pulse report, not by percent here
])
def test_where_a_metric_goes(row: Reading, sample: int, expected: Place) -> None:
    assert place(row, sample) == expected


def test_red_leads_amber_then_moves_by_size() -> None:
    found = arrange([reading("fcr", 60.0, "amber", None, -40), reading("created", 9, None, None, 25),
                     reading("csat", 50.0, "red", None, -5), reading("backlog", 40, None, None, -90),
                     reading("first_response_median", 20.0, "red", None, 80)],
                    {"fcr": 9, "created": 9, "csat": 9, "first_response_median": 9, "backlog": 40})
    assert [r.metric.key for r in found.off_target] == ["first_response_median", "csat", "fcr"]
    assert [r.metric.key for r in found.moved] == ["backlog", "created"]


@pytest.mark.parametrize(("key", "value", "sample", "shown"), [
    ("csat", 77.78, 9, "77.8% of 9 rated"),
    ("csat", 100.0, 3, "100.0% · too few to judge (3 rated)"),
    ("csat", None, 0, "no ratings"),
    ("first_response_median", 92.0, 41, "1 h 32 min of 41 tickets"),
    ("first_response_p90", 92.0, 2, "1 h 32 min of 2 tickets"),        # no target: nothing to judge
    ("resolution_median", 11.5, 1_204, "11.5 h of 1,204 solved"),
    ("fcr", 50.0, 20, "50.0% of 20 solved"),
    ("escalation_sla", None, 0, "no escalations due"),
    ("escalation_sla", 50.0, 4, "50.0% · too few to judge (4 SLA clocks due)"),
    ("standup_participation", 40.0, 5, "40.0% of 5 asked"),
    ("enps", 33.0, 6, "+33 of 6 answers"),
    ("created", 29, 29, "29"),                                          # a count is its own count
])
def test_a_value_shows_the_count_behind_it(key: str, value: float | None, sample: int, shown: str) -> None:
    assert counted_value(BY_KEY[key], value, sample) == shown


@pytest.mark.parametrize(("kind", "base", "ticket", "url"), [
    ("zendesk", "https://acme.zendesk.com", "4411", "https://acme.zendesk.com/agent/tickets/4411"),
    ("zendesk", "https://acme.zendesk.com/", "4411", "https://acme.zendesk.com/agent/tickets/4411"),
    ("zendesk", "https://acme.zendesk.com", "ZD-4411", None),           # an import's own id: not Zendesk's
    ("salesforce", "https://acme.my.salesforce.com", "5003000000D8cuI",
     "https://acme.my.salesforce.com/lightning/r/Case/5003000000D8cuI/view"),
    ("salesforce", "https://acme.my.salesforce.com", "00001234", None),  # a case number, not its id
    ("intercom", "https://api.intercom.io", "215468", "https://app.intercom.com/a/inbox/_/inbox/conversation/215468"),
    ("freshdesk", "https://acme.freshdesk.com", "77", "https://acme.freshdesk.com/a/tickets/77"),
    ("freshdesk", "https://acme.freshdesk.com|x", "77", None),           # would break the Slack link
    ("kayako", "https://acme.kayako.com", "77", None),
])
def test_a_ticket_links_to_its_helpdesk(kind: str, base: str, ticket: str, url: str | None) -> None:
    assert ticket_url(kind, base, ticket) == url


def test_a_card_links_to_its_slack_message() -> None:
    assert slack_message_url("C0ESC", "1762000000.000100") == "https://slack.com/archives/C0ESC/p1762000000000100"
    assert slack_message_url("C0ESC|x", "1762000000.000100") is None and slack_message_url("C0ESC", "now") is None


NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.mark.parametrize(("success", "attempt", "stale", "text"), [
    (NOW - timedelta(minutes=5), NOW, False, "tickets from Zendesk as of 08:55"),
    (NOW - timedelta(minutes=60), NOW, False, "tickets from Zendesk as of 08:00"),
    (NOW - timedelta(minutes=61), NOW, True, "⚠️ Zendesk has not synced since 07:59 (61 min ago): the figures "
                                             "may be missing tickets, not show a quiet day"),
    (NOW - timedelta(hours=20), NOW, True, "⚠️ Zendesk has not synced since Sun 1 Nov 13:00 (20 h ago): the "
                                           "figures may be missing tickets, not show a quiet day"),
    (None, None, False, "tickets from Zendesk: waiting for the first sync"),
    (None, NOW, True, "⚠️ Zendesk has never synced: the figures may be missing tickets, not show a quiet day"),
])
def test_how_fresh_the_tickets_are(success: datetime | None, attempt: datetime | None, stale: bool,
                                   text: str) -> None:
    found = judge("zendesk", "zendesk", last_success=success, last_attempt=attempt, stale_after_minutes=60, now=NOW,
                  timezone="America/New_York")
    assert (found.stale, found.text) == (stale, text)


@pytest.mark.parametrize(("was_stale", "stale", "expected"), [
    (False, True, "stale"), (True, True, None), (True, False, "recovered"), (False, False, None)])
def test_managers_are_told_once_per_change(was_stale: bool, stale: bool, expected: str | None) -> None:
    success = NOW - timedelta(hours=3 if stale else 0)
    found = judge("zendesk", "zendesk", last_success=success, last_attempt=NOW, stale_after_minutes=60, now=NOW,
                  timezone="UTC")
    assert notice(was_stale, found) == expected


# ---------------------------------------------------------------- the keys: the same strings the claims stored

@pytest.mark.parametrize(("key", "stored"), [
    (keys.kpi_digest("tier1", date(2026, 11, 1)), "kpi-digest:tier1:2026-11-01"),
    (keys.kpi_chart("tier1", date(2026, 11, 1)), "kpi-digest:tier1:2026-11-01:chart"),
    (keys.kpi_alert("tier1", "csat", date(2026, 11, 1), "red"), "kpi-alert:tier1:csat:2026-11-01:red"),
    (keys.kpi_alert("tier1", "fcr", date(2026, 11, 5), "recovered"), "kpi-alert:tier1:fcr:2026-11-05:recovered"),
    (keys.kpi_baseline_summary("tier1", "csat", date(2026, 11, 2)), "kpi-baseline:tier1:csat:2026-11-02:summary"),
    (keys.weekly_review("tier1", date(2026, 11, 9)), "escalation-review:tier1:2026-11-09"),
    (keys.helpdesk_notice("stale", "tier1", "zendesk", datetime(2026, 11, 2, 10, 30, tzinfo=UTC), "U0MANAGER"),
     "helpdesk-stale:tier1:zendesk:2026-11-02T10:30:00+00:00:U0MANAGER"),
    (keys.helpdesk_notice("stale", "tier1", "zendesk", None, "U0MANAGER"),
     "helpdesk-stale:tier1:zendesk:never:U0MANAGER"),
    (keys.helpdesk_notice("recovered", "tier1", "zendesk", datetime(2026, 11, 2, 10, 30, tzinfo=UTC), "U0M2"),
     "helpdesk-recovered:tier1:zendesk:2026-11-02T10:30:00+00:00:U0M2"),
])
def test_each_key_is_stored_as_its_claim_was_and_read_back(key: keys.Key, stored: str) -> None:
    assert str(key) == stored
    assert keys.parse(stored) == key


@pytest.mark.parametrize(("stored", "last_day"), [
    ("kpi-digest:tier1:2026-11-01", date(2026, 11, 2)),                        # sent late the next day at most
    ("kpi-baseline:tier1:csat:2026-11-02:summary", date(2026, 12, 3)),          # its plan's 30 days, and one
    ("escalation-review:tier1:2026-11-09", date(2026, 11, 9)),
    ("helpdesk-stale:tier1:zendesk:2026-11-02T10:30:00+00:00:U0MANAGER", date(2026, 11, 3)),
])
def test_how_long_each_key_is_remembered(stored: str, last_day: date) -> None:
    found = keys.parse(stored)
    assert found is not None and found.remembered.last_day == last_day
