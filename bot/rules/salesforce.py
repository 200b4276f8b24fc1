"""Salesforce Service Cloud's REST API answers, read as tickets (`bot.rules.helpdesk`): pure, no HTTP.

Shapes, as Salesforce documents them (the URLs are at the top of tests/kit/fake_salesforce.py):
- a SOQL query, `GET /services/data/v61.0/query?q=…`: `{"totalSize", "done", "nextRecordsUrl" (while not done),
  "records": [{"attributes": {"type", "url"}, …fields…}]}`; a relationship field is an object
  (`"Owner": {"attributes": {"type": "Name"}, "Name": "Tier 1", "Type": "Queue"}`); times are
  `2026-11-02T14:00:00.000+0000`;
- `Case`: `Id`, `CaseNumber`, `CreatedDate`, `ClosedDate`, `IsClosed`, `Status` (a picklist each org defines),
  `Origin`, `OwnerId` (a user, or a queue: a `Group`), `SystemModstamp`;
- `CaseMilestone`: `CaseId`, `MilestoneType.Name`, `CompletionDate`, `IsViolated` (Entitlement Management);
- `CaseHistory`: `CaseId`, `Field` (`Status`), `OldValue`, `NewValue`, `CreatedDate`; `CaseStatus`: `ApiName`,
  `MasterLabel`, `IsClosed`;
- Feedback Management: `SurveySubject` (`SubjectId` the case, `SurveyResponseId`) and `SurveyQuestionResponse`
  (`ResponseId`, `NumberValue`) of a `CSAT` question (1-5);
- the owner's email is the relationship field `Owner.Email` (Owner is polymorphic, a `Name`: a User's email, or
  a queue's; a queue is nobody to tell: none is recorded);
- a customer's email on a case is an `EmailMessage` with `Incoming = true` and `ParentId` the case; the aggregate
  query `SELECT ParentId, MAX(MessageDate) latest … GROUP BY ParentId` answers `AggregateResult` records
  (`{"attributes": {"type": "AggregateResult"}, "ParentId", "latest"}`; without the alias the value is `expr0`);
- errors: a JSON array `[{"message", "errorCode", "fields"}]`; every answer's `Sforce-Limit-Info: api-usage=N/M`.

The ticket's id is the `CaseNumber`, as in the case export the CSV import reads (`bot.rules.ticket_formats`),
so a synced case and an imported one are the same ticket; its `Id`, which a case's link names, is kept beside it
(`Page.aliases`, stored as `tickets.helpdesk_id`). The cursor is the last case's `SystemModstamp`
and `Id` (`2026-11-02T14:00:00.000Z,500…`): the next query asks for what sorts after it, so cases changed
in the same millisecond are neither lost nor fetched twice."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.rules.helpdesk import FetchedTicket, Page, Unparsed
from bot.rules.ticket_formats import SALESFORCE
from bot.rules.ticket_rows import TicketRow, instant, reason

API = "/services/data/v61.0"
CASE_FIELDS = ("Id, CaseNumber, CreatedDate, ClosedDate, IsClosed, Status, Origin, OwnerId, Owner.Name, Owner.Type, "
               "SystemModstamp")
FIRST_RESPONSE = "first response"
"""A milestone whose name holds this (any case) is the first response's: its completion is the first reply."""
_ID = re.compile(r"[A-Za-z0-9]{15,18}")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class ShapeError(ValueError):
    """An answer that is not the documented shape at all (not one bad record): the page cannot be used."""


def soql_time(moment: datetime) -> str:
    """A SOQL dateTime literal in UTC, to the millisecond: 2026-11-02T14:00:00.000Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def quoted(value: str) -> str:
    """A SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def id_list(ids: Iterable[str]) -> str:
    """`('500…','500…')` of record ids (anything that is no Salesforce id is left out: it cannot match)."""
    return "(" + ",".join(quoted(ident) for ident in ids if _ID.fullmatch(ident)) + ")"


def cases_query(cursor: str | None, start: datetime) -> str:
    """The cases changed after `cursor` (or since `start`), oldest change first."""
    if cursor is None:
        where = f"SystemModstamp >= {soql_time(start)}"
    else:
        stamp, ident = parse_cursor(cursor)
        where = f"SystemModstamp >= {stamp}" if ident is None else \
            f"(SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > {quoted(ident)}))"
    return f"SELECT {CASE_FIELDS} FROM Case WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"


