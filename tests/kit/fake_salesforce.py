"""FakeSalesforce: a local HTTP server that answers like Salesforce's REST API, for the helpdesk sync's tests.

Shapes follow Salesforce's documentation:
- OAuth 2.0 client-credentials flow: `POST /services/oauth2/token` (form: `grant_type=client_credentials`,
  `client_id`, `client_secret`), answered `{"access_token", "instance_url", "id", "token_type": "Bearer",
  "issued_at", "signature", "scope"}` with no lifetime; a wrong client is 400 `{"error": "invalid_client",
  "error_description": …}`
  (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm,
  https://jsforce.github.io/jsforce/types/oauth2.TokenResponse.html);
- SOQL, `GET /services/data/v61.0/query?q=…`: `{"totalSize", "done", "nextRecordsUrl", "records": [{"attributes":
  {"type", "url"}, …}]}`, up to 2,000 records a batch, the rest by `GET nextRecordsUrl`
  (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md,
  https://developer.salesforce.com/docs/platform/api-rest/guide/dome-query.html);
- the objects' fields: Case, CaseMilestone (`CaseId`, `MilestoneTypeId`, `CompletionDate`, `IsViolated`),
  CaseHistory (`CaseId`, `Field`, `OldValue`, `NewValue`), SurveySubject (`SubjectId`, `SurveyResponseId`)
  (https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-casemilestone.html,
  https://developer.salesforce.com/docs/atlas.en-us.264.0.object_reference.meta/object_reference/sforce_api_objects_casehistory.htm,
  https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-surveysubject.html,
  https://developer.salesforce.com/docs/service/salesforce-feedback-management-dev-guide/guide/salesforce-surveys-objects-overview.html);
- errors, a JSON array `[{"message", "errorCode", "fields"}]`: 401 `INVALID_SESSION_ID` for an expired or
  invalid token, 403 `REQUEST_LIMIT_EXCEEDED` over the org's API limit, 400 `INVALID_TYPE` for an object the
  org does not have (https://developer.salesforce.com/docs/platform/api-rest/guide/errorcodes.md);
- a case comment: `POST /services/data/v61.0/sobjects/CaseComment/` with `{"ParentId", "CommentBody",
  "IsPublished"}` (CommentBody at most 4,000 bytes), answered 201 `{"id", "success": true, "errors": []}`; a
  ParentId that is no case is 400 `MALFORMED_ID` / `INVALID_CROSS_REFERENCE_KEY`, a body too long 400
  `STRING_TOO_LONG`, a field the object lacks 400 `INVALID_FIELD`
  (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_casecomment.htm,
  https://developer.salesforce.com/docs/platform/api-rest/guide/dome-sobject-create.html);
- the case owner's email, `Owner.Email`: Owner is polymorphic (User or Group), read through the `Name` object
  whose `Email` is the user's (or the queue's) address
  (https://developer.salesforce.com/docs/atlas.en-us.264.0.object_reference.meta/object_reference/sforce_api_objects_name.htm,
  https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-relationships-and-polymorph-keys.md);
- the customer's emails on a case: EmailMessage (`ParentId` the case, `Incoming`, `MessageDate`)
  (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_emailmessage.htm,
  not found in the search index: from that reference), read by an aggregate query `SELECT ParentId,
  MAX(MessageDate) latest … GROUP BY ParentId` answered as `AggregateResult` records, the aggregate under its
  alias (`expr0` without one); a field neither grouped nor aggregated is 400 `MALFORMED_QUERY`
  (https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-agg-functions.html,
  https://developer.salesforce.com/docs/atlas.en-us.264.0.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_groupby_alias.htm);
- every API answer's `Sforce-Limit-Info: api-usage=N/M`
  (https://developer.salesforce.com/docs/atlas.en-us.200.0.api_rest.meta/api_rest/headers_api_usage.htm).

It understands only the SOQL the connector sends (by its FROM and WHERE), and runs aiohttp on 127.0.0.1 in a
thread of its own; `url` is the base URL to configure (and the `instance_url` it answers).
"""

