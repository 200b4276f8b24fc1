"""Helpdesk exports, read as tickets in the generic fields (DESIGN.md 3.3).

The format is told by the header row: the generic CSV, or the ticket export of Zendesk, the case export of
Salesforce Service Cloud, the conversation export of Intercom or the ticket export of Freshdesk, each with
the column names its vendor documents (the README lists every mapping and cites the pages). Rows stream:
`TicketReader.rows()` yields a `TicketRow` or a `RowError` per record, with the record's first line in the
file (the header is line 1; a quoted value may span lines)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from bot.rules.ticket_rows import FIELDS, RowError, TicketRow, instant, parse, reason

Values = dict[str, str | None]


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

    def matches(self, header: Iterable[str]) -> bool:
        names = {_name(column) for column in header}
        return any(all(_name(mark) in names for mark in marks) for marks in self.marks)

    def has_team(self, header: Iterable[str]) -> bool:
        names = {_name(column) for column in header}
        return any(_name(column) in names for column in self.columns.get("team", ()))

    def generic(self, cells: Mapping[str, str | None]) -> Values:
        """The row's generic values from its cells (keys: lower-cased column names)."""
        values: Values = {}
        for generic, names in self.columns.items():
            values[generic] = next((v for n in names if (v := cells.get(_name(n))) not in (None, "")), None)
        status = values.get("status")
        if status is not None:
            values["status"] = self.statuses.get(status.strip().casefold(), status)
        rating = values.get("csat")
        if rating is not None and self.csat:
            values["csat"] = self.csat.get(rating.strip().casefold(), rating)
        if self.adjust is not None:
            self.adjust(values, cells)
        return values


def _name(column: str) -> str:
    return " ".join(column.strip().casefold().split())


def _same(*names: str) -> dict[str, tuple[str, ...]]:
    return {name: (name,) for name in names}


def _zendesk(values: Values, cells: Mapping[str, str | None]) -> None:
    """Zendesk gives the first reply as minutes after creation."""
    minutes = (cells.get("first reply time in minutes") or "").strip()
    if not minutes:
        return
    if not _is_number(minutes) or float(minutes) < 0:
        raise RowProblem(f"First reply time in minutes: expected a number, got {minutes!r}")
    try:
        created = instant(values.get("created_at"))
    except ValueError:
        return  # created_at's own error is the one reported
    if created is not None:
        values["first_response_at"] = (created + timedelta(minutes=float(minutes))).isoformat()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _epochs(values: Values, _cells: Mapping[str, str | None]) -> None:
    """Intercom's API gives times as Unix seconds; its reports as dates."""
    for name in ("created_at", "first_response_at", "solved_at"):
        text = (values.get(name) or "").strip()
        if text.isdigit():
            values[name] = datetime.fromtimestamp(int(text), UTC).isoformat()
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
        "status": ("Conversation state", "state"), "channel": ("Channel", "source.type"),
        "csat": ("Conversation rating", "conversation_rating.rating"),
        "reopens": ("statistics.count_reopens",), "sla_breached": ("SLA status", "sla_applied.sla_status"),
    },
    marks=(("Conversation ID", "Conversation started at"), ("id", "created_at", "state")),
    statuses={"open": "open", "snoozed": "pending", "closed": "solved"},
    adjust=_epochs,
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
    columns = list(header)
    return next((candidate for candidate in FORMATS if candidate.matches(columns)), None)


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
        found = detect(self.header)
        if found is None:
            raise UnknownFormat(f"the header row is not one of the recognised formats: {recognised()}")
        self.format = found
        self.has_team = found.has_team(self.header)
        self._names = [_name(column) for column in self.header]

    def rows(self, *, team: str | None = None, teams: Container[str] | None = None
             ) -> Iterator[TicketRow | RowError]:
        """Each record as a ticket or a reason. `team` is the team of rows that name none; `teams`, when
        given, are the known team keys (a row of another team is refused)."""
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
            if not any(cell.strip() for cell in record):
                continue
            yield self._ticket(start, record, team, teams)

    def _ticket(self, line: int, record: list[str], team: str | None, teams: Container[str] | None
                ) -> TicketRow | RowError:
        if len(record) > len(self._names):
            return RowError(line, f"{len(record)} values, but the header has {len(self._names)} columns")
        cells = dict(zip(self._names, record, strict=False))
        try:
            values = self.format.generic(cells)
        except RowProblem as problem:
            return RowError(line, str(problem))
        if not values.get("team"):
            values["team"] = team
        try:
            ticket = parse(values)
        except ValidationError as error:
            return RowError(line, reason(error))
        if ticket.team is None:
            return RowError(line, "missing team (this file has no team for the row: give --team KEY)")
        if teams is not None and ticket.team not in teams:
            return RowError(line, f"unknown team {ticket.team!r}")
        return ticket