def parse_cursor(cursor: str) -> tuple[str, str | None]:
    """`STAMP` (from that instant on) or `STAMP,ID` (after that case); anything else is refused."""
    stamp, _comma, ident = cursor.partition(",")
    if not _STAMP.fullmatch(stamp) or (ident and not _ID.fullmatch(ident)):
        raise ShapeError(f"the stored cursor {cursor[:60]!r} is not a Salesforce cursor: "
                         "run `supportbot helpdesk sync --since YYYY-MM-DD`")
    return stamp, ident or None


def records(body: object, what: str) -> tuple[list[Any], bool, str | None]:
    """A query answer's records, whether it is the last batch, and the `nextRecordsUrl` when it is not."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list) or \
            not isinstance(body.get("done"), bool):
        raise ShapeError(f"the {what} query's answer has no `records` list and `done`")
    following = body.get("nextRecordsUrl")
    if not body["done"] and not (isinstance(following, str) and following.startswith("/services/data/")):
        raise ShapeError(f"the {what} query's answer is not done and has no `nextRecordsUrl`")
    return body["records"], body["done"], None if body["done"] else following


def _dicts(found: Iterable[Any]) -> Iterable[dict[str, Any]]:
    return (record for record in found if isinstance(record, dict))


def _name(record: Mapping[str, Any], relation: str) -> str | None:
    related = record.get(relation)
    name = related.get("Name") if isinstance(related, dict) else None
    return name if isinstance(name, str) and name else None


@dataclass
class Facts:
    """What the other objects say about a page's cases, by case `Id`. A case missing from a mapping is a case
    the object says nothing about: that field is not written. `reopens` None: the org has no case history
    the API user may read."""

    first_response: dict[str, datetime | None] = field(default_factory=dict)
    breached: dict[str, bool] = field(default_factory=dict)
    reopens: dict[str, int] | None = None
    csat: dict[str, float] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    """User id -> role name, for the cases a user owns."""
    replies: dict[str, datetime] = field(default_factory=dict)
    """When the customer last emailed about the case (its latest incoming EmailMessage)."""


REPLIES_ALIAS = "latest"


def replies_query(chunk: str) -> str:
    """The latest incoming email of each of these cases (`chunk`: an `id_list`), one row per case."""
    return (f"SELECT ParentId, MAX(MessageDate) {REPLIES_ALIAS} FROM EmailMessage WHERE Incoming = true "
            f"AND ParentId IN {chunk} GROUP BY ParentId")


def customer_emails(found: Iterable[Any], facts: Facts) -> None:
    """AggregateResult rows of `replies_query`: the case's latest customer email (an unreadable time says nothing)."""
    for row in _dicts(found):
        case = row.get("ParentId")
        try:
            at = instant(row.get(REPLIES_ALIAS))
        except ValueError:
            continue
        if isinstance(case, str) and at is not None and (case not in facts.replies or at > facts.replies[case]):
            facts.replies[case] = at


def assignee(record: Mapping[str, Any]) -> str | None:
    """The case owner's email (`Owner.Email`); None for a queue, or a user with none."""
    owner = record.get("Owner")
    email = owner.get("Email") if isinstance(owner, dict) and not _queue(record) else None
    return email.strip() if isinstance(email, str) and "@" in email else None


def milestones(found: Iterable[Any], facts: Facts) -> None:
    """CaseMilestone rows: a case with any is breached when one `IsViolated`; its first response is the earliest
    completion of a milestone named like `First Response` (none yet: None)."""
    for row in _dicts(found):
        case = row.get("CaseId")
        if not isinstance(case, str):
            continue
        facts.breached[case] = facts.breached.get(case, False) or row.get("IsViolated") is True
        if FIRST_RESPONSE in (_name(row, "MilestoneType") or "").casefold():
            try:
                done = instant(row.get("CompletionDate"))
            except ValueError:
                continue  # an unreadable completion says nothing; the case keeps what it had
            known = facts.first_response.get(case)
            if case not in facts.first_response or (done is not None and (known is None or done < known)):
                facts.first_response[case] = done


