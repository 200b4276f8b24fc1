"""Helpdesk exports read as generic tickets: the format told by the header, each vendor's columns and values
mapped, and every bad row refused with its line (the header is line 1) and a reason a person understands."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.rules.ticket_dates import (
    DAY_FIRST,
    MONTH_FIRST,
    AmbiguousDates,
    DateProblem,
    DateReading,
    decide,
    iso,
)
from bot.rules.ticket_formats import TicketReader, UnknownFormat, column, detect
from bot.rules.ticket_rows import RowError, TicketRow

GENERIC_HEADER = "id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,sla_breached"
ZENDESK_HEADER = ("Id,Requester,Subject,Status,Priority,Via,Ticket type,Created at,Updated at,Solved at,"
                  "Satisfaction Score,Reopens,Replies,First reply time in minutes")
SALESFORCE_HEADER = "Id,CaseNumber,Subject,Status,Origin,Priority,CreatedDate,ClosedDate,MilestoneStatus"
SALESFORCE_REPORT_HEADER = "Case Number,Subject,Status,Case Origin,Date/Time Opened,Date/Time Closed"
INTERCOM_HEADER = ("Conversation ID,Conversation started at (America/New_York),"
                   "Conversation first replied at (America/New_York),Conversation last closed at (America/New_York),"
                   "Current conversation state,Channel,Last teammate rating")
INTERCOM_API_HEADER = ("id,created_at,state,statistics.first_admin_reply_at,statistics.last_close_at,"
                       "statistics.count_reopens,conversation_rating.rating,source.type,sla_applied.sla_status")
FRESHDESK_HEADER = ("Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,Resolved time,"
                    "Closed time,Last update time,Initial response time,Agent interactions,Customer interactions,"
                    "Resolution status,First response status,Survey results")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


NEW_YORK = ZoneInfo("America/New_York")


def read(header: str, *rows: str, team: str | None = None, teams: set[str] | None = None, zone: tzinfo = UTC
         ) -> list[TicketRow | RowError]:
    text = "\n".join((header, *rows)) + "\n"
    return list(TicketReader(io.StringIO(text, newline="")).rows(team=team, teams=teams, zone=zone))


def fields(ticket: TicketRow | RowError) -> dict[str, Any]:
    assert isinstance(ticket, TicketRow), ticket
    return ticket.model_dump(by_alias=True)


@pytest.mark.parametrize("header, expected", [
    (GENERIC_HEADER, "generic"),
    ("id,created_at,status", "generic"),
    (ZENDESK_HEADER, "zendesk"),
    (ZENDESK_HEADER.upper(), "zendesk"),
    (SALESFORCE_HEADER, "salesforce"),
    (SALESFORCE_REPORT_HEADER, "salesforce"),
    (INTERCOM_HEADER, "intercom"),
    ("Conversation ID,Conversation started at,Current conversation state", "intercom"),
    (INTERCOM_API_HEADER, "intercom"),
    (FRESHDESK_HEADER, "freshdesk"),
    ("\ufeffTicket ID , Created time,Status", "freshdesk"),
    ("a,b,c", None),
    ("Id,Subject,Status", None),
])  # fmt: skip
def test_the_format_is_told_by_the_header(header: str, expected: str | None) -> None:
    found = detect(header.lstrip("\ufeff").split(","))
    assert (found.key if found else None) == expected


@pytest.mark.parametrize("cell, expected", [
    ("Conversation started at (America/New_York)", ("conversation started at", NEW_YORK)),
    (" Conversation last closed at  (Europe/Paris) ", ("conversation last closed at", ZoneInfo("Europe/Paris"))),
    ("First response time (in hrs)", ("first response time (in hrs)", None)),
    ("Landed at (Mars/Olympus)", ("landed at (mars/olympus)", None)),
    ("Created time", ("created time", None)),
])  # fmt: skip
def test_a_column_may_name_the_zone_of_its_times(cell: str, expected: tuple[str, tzinfo | None]) -> None:
    assert column(cell) == expected


def test_an_unknown_header_names_the_formats_it_would_have_read() -> None:
    with pytest.raises(UnknownFormat, match=r"Zendesk ticket export.*Freshdesk ticket export"):
        TicketReader(io.StringIO("a,b\n1,2\n"))
    with pytest.raises(UnknownFormat, match="empty"):
        TicketReader(io.StringIO(""))


def test_whether_the_file_names_teams() -> None:
    assert TicketReader(io.StringIO(GENERIC_HEADER + "\n")).has_team
    assert not TicketReader(io.StringIO("id,created_at,status\n")).has_team
    assert not TicketReader(io.StringIO(ZENDESK_HEADER + "\n")).has_team


@pytest.mark.parametrize("header, row, expected", [
    (GENERIC_HEADER,
     "T1,tier1,2026-11-02T09:00:00-05:00,2026-11-02T09:30:00-05:00,2026-11-03 10:00,solved,email,5,1,2,true",
     {"id": "T1", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"),
      "first_response_at": at("2026-11-02T14:30:00+00:00"), "solved_at": at("2026-11-03T10:00:00+00:00"),
      "status": "solved", "channel": "email", "csat": True, "reopens": 1, "agent_replies": 2, "sla_breached": True}),
    (GENERIC_HEADER, "T2,tier1,2026-11-02T23:30:00Z,,,On Hold,,bad,,,",
     {"id": "T2", "team": "tier1", "created_at": at("2026-11-02T23:30:00+00:00"), "first_response_at": None,
      "solved_at": None, "status": "on_hold", "channel": None, "csat": False, "reopens": 0, "agent_replies": None,
      "sla_breached": False}),
    (ZENDESK_HEADER, "4411,Ann,Login,Solved,High,Web form,Incident,2026-11-02 14:00:00,2026-11-03 09:00:00,"
     "2026-11-02 18:00:00,Good,2,3,45",
     {"id": "4411", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"),
      "first_response_at": at("2026-11-02T14:45:00+00:00"), "solved_at": at("2026-11-02T18:00:00+00:00"),
      "status": "solved", "channel": "Web form", "csat": True, "reopens": 2, "agent_replies": 3,
      "sla_breached": False}),
    (ZENDESK_HEADER, "4412,Bo,Help,Hold,Low,Email,Question,2026-11-02T10:00:00+01:00,,,Offered,0,0,",
     {"id": "4412", "team": "tier1", "created_at": at("2026-11-02T09:00:00+00:00"), "first_response_at": None,
      "solved_at": None, "status": "on_hold", "channel": "Email", "csat": None, "reopens": 0, "agent_replies": 0,
      "sla_breached": False}),
    (SALESFORCE_HEADER, "5003000000D8cuI,00001026,Broken,Closed,Phone,High,2026-11-02T14:00:00.000Z,"
     "2026-11-04T14:00:00.000Z,Closed Violation",
     {"id": "00001026", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"), "first_response_at": None,
      "solved_at": at("2026-11-04T14:00:00+00:00"), "status": "closed", "channel": "Phone", "csat": None,
      "reopens": 0, "agent_replies": None, "sla_breached": True}),
    (SALESFORCE_REPORT_HEADER, "00001027,Slow,Working,Web,2026-11-02 15:00,",
     {"id": "00001027", "team": "tier1", "created_at": at("2026-11-02T15:00:00+00:00"), "first_response_at": None,
      "solved_at": None, "status": "open", "channel": "Web", "csat": None, "reopens": 0, "agent_replies": None,
      "sla_breached": False}),
    # Intercom names the zone of its times in the header: 09:00 in New York on 2 November is 14:00 UTC
    (INTERCOM_HEADER, "215,2026-11-02 09:00:00,2026-11-02 09:05:00,2026-11-02 10:00:00,closed,Chat,4",
     {"id": "215", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"),
      "first_response_at": at("2026-11-02T14:05:00+00:00"), "solved_at": at("2026-11-02T15:00:00+00:00"),
      "status": "solved", "channel": "Chat", "csat": True, "reopens": 0, "agent_replies": None,
      "sla_breached": False}),
    (INTERCOM_API_HEADER, "216,1793628000,snoozed,1793628300,,1,2,email,missed",
     {"id": "216", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"),
      "first_response_at": at("2026-11-02T14:05:00+00:00"), "solved_at": None, "status": "pending",
      "channel": "email", "csat": False, "reopens": 1, "agent_replies": None, "sla_breached": True}),
    (FRESHDESK_HEADER, "77,Refund,Resolved,Medium,Email,Question,Ana,Billing,2026-11-02 14:00:00,2026-11-03 14:00:00,"
     "2026-11-02 20:00:00,,2026-11-02 20:00:00,2026-11-02 14:30:00,1,2,SLA Violated,Within SLA,Awesome",
     {"id": "77", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"),
      "first_response_at": at("2026-11-02T14:30:00+00:00"), "solved_at": at("2026-11-02T20:00:00+00:00"),
      "status": "solved", "channel": "Email", "csat": True, "reopens": 0, "agent_replies": 1,
      "sla_breached": True}),
    (FRESHDESK_HEADER, "78,Spam,5,Low,Portal,,,,2026-11-02 14:00:00,,,2026-11-02 16:00:00,,,0,1,Within SLA,,Not Good",
     {"id": "78", "team": "tier1", "created_at": at("2026-11-02T14:00:00+00:00"), "first_response_at": None,
      "solved_at": at("2026-11-02T16:00:00+00:00"), "status": "closed", "channel": "Portal", "csat": False,
      "reopens": 0, "agent_replies": 0, "sla_breached": False}),
])  # fmt: skip
def test_each_format_maps_to_the_generic_fields(header: str, row: str, expected: dict[str, Any]) -> None:
    [ticket] = read(header, row, team="tier1")
    assert fields(ticket) == expected


@pytest.mark.parametrize("header, rows, expected", [
    (GENERIC_HEADER, ["T1,tier1,2026-13-45T00:00:00Z,,,open,,,,,"],
     [(2, "created_at: bad date '2026-13-45T00:00:00Z' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)")]),
    (GENERIC_HEADER, [",tier1,2026-11-02T00:00:00Z,,,open,,,,,"], [(2, "missing id")]),
    (GENERIC_HEADER, ["T1,tier9,2026-11-02T00:00:00Z,,,open,,,,,"], [(2, "unknown team 'tier9'")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,2026-11-02T09:00:00Z,solved,,,,,"],
     [(2, "solved_at is before created_at")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,2026-11-02T09:00:00Z,,open,,,,,"],
     [(2, "first_response_at is before created_at")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,,in progress,,,,,"],
     [(2, "unknown status 'in progress' (expected new, open, pending, on_hold, solved, closed)")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,,open,,6,,,"],
     [(2, "bad csat '6' (expected good, bad or a score of 1-5)")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,,open,,,-1,,"],
     [(2, "reopens: expected a whole number, got '-1'")]),
    (GENERIC_HEADER, ["T1,tier1,,,,open,,,,,"], [(2, "missing created_at")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,,,,,,,"], [(2, "missing status")]),
    (GENERIC_HEADER, ["T1,tier1,2026-11-02T10:00:00Z,,,open,,,,,,extra"],
     [(2, "12 values, but the header has 11 columns")]),
    (GENERIC_HEADER, ["T1,,2026-11-02T10:00:00Z,,,open,,,,,"],
     [(2, "missing team (this file has no team for the row: give --team KEY)")]),
    # a quoted value spanning lines: the next record's line is still its line in the file
    (GENERIC_HEADER, ['"T1",tier1,2026-11-02T10:00:00Z,,,open,"chat\nwidget",,,,', "", "T2,tier1,nope,,,open,,,,,"],
     [(5, "created_at: bad date 'nope' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)")]),
    (ZENDESK_HEADER, ["4411,Ann,Login,Deleted,High,Web form,Incident,2026-11-02 14:00:00,,,,0,0,"],
     [(2, "unknown status 'Deleted' (expected new, open, pending, on_hold, solved, closed)")]),
    (ZENDESK_HEADER, ["4411,Ann,Login,Open,High,Web form,Incident,2026-11-02 14:00:00,,,,0,0,soon"],
     [(2, "First reply time in minutes: expected a number, got 'soon'")]),
    (SALESFORCE_HEADER, ["x,00001026,Broken,Closed,Phone,High,2026-11-04T14:00:00Z,2026-11-02T14:00:00Z,"],
     [(2, "solved_at is before created_at")]),
    (INTERCOM_HEADER, ["215,yesterday,,,closed,Chat,"],
     [(2, "created_at: bad date 'yesterday' (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)")]),
    (FRESHDESK_HEADER, ["79,Refund,Escalated to L2,Medium,Email,,,,2026-11-02 14:00:00,,,,,,,,,,"],
     [(2, "unknown status 'Escalated to L2' (expected new, open, pending, on_hold, solved, closed)")]),
])  # fmt: skip
def test_a_bad_row_is_refused_with_its_line_and_reason(header: str, rows: list[str],
                                                       expected: list[tuple[int, str]]) -> None:
    found = read(header, *rows, team=None if header == GENERIC_HEADER else "tier1", teams={"tier1"})
    assert [(e.line, e.reason) for e in found if isinstance(e, RowError)] == expected


def test_times_without_an_offset_are_read_in_the_zone_given_across_a_dst_change() -> None:
    # New York leaves daylight time at 02:00 on Sunday 1 November 2026: 01:00-02:00 happens twice
    found = read(GENERIC_HEADER,
                 "T1,tier1,2026-10-31 12:00,,2026-11-01 12:00,solved,,,,,",
                 "T2,tier1,2026-11-01 01:30,2026-11-01T01:45:00-05:00,,open,,,,,",
                 "T3,tier1,2026-11-01T12:00:00Z,,,open,,,,,", zone=NEW_YORK)
    t1, t2, t3 = (fields(ticket) for ticket in found)
    assert (t1["created_at"], t1["solved_at"]) == (at("2026-10-31T16:00:00+00:00"), at("2026-11-01T17:00:00+00:00"))
    assert t1["solved_at"] - t1["created_at"] == timedelta(hours=25)  # the day that lasts 25 hours
    assert t2["created_at"] == at("2026-11-01T05:30:00+00:00")  # the hour that repeats: its first time (EDT)
    assert t2["first_response_at"] == at("2026-11-01T06:45:00+00:00")  # an offset in the file wins
    assert t3["created_at"] == at("2026-11-01T12:00:00+00:00")


def test_minutes_after_creation_count_in_real_time_across_a_dst_change() -> None:
    # 00:30 EDT (04:30 UTC) plus 120 minutes is 06:30 UTC, which New York's clocks show as 01:30 EST
    [ticket] = read(ZENDESK_HEADER, "4413,Cy,Late,Pending,Low,Email,Question,2026-11-01 00:30:00,,,,0,1,120",
                    team="tier1", zone=NEW_YORK)
    assert fields(ticket)["first_response_at"] == at("2026-11-01T06:30:00+00:00")


def test_a_zone_in_the_header_wins_over_the_zone_given() -> None:
    [ticket] = read(INTERCOM_HEADER, "215,2026-11-02 09:00:00,,,open,Chat,", team="tier1",
                    zone=ZoneInfo("Europe/Paris"))
    assert fields(ticket)["created_at"] == at("2026-11-02T14:00:00+00:00")


def test_the_rest_of_the_file_loads_around_bad_rows() -> None:
    found = read(GENERIC_HEADER,
                 "T1,tier1,2026-11-02T10:00:00Z,,,open,,,,,",
                 "T2,tier1,bad,,,open,,,,,",
                 "",
                 "T3,tier1,2026-11-02T11:00:00Z,,2026-11-02T12:00:00Z,closed,,,,,", teams={"tier1"})
    assert [t.id if isinstance(t, TicketRow) else t.line for t in found] == ["T1", 3, "T3"]


def test_a_team_given_on_the_command_line_fills_rows_that_name_none() -> None:
    found = read(GENERIC_HEADER, "T1,,2026-11-02T10:00:00Z,,,open,,,,,", "T2,tier2,2026-11-02T10:00:00Z,,,open,,,,,",
                 team="tier1")
    assert [t.team for t in found if isinstance(t, TicketRow)] == ["tier1", "tier2"]


@pytest.mark.parametrize("value, expected", [
    ("good", True), ("bad", False), ("5", True), ("4", True), ("3", False), ("1", False), ("", None),
    (5, True), (2, False), (True, True),
])  # fmt: skip
def test_csat_on_both_scales(value: object, expected: bool | None) -> None:
    ticket = TicketRow.model_validate({"id": "1", "created_at": "2026-11-02T10:00:00Z", "status": "open",
                                       "csat": value})
    assert ticket.csat_good is expected


# ---------------------------------------------------------------- dates as vendors' locales write them

MONTH_FIRST_READING = DateReading(MONTH_FIRST, "as --date-format says")
DAY_FIRST_READING = DateReading(DAY_FIRST, "as --date-format says")


@pytest.mark.parametrize("text, reading, expected", [
    ("2026-11-02T14:00:00Z", None, "2026-11-02T14:00:00Z"),  # ISO: as it is
    ("2026-11-02 14:00", None, "2026-11-02 14:00"),
    ("2024-03-05 14:22:00 UTC", None, "2024-03-05T14:22:00+00:00"),
    ("2024-03-05 14:22:00 -0700", None, "2024-03-05T14:22:00-07:00"),
    ("3/5/2024 2:22 PM", MONTH_FIRST_READING, "2024-03-05T14:22:00"),  # Salesforce, English (United States)
    ("3/5/2024 2:22 PM", DAY_FIRST_READING, "2024-05-03T14:22:00"),
    ("12/6/2026 2:31 PM", MONTH_FIRST_READING, "2026-12-06T14:31:00"),
    ("12/6/2026 12:05 AM", MONTH_FIRST_READING, "2026-12-06T00:05:00"),
    ("12/6/2026 12:05 pm", MONTH_FIRST_READING, "2026-12-06T12:05:00"),
    ("05/03/2024 14:22", DAY_FIRST_READING, "2024-03-05T14:22:00"),  # day-first locales
    ("05.03.2024 14:22:09", DAY_FIRST_READING, "2024-03-05T14:22:09"),
    ("13/03/2024 09:00", None, "2024-03-13T09:00:00"),  # tells its own order
    ("03/13/2024", None, "2024-03-13T00:00:00"),
    ("07/07/2024 10:00", None, "2024-07-07T10:00:00"),  # the same either way
    ("2024/03/05 14:22", None, "2024-03-05T14:22:00"),
    ("Mar 5, 2024 2:22 PM", None, "2024-03-05T14:22:00"),
    ("March 5, 2024 at 2:22 PM", None, "2024-03-05T14:22:00"),
    ("5 Mar 2024 14:22", None, "2024-03-05T14:22:00"),
    ("Tue, 05 Mar 2024 14:22:00 +0000", None, "2024-03-05T14:22:00+00:00"),
    ("1709648520", None, "1709648520"),  # Unix seconds: Intercom's API, read later
    ("yesterday", None, "yesterday"),  # no form: parsing refuses it later
])  # fmt: skip
def test_vendor_dates_read_as_iso(text: str, reading: DateReading | None, expected: str) -> None:
    assert iso(text, reading) == expected


@pytest.mark.parametrize("text, reading, message", [
    ("03/05/2024 14:22", None, "the date '03/05/2024 14:22' could be day-first or month-first: give --date-format"),
    ("03/14/2024", DAY_FIRST_READING, "bad date '03/14/2024' (no such day; this file's dates are read day-first, "
                                      "DD/MM/YYYY, as --date-format says)"),
    ("3/5/2024 13:22 PM", MONTH_FIRST_READING, "bad date '3/5/2024 13:22 PM' (hour 13 with PM)"),
    ("3/5/2024 2:61", MONTH_FIRST_READING, "bad date '3/5/2024 2:61' (no such time of day)"),
    ("3/5/2024 noon", MONTH_FIRST_READING,
     "bad date '3/5/2024 noon' (the time of day is not H:MM, H:MM:SS or H:MM AM/PM)"),
])  # fmt: skip
def test_a_vendor_date_that_cannot_be_read_says_why(text: str, reading: DateReading | None, message: str) -> None:
    with pytest.raises(DateProblem) as problem:
        iso(text, reading)
    assert str(problem.value) == message


@pytest.mark.parametrize("dates, expected", [
    ([], None),
    ([(2, "2026-11-02T14:00:00Z")], None),
    ([(2, "07/07/2024")], None),
    ([(2, "3/5/2024 2:22 PM"), (3, "3/15/2024 9:00 AM")],
     DateReading(MONTH_FIRST, "as '3/15/2024 9:00 AM' on line 3 shows")),
    ([(2, "05/03/2024"), (9, "13/03/2024")], DateReading(DAY_FIRST, "as '13/03/2024' on line 9 shows")),
])  # fmt: skip
def test_one_reading_is_decided_for_the_whole_file(dates: list[tuple[int, str]], expected: DateReading | None) -> None:
    assert decide(dates) == expected


def test_a_file_of_ambiguous_dates_alone_is_refused_naming_the_option() -> None:
    with pytest.raises(AmbiguousDates) as refused:
        decide([(2, "07/07/2024"), (3, "05/03/2024 14:22"), (4, "06/03/2024")])
    assert str(refused.value) == ("line 3: the date '05/03/2024 14:22' could be day-first or month-first and no date "
                                  "in the file tells which: give --date-format day-first or --date-format month-first")
