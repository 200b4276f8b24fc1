"""Helpdesk exports, read as tickets in the generic fields (DESIGN.md 3.3).

The format is told by the header row: the generic CSV, or the ticket export of Zendesk, the case export of
Salesforce Service Cloud, the conversation export of Intercom or the ticket export of Freshdesk, each with
the column names its vendor documents (the README lists every mapping and cites the pages). A column may
name the zone its times are written in, as Intercom's do (`Conversation started at (America/New_York)`);
other times without an offset are read in the zone the reader is given (UTC unless told). Rows stream:
`TicketReader.rows()` yields a `TicketRow` or a `RowError` per record, with the record's first line in the
file (the header is line 1; a quoted value may span lines)."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from bot.rules.ticket_dates import DateProblem, DateReading, iso
from bot.rules.ticket_rows import FIELDS, TIMES, RowError, TicketRow, instant, localized, parse_text, reason

Values = dict[str, str | None]
Plan = tuple[tuple[str, bool, tuple[tuple[int, tzinfo | None], ...]], ...]
"""Per generic field: whether it is a time, and its columns' positions and zones (`Format.plan`)."""


UNTIMED_SOLVED = {status: f"status {status} but no solved_at: a ticket {status} at no known time is refused (it "
                           f"would count as open in the backlog for ever); export its solved time"
                   for status in ("solved", "closed")}
"""Why a row that says it is solved (or closed) without saying when is rejected."""


class UnknownFormat(ValueError):
    """The header row is none of the formats (or there is no header row)."""


class RowProblem(ValueError):
    """A vendor value that cannot be mapped to the generic fields (the message is the reason)."""


@dataclass(frozen=True)
class Format:
    """One export format: for each generic field, the vendor's column names (the first one the file has,
    with a value on that row, is used) and how the vendor's values read as ours."""

    key: str
    name: str
    columns: Mapping[str, tuple[str, ...]]
    marks: tuple[tuple[str, ...], ...]
    """Header sets that identify the format: it matches when the header holds every name of one set."""
    statuses: Mapping[str, str] = field(default_factory=dict)
    """The vendor's status (case-insensitive) -> ours; another value is kept and refused as unknown."""
    csat: Mapping[str, str] = field(default_factory=dict)
    """The vendor's satisfaction values -> good, bad, or "" for unrated."""
    adjust: Callable[[Values, Mapping[str, str | None]], None] | None = None
    """Anything else the vendor needs (e.g. a time given in minutes since creation), given the generic
    values and the row's raw cells by lower-cased column name."""

    @cached_property
    def _names(self) -> dict[str, tuple[str, ...]]:
        """`columns` as `_name` writes them, worked out once rather than on every row."""
        return {generic: tuple(_name(n) for n in names) for generic, names in self.columns.items()}

    def matches(self, names: Container[str]) -> bool:
        """Whether a header (its columns as `_name` writes them) is this format's."""
        return any(all(_name(mark) in names for mark in marks) for marks in self.marks)

    def has_team(self, names: Container[str]) -> bool:
        return any(name in names for name in self._names.get("team", ()))

    def generic(self, cells: Mapping[str, str | None], zones: Mapping[str, tzinfo], zone: tzinfo,
                dates: DateReading | None = None) -> Values:
        """The row's generic values from its cells (keys: columns as `_name` writes them). A time without an
        offset is read in its column's own zone (`zones`), else in `zone`; a numeric date as `dates` says."""
        values: Values = {}
        for generic, names in self._names.items():
            found = next(((n, v) for n in names if (v := cells.get(n)) not in (None, "")), None)
            if found is None:
                values[generic] = None
            elif generic in TIMES:
                values[generic] = localized(_iso(generic, found[1], dates), zones.get(found[0], zone))
            else:
                values[generic] = found[1]
        return self._mapped(values, lambda: cells)

    def plan(self, names: Sequence[str], zones: Mapping[str, tzinfo]) -> Plan:
        """For a header (its columns as `_name` writes them), each generic field's columns as positions, in
        the order they are preferred, with the zone each names (a later column of the same name wins)."""
        position = {name: index for index, name in enumerate(names)}
        return tuple((generic, generic in TIMES, tuple((position[n], zones.get(n)) for n in found if n in position))
                     for generic, found in self._names.items())

    def generic_row(self, record: Sequence[str], plan: Plan, names: Sequence[str], zone: tzinfo,
                    dates: DateReading | None = None) -> Values:
        """`generic` for a record (no longer than the header `plan` was made for) read by position."""
        values: Values = {}
        width = len(record)
        for generic, timed, columns in plan:
            value = None
            for index, own in columns:
                if index < width and (cell := record[index]) != "":
                    value = localized(_iso(generic, cell, dates), zone if own is None else own) if timed else cell
                    break
            values[generic] = value
        return self._mapped(values, lambda: dict(zip(names, record, strict=False)))

    def _mapped(self, values: Values, cells: Callable[[], Mapping[str, str | None]]) -> Values:
        """The vendor's statuses and ratings as ours, and its own adjustment (given the row's cells)."""
        status = values.get("status")
        if status is not None:
            values["status"] = self.statuses.get(status.strip().casefold(), status)
        rating = values.get("csat")
        if rating is not None and self.csat:
            values["csat"] = self.csat.get(rating.strip().casefold(), rating)
        if self.adjust is not None:
            self.adjust(values, cells())
        return values