def closed_statuses(found: Iterable[Any]) -> set[str]:
    """CaseStatus rows -> the names (API name and label) of the statuses that close a case."""
    closed: set[str] = set()
    for row in _dicts(found):
        if row.get("IsClosed") is True:
            closed.update(value for value in (row.get("ApiName"), row.get("MasterLabel")) if isinstance(value, str))
    return closed


def reopens(found: Iterable[Any], closed: set[str], cases: Iterable[str]) -> dict[str, int]:
    """CaseHistory rows of `Field = 'Status'`: each change from a closed status to one that is not is a reopen."""
    counted = dict.fromkeys(cases, 0)
    for row in _dicts(found):
        case, old, new = row.get("CaseId"), row.get("OldValue"), row.get("NewValue")
        if row.get("Field") == "Status" and isinstance(case, str) and old in closed and new not in closed:
            counted[case] = counted.get(case, 0) + 1
    return counted


def survey_links(found: Iterable[Any]) -> dict[str, str]:
    """SurveySubject rows -> survey response id -> the case it is about."""
    return {row["SurveyResponseId"]: row["SubjectId"] for row in _dicts(found)
            if isinstance(row.get("SurveyResponseId"), str) and isinstance(row.get("SubjectId"), str)}


def csat_answers(found: Iterable[Any], links: Mapping[str, str], facts: Facts) -> None:
    """SurveyQuestionResponse rows of a CSAT question: the case's score (its last response's)."""
    for row in _dicts(found):
        case, value = links.get(str(row.get("ResponseId"))), row.get("NumberValue")
        if case is not None and isinstance(value, int | float) and not isinstance(value, bool):
            facts.csat[case] = float(value)


def owner_users(found: Iterable[Any]) -> set[str]:
    """The ids of the users (not queues) that own these cases."""
    return {row["OwnerId"] for row in _dicts(found) if isinstance(row.get("OwnerId"), str) and not _queue(row)}


def _queue(record: Mapping[str, Any]) -> bool:
    owner = record.get("Owner")
    kind = owner.get("Type") if isinstance(owner, dict) else None
    if isinstance(kind, str):
        return kind == "Queue"
    return str(record.get("OwnerId", "")).startswith("00G")  # a Group's id prefix


def roles(found: Iterable[Any]) -> dict[str, str]:
    """User rows with `UserRole.Name` -> user id -> role name."""
    return {row["Id"]: role for row in _dicts(found)
            if isinstance(row.get("Id"), str) and (role := _name(row, "UserRole")) is not None}


def status(value: object, closed: bool) -> str:
    """The case's status in the generic ones: a known name as the case export maps it, else (a status the org
    made up) open or closed as `IsClosed` says; `IsClosed` wins over a name that says otherwise."""
    mapped = SALESFORCE.statuses.get(" ".join(value.casefold().split())) if isinstance(value, str) else None
    if closed:
        return mapped if mapped in ("solved", "closed") else "closed"
    return mapped if mapped is not None and mapped not in ("solved", "closed") else "open"


def case(record: Mapping[str, Any], facts: Facts) -> FetchedTicket:
    """One Case row (and what the other objects say of it) as a ticket in the generic fields. Raises ValueError
    (or pydantic's ValidationError) naming what is wrong."""
    number, ident = record.get("CaseNumber"), record.get("Id")
    if not isinstance(number, str) or not number.strip():
        raise ValueError("missing CaseNumber")
    if not isinstance(record.get("IsClosed"), bool):
        raise ValueError(f"IsClosed: expected true or false, got {record.get('IsClosed')!r}")
    closed = record["IsClosed"]
    if closed and not record.get("ClosedDate"):
        raise ValueError("closed with no ClosedDate")
    values: dict[str, Any] = {"id": number, "created_at": record.get("CreatedDate"),
                              "status": status(record.get("Status"), closed),
                              "solved_at": record.get("ClosedDate") if closed else None}
    fields = {"created_at", "status", "solved_at"}
    if isinstance(record.get("Origin"), str) and record["Origin"].strip():
        values["channel"], fields = record["Origin"].strip().casefold()[:32], fields | {"channel"}
    key = ident if isinstance(ident, str) else ""
    if key in facts.breached:
        values["sla_breached"], fields = facts.breached[key], fields | {"sla_breached"}
    if key in facts.first_response:
        values["first_response_at"], fields = facts.first_response[key], fields | {"first_response_at"}
    if facts.reopens is not None:
        values["reopens"], fields = facts.reopens.get(key, 0), fields | {"reopens"}
    if key in facts.csat:
        values["csat"], fields = facts.csat[key], fields | {"csat_good"}
    labels: dict[str, str] = {}
    if _queue(record):
        if (queue := _name(record, "Owner")) is not None:
            labels["queue"] = queue
    elif (role := facts.roles.get(str(record.get("OwnerId")))) is not None:
        labels["role"] = role
    return FetchedTicket(row=TicketRow.model_validate(values), fields=frozenset(fields), labels=labels)