from __future__ import annotations

import itertools
import re
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.kit.fake_helpdesk_server import LocalServer

CLIENT_ID = "3MVG9supportbot.consumer.key"
CLIENT_SECRET = "sfsecret-91c4e7a2d05b"
"""The connected app's consumer secret in the tests (conftest's secret scan looks for it in every log line)."""
API = "/services/data/v61.0"
BASE = datetime(2026, 11, 1, tzinfo=UTC)
"""A case's SystemModstamp, when the test gives none, is this plus one second per change."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


def stamp(moment: datetime) -> str:
    """As Salesforce writes a dateTime: 2026-11-02T14:00:00.000+0000."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def case_id(number: int) -> str:
    return f"500{number:015d}"


class FakeSalesforce(LocalServer):
    name = "FakeSalesforce"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.reset()

    # ------------------------------------------------------------------ what a test sets
    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.cases: dict[str, dict[str, Any]] = {}
            self.raw: list[dict[str, Any]] = []
            self.queues: dict[str, str] = {}
            self.users: dict[str, str | None] = {}  # user id -> role name
            self.user_emails: dict[str, str] = {}  # user id -> email
            self.emails: list[dict[str, Any]] = []  # EmailMessages on cases
            self.roles: list[str] = []
            self.milestones: list[dict[str, Any]] = []
            self.history: list[dict[str, Any]] = []
            self.subjects: list[dict[str, Any]] = []
            self.answers: list[dict[str, Any]] = []
            self.absent: set[str] = set()  # objects the org does not have
            self.statuses = [("New", False), ("Working", False), ("Escalated", False), ("On Hold", False),
                             ("Closed", True)]
            self.requests: list[Request] = []
            self.valid_tokens: set[str] = set()
            self.tokens_issued = 0
            self.batch_size = 2000
            self.limited: list[tuple[int, float | None]] = []  # (status, Retry-After) of the next API answers
            self.api_used, self.api_limit = 1000, 15000
            self._locators: dict[str, list[dict[str, Any]]] = {}
            self._ticks = itertools.count(1)
            self.comments: list[dict[str, Any]] = []  # the CaseComments created

    def add_queue(self, name: str) -> str:
        ident = f"00G{len(self.queues) + 1:015d}"
        self.queues[ident] = name
        return ident

    def add_user(self, role: str | None, email: str | None = None) -> str:
        ident = f"005{len(self.users) + 1:015d}"
        self.users[ident] = role
        if email is not None:
            self.user_emails[ident] = email
        if role is not None and role not in self.roles:
            self.roles.append(role)
        return ident

    def _tick(self) -> datetime:
        return BASE + timedelta(seconds=next(self._ticks))

    def put(self, number: int, *, created: datetime, status: str = "New", owner: str | None = None,
            closed: datetime | None = None, origin: str | None = "Email", modstamp: datetime | None = None) -> str:
        """Create or change a case (its SystemModstamp moves on); `owner` a queue's or user's id."""
        owner = owner or next(iter(self.queues))
        is_queue = owner.startswith("00G")
        ident = case_id(number)
        with self._lock:
            self.cases[ident] = {
                "attributes": {"type": "Case", "url": f"{API}/sobjects/Case/{ident}"},
                "Id": ident, "CaseNumber": f"{number:08d}", "CreatedDate": stamp(created),
                "ClosedDate": stamp(closed) if closed else None, "IsClosed": closed is not None, "Status": status,
                "Origin": origin, "OwnerId": owner,
                "Owner": {"attributes": {"type": "Name", "url": f"{API}/sobjects/{'Group' if is_queue else 'User'}/"
                                         f"{owner}"}, "Name": self.queues.get(owner, f"User {owner[-3:]}"),
                          "Type": "Queue" if is_queue else "User",
                          "Email": f"queue{owner[-3:]}@example.com" if is_queue else self.user_emails.get(owner)},
                "SystemModstamp": stamp(modstamp or self._tick())}
        return ident

    def put_raw(self, record: dict[str, Any]) -> None:
        """A malformed case, as it is; it sorts by its SystemModstamp (now, when it has none)."""
        with self._lock:
            self.raw.append({"SystemModstamp": stamp(self._tick()), **record})

    def milestone(self, number: int, name: str, *, completed: datetime | None = None, violated: bool = False,
                  modstamp: datetime | None = None) -> None:
        with self._lock:
            self.milestones.append({
                "attributes": {"type": "CaseMilestone"}, "CaseId": case_id(number),
                "MilestoneType": {"attributes": {"type": "MilestoneType"}, "Name": name},
                "CompletionDate": stamp(completed) if completed else None, "IsViolated": violated,
                "Case": {"attributes": {"type": "Case"}, "CaseNumber": f"{number:08d}"},
                "SystemModstamp": stamp(modstamp or self._tick())})

    def status_change(self, number: int, old: str, new: str, at: datetime) -> None:
        with self._lock:
            self.history.append({"attributes": {"type": "CaseHistory"}, "CaseId": case_id(number), "Field": "Status",
                                 "OldValue": old, "NewValue": new, "CreatedDate": stamp(at)})

    def survey(self, number: int, score: int) -> None:
        response = f"0Mx{len(self.subjects) + 1:015d}"
        with self._lock:
            self.subjects.append({"attributes": {"type": "SurveySubject"}, "SubjectId": case_id(number),
                                  "SurveyResponseId": response})
            self.answers.append({"attributes": {"type": "SurveyQuestionResponse"}, "ResponseId": response,
                                 "NumberValue": score, "Question": {"QuestionType": "CSAT"}})

    def email(self, number: int, at: datetime, *, incoming: bool = True) -> None:
        """An email on the case: from the customer (`incoming`) or sent by an agent."""
        with self._lock:
            self.emails.append({"attributes": {"type": "EmailMessage"}, "Id": f"02s{len(self.emails) + 1:015d}",
                                "ParentId": case_id(number), "Incoming": incoming, "MessageDate": stamp(at)})

    def limit(self, status: int = 429, retry_after: float | None = 7, times: int = 1) -> None:
        with self._lock:
            self.limited.extend([(status, retry_after)] * times)

    def expire_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def queries(self, sobject: str) -> list[str]:
        with self._lock:
            return [call.query["q"] for call in self.requests
                    if "q" in call.query and re.search(rf"\bFROM {sobject}\b", call.query["q"])]

    # ------------------------------------------------------------------ the server
    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/services/oauth2/token", self._token)
        app.router.add_get(f"{API}/query", self._query)
        app.router.add_get(API + "/query/{locator}", self._more)
        app.router.add_post(API + "/sobjects/CaseComment/", self._comment)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record the call; then limits, then the Bearer token; every API answer says the API usage."""
        auth = request.headers.get("Authorization")
        token_call = request.path == "/services/oauth2/token"
        with self._lock:
            self.requests.append(Request(request.method, request.path, dict(request.query), auth))
            limited = self.limited.pop(0) if self.limited and not token_call else None
            valid = auth is not None and auth.removeprefix("Bearer ") in self.valid_tokens
            if not token_call:
                self.api_used += 1
            usage = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}
        if token_call:
            return await handler(request)
        if limited is not None:
            status, retry_after = limited
            if status == 403:
                return web.json_response([{"message": "TotalRequests Limit exceeded.",
                                           "errorCode": "REQUEST_LIMIT_EXCEEDED"}], status=403, headers=usage)
            headers = usage if retry_after is None else {**usage, "Retry-After": f"{retry_after:g}"}
            return web.json_response([{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                                     status=status, headers=headers)
        if not valid:
            return web.json_response([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                                     status=401, headers=usage)
        response = await handler(request)
        response.headers.update(usage)
        return response

    async def _comment(self, request: web.Request) -> web.Response:
        body = await request.json()
        fields = {"ParentId", "CommentBody", "IsPublished", "IsNotificationSelected"}
        if not isinstance(body, dict) or set(body) - fields:
            return web.json_response([{"message": "No such column on entity 'CaseComment'",
                                       "errorCode": "INVALID_FIELD", "fields": []}], status=400)
        parent = body.get("ParentId")
        with self._lock:
            known = isinstance(parent, str) and parent in self.cases
        if not isinstance(parent, str) or not re.fullmatch(r"[A-Za-z0-9]{15}([A-Za-z0-9]{3})?", parent):
            return web.json_response([{"message": f"Parent ID: id value of incorrect type: {parent}",
                                       "errorCode": "MALFORMED_ID", "fields": ["ParentId"]}], status=400)
        if not known:
            return web.json_response([{"message": "invalid cross reference id",
                                       "errorCode": "INVALID_CROSS_REFERENCE_KEY", "fields": []}], status=400)
        comment = body.get("CommentBody")
        if not isinstance(comment, str) or len(comment.encode("utf-8")) > 4000 or \
                not isinstance(body.get("IsPublished", False), bool):
            return web.json_response([{"message": "Body: data value too large", "errorCode": "STRING_TOO_LONG",
                                       "fields": ["CommentBody"]}], status=400)
        with self._lock:
            ident = f"00a{len(self.comments) + 1:015d}"
            self.comments.append({"Id": ident, **body})
        return web.json_response({"id": ident, "success": True, "errors": []}, status=201)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID or \
                form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"error": "invalid_client", "error_description": "invalid client credentials"},
                                     status=400)
        token = "00DSF0000000001!" + secrets.token_hex(16)
        with self._lock:
            self.valid_tokens.add(token)
            self.tokens_issued += 1
        return web.json_response({"access_token": token, "instance_url": self.url, "token_type": "Bearer",
                                  "id": f"{self.url}/id/00DSF0000000001/005000000000001", "scope": "api",
                                  "issued_at": "1793800000000", "signature": "c2lnbmF0dXJl"})

    async def _query(self, request: web.Request) -> web.Response:
        soql = request.query["q"]
        sobject = re.search(r"\bFROM (\w+)", soql)
        name = sobject[1] if sobject else "?"
        if name in self.absent:
            return web.json_response([{"message": f"\n{soql[:40]}\n^\nERROR at Row:1:Column:1\nsObject type "
                                       f"'{name}' is not supported. If you are attempting to use a custom object, "
                                       "be sure to append the '__c' after the entity name.",
                                       "errorCode": "INVALID_TYPE"}], status=400)
        aggregate = re.search(r"SELECT (.*?) FROM", soql)
        if aggregate and "(" in aggregate[1]:
            grouped = set(re.findall(r"GROUP BY (.*)", soql)[0].replace(" ", "").split(",")) if " GROUP BY " in soql \
                else set()
            for column in (part.strip() for part in aggregate[1].split(",")):
                if "(" not in column and column.split()[0] not in grouped:
                    return web.json_response([{"message": f"Field must be grouped or aggregated: {column.split()[0]}",
                                               "errorCode": "MALFORMED_QUERY"}], status=400)
        with self._lock:
            found = self._select(name, soql)
        if " LIMIT 1" in soql:
            found = found[:1]
        return self._batch(found, 0)

    async def _more(self, request: web.Request) -> web.Response:
        locator, _dash, offset = request.match_info["locator"].rpartition("-")
        with self._lock:
            found = self._locators.get(locator)
        if found is None:
            return web.json_response([{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}],
                                     status=400)
        return self._batch(found, int(offset), locator)

    def _batch(self, found: list[dict[str, Any]], offset: int, locator: str | None = None) -> web.Response:
        batch = found[offset:offset + self.batch_size]
        body: dict[str, Any] = {"totalSize": len(found), "done": offset + len(batch) >= len(found), "records": batch}
        if not body["done"]:
            locator = locator or "01g" + secrets.token_hex(6)
            with self._lock:
                self._locators[locator] = found
            body["nextRecordsUrl"] = f"{API}/query/{locator}-{offset + len(batch)}"
        return web.json_response(body)

    def _select(self, name: str, soql: str) -> list[dict[str, Any]]:
        ids = set(re.findall(r"'([A-Za-z0-9]{15,18})'", soql.partition(" IN ")[2])) if " IN " in soql else None
        if name == "Case":
            return self._cases(soql)
        if name == "CaseMilestone":
            since = re.search(r"SystemModstamp >= (\S+)", soql)
            rows = [row for row in self.milestones if ids is None or row["CaseId"] in ids]
            if since:
                rows = sorted([row for row in rows if row["IsViolated"] and _when(row["SystemModstamp"].replace(
                    "+0000", "Z")) >= _when(since[1])], key=lambda row: row["SystemModstamp"])
            return rows
        if name == "EmailMessage":
            return self._latest_emails(soql, ids)
        if name == "CaseHistory":
            return [row for row in self.history if ids is None or row["CaseId"] in ids]
        if name == "SurveySubject":
            return [row for row in self.subjects if ids is None or row["SubjectId"] in ids]
        if name == "SurveyQuestionResponse":
            return [row for row in self.answers if ids is None or row["ResponseId"] in ids]
        if name == "Group":
            return [{"attributes": {"type": "Group"}, "Id": key, "Name": value} for key, value in self.queues.items()]
        if name == "UserRole":
            return [{"attributes": {"type": "UserRole"}, "Id": f"00E{n:015d}", "Name": role}
                    for n, role in enumerate(self.roles, 1)]
        if name == "User":
            return [{"attributes": {"type": "User"}, "Id": key,
                     "UserRole": None if role is None else {"attributes": {"type": "UserRole"}, "Name": role}}
                    for key, role in self.users.items() if ids is None or key in ids]
        if name == "CaseStatus":
            return [{"attributes": {"type": "CaseStatus"}, "ApiName": label, "MasterLabel": label, "IsClosed": closed}
                    for label, closed in self.statuses]
        return []

    def _latest_emails(self, soql: str, ids: set[str] | None) -> list[dict[str, Any]]:
        """`SELECT ParentId, MAX(MessageDate) [alias] … [WHERE Incoming = true] GROUP BY ParentId`."""
        shape = re.search(r"SELECT ParentId, MAX\(MessageDate\)( \w+)? FROM EmailMessage .*GROUP BY ParentId$", soql)
        if shape is None:
            return [row for row in self.emails if ids is None or row["ParentId"] in ids]
        alias = (shape[1] or " expr0").strip()
        latest: dict[str, str] = {}
        for row in self.emails:
            if (ids is None or row["ParentId"] in ids) and (row["Incoming"] or "Incoming = true" not in soql):
                latest[row["ParentId"]] = max(latest.get(row["ParentId"], ""), row["MessageDate"])
        return [{"attributes": {"type": "AggregateResult"}, "ParentId": parent, alias: when}
                for parent, when in sorted(latest.items())]

    def _cases(self, soql: str) -> list[dict[str, Any]]:
        def key(row: dict[str, Any]) -> tuple[datetime, str]:
            return _when(row["SystemModstamp"].replace("+0000", "Z")), str(row.get("Id", ""))

        rows = sorted([*self.cases.values(), *self.raw], key=key)
        after = re.search(r"\(SystemModstamp > (\S+) OR \(SystemModstamp = \S+ AND Id > '(\w+)'\)\)", soql)
        since = re.search(r"SystemModstamp >= (\S+)", soql)
        if after:
            mark = (_when(after[1]), after[2])
            return [row for row in rows if key(row) > mark]
        if since:
            return [row for row in rows if key(row)[0] >= _when(since[1])]
        return rows


def hours_ago(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