def _iso(generic: str, cell: str, dates: DateReading | None) -> str:
    """A time cell in ISO-8601 (`ticket_dates.iso`); RowProblem, naming the field, when it cannot be."""
    try:
        return iso(cell, dates)
    except DateProblem as problem:
        raise RowProblem(f"{generic}: {problem}") from None


def _name(column: str) -> str:
    return " ".join(column.strip().casefold().split())


ZONED = re.compile(r"^(?P<name>.*\S)\s*\((?P<zone>[^()]+)\)$")


def column(header_cell: str) -> tuple[str, tzinfo | None]:
    """A header cell as its name (`_name`) and the zone it names, if any: Intercom's exports write the
    workspace's zone after each time column, `Conversation started at (America/New_York)`. A bracket that
    is no zone (`First response time (in hrs)`) is part of the name."""
    found = ZONED.match(header_cell.strip())
    if found is not None:
        try:
            return _name(found["name"]), ZoneInfo(found["zone"].strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: `(America)` is a folder, or a long name
            pass
    return _name(header_cell), None


def _same(*names: str) -> dict[str, tuple[str, ...]]:
    return {name: (name,) for name in names}


def _zendesk(values: Values, cells: Mapping[str, str | None]) -> None:
    """Zendesk gives the first reply as minutes after creation (added to the instant, so a DST change in
    between counts right: `created_at` has its offset by now)."""
    minutes = (cells.get("first reply time in minutes") or "").strip()
    if not minutes:
        return
    try:
        after = timedelta(minutes=float(minutes))
    except (ValueError, OverflowError):
        after = timedelta(-1)
    if after < timedelta(0):
        raise RowProblem(f"First reply time in minutes: expected a number, got {minutes!r}")
    try:
        created = instant(values.get("created_at"))
    except ValueError:
        return  # created_at's own error is the one reported
    if created is not None:
        values["first_response_at"] = (created + after).isoformat()


def _intercom(values: Values, _cells: Mapping[str, str | None]) -> None:
    """Intercom's API gives times as Unix seconds (its CSV exports as dates), and an SLA as hit or missed. The
    last close time is the solved time only while the conversation is closed: a reopened conversation (open or
    snoozed) keeps its earlier close time, and is not solved (as the sync reads it, `bot.rules.intercom`)."""
    for name in ("created_at", "first_response_at", "solved_at"):
        text = (values.get(name) or "").strip()
        if text.isdigit():
            values[name] = datetime.fromtimestamp(int(text), UTC).isoformat()
    if values.get("status") in ("open", "pending"):
        values["solved_at"] = None
    status = (values.get("sla_breached") or "").strip().casefold()
    values["sla_breached"] = "true" if status == "missed" else "false"


def _violation(values: Values, _cells: Mapping[str, str | None]) -> None:
    """Salesforce's milestone status and Freshdesk's resolution status say `… Violation`/`SLA Violated`."""
    status = (values.get("sla_breached") or "").strip().casefold()
    values["sla_breached"] = "true" if "violat" in status else "false"


GENERIC = Format(
    key="generic", name="generic CSV", columns=_same(*FIELDS), marks=(("id", "created_at", "status"),),
)

ZENDESK = Format(
    key="zendesk", name="Zendesk ticket export",
    columns={
        "id": ("Id", "Ticket ID"), "created_at": ("Created at",), "solved_at": ("Solved at",),
        "status": ("Status",), "channel": ("Via",), "csat": ("Satisfaction Score",), "reopens": ("Reopens",),
        "agent_replies": ("Replies",),
    },
    marks=(("Id", "Created at", "Status", "Via"),),
    statuses={"new": "new", "open": "open", "pending": "pending", "hold": "on_hold", "on-hold": "on_hold",
              "on hold": "on_hold", "solved": "solved", "closed": "closed"},
    csat={"good": "good", "good with comment": "good", "bad": "bad", "bad with comment": "bad", "offered": "",
          "unoffered": "", "not offered": ""},
    adjust=_zendesk,
)

SALESFORCE = Format(
    key="salesforce", name="Salesforce Service Cloud case export",
    columns={
        "id": ("CaseNumber", "Case Number"), "created_at": ("CreatedDate", "Date/Time Opened", "Created Date"),
        "solved_at": ("ClosedDate", "Date/Time Closed", "Closed Date"), "status": ("Status",),
        "channel": ("Origin", "Case Origin"), "sla_breached": ("MilestoneStatus", "Milestone Status"),
    },
    marks=(("CaseNumber", "CreatedDate", "Status"), ("Case Number", "Date/Time Opened", "Status")),
    statuses={"new": "new", "working": "open", "in progress": "open", "escalated": "open", "on hold": "on_hold",
              "waiting on customer": "pending", "pending": "pending", "resolved": "solved", "closed": "closed"},
    adjust=_violation,
)

INTERCOM = Format(
    key="intercom", name="Intercom conversation export",
    columns={
        "id": ("Conversation ID", "id"), "created_at": ("Conversation started at", "created_at"),
        "first_response_at": ("Conversation first replied at", "statistics.first_admin_reply_at"),
        "solved_at": ("Conversation last closed at", "statistics.last_close_at"),
        "status": ("Current conversation state", "state"), "channel": ("Channel", "source.type"),
        "csat": ("Last teammate rating", "conversation_rating.rating"),
        "reopens": ("statistics.count_reopens",), "sla_breached": ("sla_applied.sla_status",),
    },
    marks=(("Conversation ID", "Conversation started at"), ("id", "created_at", "state")),
    statuses={"open": "open", "snoozed": "pending", "closed": "solved"},
    adjust=_intercom,
)

FRESHDESK = Format(
    key="freshdesk", name="Freshdesk ticket export",
    columns={
        "id": ("Ticket ID",), "created_at": ("Created time",), "first_response_at": ("Initial response time",),
        "solved_at": ("Resolved time", "Closed time"), "status": ("Status",), "channel": ("Source",),
        "csat": ("Survey results", "Survey result"), "agent_replies": ("Agent interactions",),
        "sla_breached": ("Resolution status",),
    },
    marks=(("Ticket ID", "Created time", "Status"),),
    statuses={"2": "open", "open": "open", "3": "pending", "pending": "pending", "waiting on customer": "pending",
              "waiting on third party": "pending", "4": "solved", "resolved": "solved", "5": "closed",
              "closed": "closed"},
    csat={"awesome": "good", "happy": "good", "extremely satisfied": "good", "satisfied": "good",
          "just okay": "bad", "neutral": "bad", "not good": "bad", "unhappy": "bad", "dissatisfied": "bad",
          "extremely dissatisfied": "bad"},
    adjust=_violation,
)

FORMATS = (GENERIC, ZENDESK, SALESFORCE, INTERCOM, FRESHDESK)


def detect(header: Iterable[str]) -> Format | None:
    names = {column(cell)[0] for cell in header}
    return next((candidate for candidate in FORMATS if candidate.matches(names)), None)


def recognised() -> str:
    """The formats, for a message that says which headers are read."""
    return "; ".join(f"{f.name} ({', '.join(f.marks[0])}…)" for f in FORMATS)


class TicketReader:
    """Reads one export: the header first (`format`, `has_team`), then `rows()` one record at a time."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._reader = csv.reader(lines)
        header = next(self._reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(self._reader, None)
        if header is None:
            raise UnknownFormat("the file is empty: expected a header row")
        self.header = [cell.lstrip("\ufeff") for cell in header]
        columns = [column(cell) for cell in self.header]
        self._names = [name for name, _zone in columns]
        self._zones = {name: zone for name, zone in columns if zone is not None}
        found = detect(self.header)
        if found is None:
            raise UnknownFormat(f"the header row is not one of the recognised formats: {recognised()}")
        self.format = found
        self.has_team = found.has_team(set(self._names))
        self._plan = found.plan(self._names, self._zones)

    def times(self) -> Iterator[tuple[int, str]]:
        """Every time cell of the remaining records, with its record's first line (what `ticket_dates.decide`
        reads to tell a file's date order)."""
        columns = [index for _generic, timed, found in self._plan if timed for index, _zone in found]
        end = self._reader.line_num
        while True:
            start = end + 1
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error:
                end = self._reader.line_num
                continue
            end = self._reader.line_num
            width = len(record)
            for index in columns:
                if index < width and record[index]:
                    yield start, record[index]

    def rows(self, *, team: str | None = None, teams: Container[str] | None = None, zone: tzinfo = UTC,
             dates: DateReading | None = None) -> Iterator[TicketRow | RowError]:
        """Each record as a ticket or a reason. `team` is the team of rows that name none; `teams`, when
        given, are the known team keys (a row of another team is refused); `zone` is where times without an
        offset were written, unless their column names its own; `dates` how numeric dates are read (one
        reading for the whole file: `ticket_dates.decide`)."""
        end = self._reader.line_num
        while True:
            start = end + 1
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                end = self._reader.line_num
                yield RowError(start, f"unreadable CSV: {error}")
                continue
            end = self._reader.line_num
            if not record or (not record[0].strip() and not any(cell.strip() for cell in record)):
                continue  # a blank line (the first cell alone tells, nearly always)
            yield self._ticket(start, record, team, teams, zone, dates)

    @property
    def lines_read(self) -> int:
        return self._reader.line_num

    def _ticket(self, line: int, record: list[str], team: str | None, teams: Container[str] | None,
                zone: tzinfo, dates: DateReading | None) -> TicketRow | RowError:
        if len(record) > len(self._names):
            return RowError(line, f"{len(record)} values, but the header has {len(self._names)} columns")
        try:
            values = self.format.generic_row(record, self._plan, self._names, zone, dates)
        except RowProblem as problem:
            return RowError(line, str(problem))
        if not values.get("team"):
            values["team"] = team
        try:
            ticket = parse_text(values)
        except ValidationError as error:
            return RowError(line, reason(error))
        if ticket.team is None:
            return RowError(line, "missing team (this file has no team for the row: give --team KEY)")
        if teams is not None and ticket.team not in teams:
            return RowError(line, f"unknown team {ticket.team!r}")
        if ticket.solved_at is None and ticket.status in UNTIMED_SOLVED:
            return RowError(line, UNTIMED_SOLVED[ticket.status])
        return ticket