def cases_page(found: Sequence[Any], done: bool, facts: Facts, cursor: str) -> Page:
    """A batch of Case rows as a page; its cursor is the last row's (`cursor`, the one asked from, if none)."""
    tickets, unparsed = [], []
    assignees: dict[str, str | None] = {}
    replies: dict[str, datetime] = {}
    aliases: dict[str, str] = {}
    for record in found:
        ident = _ident(record)
        try:
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            tickets.append(case(record, facts))
            number, key = tickets[-1].row.id, str(record.get("Id"))
            assignees[number] = assignee(record)
            if _ID.fullmatch(key):
                aliases[number] = key  # a link names the case by its Id
            if key in facts.replies:
                replies[number] = facts.replies[key]
        except ValidationError as error:
            unparsed.append(Unparsed(ident, reason(error)))
        except (ValueError, TypeError, KeyError) as error:
            unparsed.append(Unparsed(ident, str(error) or error.__class__.__name__))
    return Page(tickets=tickets, cursor=next_cursor(found, cursor), done=done, unparsed=unparsed,
                assignees=assignees, replies=replies, aliases=aliases)


def _ident(record: object) -> str:
    if not isinstance(record, dict):
        return "?"
    number, ident = record.get("CaseNumber"), record.get("Id")
    if isinstance(number, str) and number and isinstance(ident, str):
        return f"{number} (Id {ident})"
    return str(number or ident or "?")


def next_cursor(found: Sequence[Any], cursor: str) -> str:
    """The cursor after the last row that has a readable `SystemModstamp` and `Id`."""
    for record in reversed(found):
        if not isinstance(record, dict) or not isinstance(record.get("Id"), str) or not _ID.fullmatch(record["Id"]):
            continue
        try:
            stamp = instant(record.get("SystemModstamp"))
        except ValueError:
            continue
        if stamp is not None:
            return f"{soql_time(stamp)},{record['Id']}"
    return cursor


def violated(found: Iterable[Any]) -> tuple[set[str], datetime | None]:
    """CaseMilestone rows of violated milestones (with `Case.CaseNumber`, `SystemModstamp`): the case numbers and
    the latest change seen."""
    numbers, latest = set(), None
    for row in _dicts(found):
        parent = row.get("Case")
        number = parent.get("CaseNumber") if isinstance(parent, dict) else None
        if isinstance(number, str) and row.get("IsViolated") is True:
            numbers.add(number)
        try:
            stamp = instant(row.get("SystemModstamp"))
        except ValueError:
            stamp = None
        if stamp is not None and (latest is None or stamp > latest):
            latest = stamp
    return numbers, latest


def api_usage(header: str | None) -> tuple[int, int] | None:
    """`Sforce-Limit-Info: api-usage=18/5000` -> (18, 5000): the org's API calls used today and its allocation."""
    found = _USAGE.search(header or "")
    return (int(found[1]), int(found[2])) if found else None


def error(body: object) -> tuple[str, str]:
    """`[{"message": …, "errorCode": …}]` -> (errorCode, message) of the first; ("", "") when not that shape.
    (The OAuth endpoint answers `{"error", "error_description"}` instead; read that too.)"""
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, dict):
        return "", ""
    code = first.get("errorCode", first.get("error", ""))
    message = first.get("message", first.get("error_description", ""))
    return str(code)[:64], " ".join(str(message).split())[:200]
