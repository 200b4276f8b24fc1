"""The Salesforce Service Cloud connector (`bot.rules.helpdesk.Connector`) over HTTP, with httpx.

A thin async client for the few REST endpoints the sync needs rather than `simple-salesforce`, which is
synchronous: this keeps the event loop free without a thread per call, and lets the tests inject the sleeper.

Authentication is the OAuth 2.0 client-credentials flow of a connected app (`POST {url}/services/oauth2/token`,
its consumer key and secret; the app's Run As user is who reads). The answer's `access_token` and
`instance_url` are cached together in the database by `handlers.helpdesk.tokens` (one replica asks at a
time) and asked for again once when Salesforce answers 401 (`INVALID_SESSION_ID`: the session timed out).

Every answer's `Sforce-Limit-Info: api-usage=N/M` is kept; above `usage_stop` (90%) of the org's daily
allocation no further call is made and the sync stops with its cursor kept, leaving the rest to the org's
other integrations. A 429 or 503 is waited out for its `Retry-After` with the injected `sleep` (each wait at
most `max_wait` seconds, at most `max_retries` in a row); `REQUEST_LIMIT_EXCEEDED` (403) stops the sync, the
next goes on from the same cursor. An object the org does not have (`INVALID_TYPE`: no Entitlements, no
Feedback Management) is skipped and said by `notes()`. The pure reading of the answers is
`bot.rules.salesforce`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.rules import salesforce
from bot.rules.helpdesk import HelpdeskError, Page
from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.salesforce import API, Facts, id_list, soql_time
from handlers.helpdesk.zendesk import Credentials, Sleeper, Tokens

TOKEN = "/services/oauth2/token"
QUERY = API + "/query"
CHUNK = 200
"""Case ids per `IN (…)` list: 200 quoted ids are some 5,400 characters URL-encoded, a query's URL well below
Salesforce's limit of 16,384 (and proxies' usual 8 KB)."""
OPTIONAL = {"CaseMilestone": "no Entitlements (CaseMilestone is not available): first response and SLA "
                             "breaches are not synced",
            "CaseHistory": "no case history (CaseHistory is not available): reopens are not synced",
            "SurveySubject": "no Feedback Management surveys (SurveySubject is not available): CSAT is not synced",
            "EmailMessage": "no case emails (EmailMessage is not available): a customer's reply does not end a "
                            "wait on the customer",
            "SurveyQuestionResponse": "no survey answers readable (SurveyQuestionResponse is not available): "
                                      "CSAT is not synced"}


class Unsupported(HelpdeskError):
    """A query on an object the org does not have (400 INVALID_TYPE)."""


def _pack(instance_url: str, access_token: str) -> str:
    """The cached token: the instance's URL and the access token, one string (the cache keeps one)."""
    return f"{instance_url} {access_token}"


def _unpack(token: str) -> tuple[str, str]:
    instance, _space, access = token.partition(" ")
    return instance, access


class SalesforceConnector:
    def __init__(self, config: HelpdeskConfig, credentials: Credentials, tokens: Tokens, http: httpx.AsyncClient,
                 *, sleep: Sleeper, max_wait: float = 120.0, max_retries: int = 5, usage_stop: float = 0.9) -> None:
        self.config, self.credentials, self.tokens, self.http = config, credentials, tokens, http
        self.sleep, self.max_wait, self.max_retries, self.usage_stop = sleep, max_wait, max_retries, usage_stop
        self.usage: tuple[int, int] | None = None
        """The org's API calls used today and its daily allocation, from the last answer."""
        self.missing: set[str] = set()
        """The optional objects the org does not have (see OPTIONAL)."""
        self._next: tuple[str, str] | None = None  # (the cursor a page ended at, the nextRecordsUrl after it)
        self._closed: set[str] | None = None
        self._roles: dict[str, str] = {}
        self._asked: set[str] = set()  # the users whose role was asked for (a user with none is not asked again)

    async def fetch(self, cursor: str | None, start: datetime) -> Page:
        try:
            if self._next is not None and self._next[0] == cursor:
                body = await self._get(self._next[1], {}, "the Case query")
            else:
                body = await self._get(QUERY, {"q": salesforce.cases_query(cursor, start)}, "the Case query")
            found, done, following = salesforce.records(body, "Case")
            page = salesforce.cases_page(found, done, await self._facts(found), cursor or soql_time(start))
        except salesforce.ShapeError as error:
            raise HelpdeskError(str(error)) from None
        self._next = None if following is None else (page.cursor, following)
        return page

    async def labels(self) -> Mapping[str, Sequence[str]]:
        queues = await self._query_all("SELECT Id, Name FROM Group WHERE Type = 'Queue'", "Group")
        roles = await self._query_all("SELECT Id, Name FROM UserRole", "UserRole")
        return {"queue": sorted({str(row["Name"]) for row in queues if isinstance(row, dict) and row.get("Name")}),
                "role": sorted({str(row["Name"]) for row in roles if isinstance(row, dict) and row.get("Name")})}

    async def breaches(self, start: int) -> tuple[set[str], int | None, bool]:
        """The cases whose milestones were found violated since `start` (Unix seconds), though the case itself
        may not have changed; the second to ask from next (the latest change seen)."""
        rows = await self._optional("CaseMilestone", "SELECT Case.CaseNumber, IsViolated, SystemModstamp FROM "
                                    f"CaseMilestone WHERE IsViolated = true AND SystemModstamp >= "
                                    f"{soql_time(datetime.fromtimestamp(start, UTC))} ORDER BY SystemModstamp ASC")
        numbers, latest = salesforce.violated(rows or [])
        return numbers, None if latest is None else int(latest.timestamp()), True

    async def check(self) -> None:
        """The connected app gets a token (not kept: the cached one is for the syncs), cases can be read, and
        which optional objects the org has (`notes`)."""
        await self._issue()
        await self._query_all("SELECT Id FROM Case LIMIT 1", "Case")
        for name in OPTIONAL:
            await self._optional(name, f"SELECT Id FROM {name} LIMIT 1")

    def notes(self) -> list[str]:
        """What `helpdesk check` adds: the API usage, and what the org lacks."""
        found = [OPTIONAL[name] for name in OPTIONAL if name in self.missing]
        if self.usage is not None:
            used, allocated = self.usage
            found.insert(0, f"API usage {used:,}/{allocated:,} today ({used / max(allocated, 1):.0%})")
        return found

    async def _facts(self, found: Sequence[Any]) -> Facts:
        """What CaseMilestone, CaseHistory, the customers' emails, the surveys and the owners' roles say of these
        cases."""
        facts = Facts()
        ids = [row["Id"] for row in found if isinstance(row, dict) and isinstance(row.get("Id"), str)]
        if not ids:
            return facts
        history: list[Any] | None = []
        for at in range(0, len(ids), CHUNK):
            chunk = id_list(ids[at:at + CHUNK])
            rows = await self._optional("CaseMilestone", "SELECT CaseId, MilestoneType.Name, CompletionDate, "
                                        f"IsViolated FROM CaseMilestone WHERE CaseId IN {chunk}")
            salesforce.milestones(rows or [], facts)
            changes = await self._optional("CaseHistory", "SELECT CaseId, Field, OldValue, NewValue, CreatedDate "
                                           f"FROM CaseHistory WHERE Field = 'Status' AND CaseId IN {chunk} "
                                           "ORDER BY CaseId, CreatedDate ASC")
            history = None if changes is None or history is None else [*history, *changes]
            salesforce.customer_emails(await self._optional("EmailMessage", salesforce.replies_query(chunk)) or [],
                                       facts)
            links = salesforce.survey_links(await self._optional(
                "SurveySubject", f"SELECT SubjectId, SurveyResponseId FROM SurveySubject WHERE SubjectId IN {chunk}")
                or [])
            if links:
                salesforce.csat_answers(await self._optional(
                    "SurveyQuestionResponse", "SELECT ResponseId, NumberValue FROM SurveyQuestionResponse WHERE "
                    f"ResponseId IN {id_list(links)} AND Question.QuestionType = 'CSAT'") or [], links, facts)
        if history is not None:
            facts.reopens = salesforce.reopens(history, await self._closed_statuses(), ids)
        users = sorted(salesforce.owner_users(found) - self._asked)
        self._asked.update(users)
        for at in range(0, len(users), CHUNK):
            self._roles.update(salesforce.roles(await self._query_all(
                f"SELECT Id, UserRole.Name FROM User WHERE Id IN {id_list(users[at:at + CHUNK])}", "User")))
        facts.roles = self._roles
        return facts

    async def _closed_statuses(self) -> set[str]:
        if self._closed is None:
            self._closed = salesforce.closed_statuses(
                await self._query_all("SELECT ApiName, MasterLabel, IsClosed FROM CaseStatus", "CaseStatus"))
        return self._closed

    async def _optional(self, name: str, soql: str) -> list[Any] | None:
        """The query's records, or None when the org does not have the object (said once by `notes`)."""
        if name in self.missing:
            return None
        try:
            return await self._query_all(soql, name)
        except Unsupported:
            self.missing.add(name)
            return None

    async def _query_all(self, soql: str, what: str) -> list[Any]:
        found: list[Any] = []
        body = await self._get(QUERY, {"q": soql}, f"the {what} query")
        for _batch in range(10_000):
            try:
                batch, _done, following = salesforce.records(body, what)
            except salesforce.ShapeError as error:
                raise HelpdeskError(str(error)) from None
            found.extend(batch)
            if following is None:
                break
            body = await self._get(following, {}, f"the {what} query")
        return found

    async def _issue(self) -> tuple[str, int | None]:
        """A new access token (and the instance to use it on) by the client-credentials flow; Salesforce says no
        lifetime (the session times out by the org's policy: a 401 then asks again)."""
        try:
            response = await self.http.post(self.config.url + TOKEN, data={
                "grant_type": "client_credentials", "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret})
        except httpx.HTTPError as error:
            raise HelpdeskError(f"{self.config.url} is unreachable ({error.__class__.__name__})") from None
        if response.status_code in (400, 401, 403):
            try:
                code, _message = salesforce.error(response.json())
            except ValueError:
                code = ""
            raise HelpdeskError(f"the connected app was refused ({response.status_code} {code}): check its consumer "
                                "key and secret, that it enables the client credentials flow and names a Run As user")
        if response.status_code >= 300:
            raise HelpdeskError(f"{TOKEN} answered {response.status_code}")
        body = _json(response, TOKEN)
        access = body.get("access_token") if isinstance(body, dict) else None
        instance = body.get("instance_url") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access or " " in access:
            raise HelpdeskError(f"{TOKEN} answered with no access_token")
        if not isinstance(instance, str) or not instance.startswith(("https://", "http://")) or " " in instance:
            raise HelpdeskError(f"{TOKEN} answered with no instance_url")
        return _pack(instance.rstrip("/"), access), None

    async def _get(self, path: str, params: Mapping[str, Any], what: str) -> Any:
        self._within_allocation()
        token = await self.tokens.current() or await self.tokens.renew(None, self._issue)
        if not token.startswith(("https://", "http://")):  # cached by another kind of source under this key
            token = await self.tokens.renew(token, self._issue)
        refreshed, waits = False, 0
        while True:
            instance, access = _unpack(token)
            try:
                response = await self.http.get(instance + path, params=params,
                                               headers={"Authorization": f"Bearer {access}"})
            except httpx.HTTPError as error:
                raise HelpdeskError(f"{instance} is unreachable ({error.__class__.__name__})") from None
            self.usage = salesforce.api_usage(response.headers.get("Sforce-Limit-Info")) or self.usage
            if response.status_code == 401 and not refreshed:
                token, refreshed = await self.tokens.renew(token, self._issue), True
                continue
            if response.status_code in (429, 503):
                wait = _retry_after(response)
                waits += 1
                if waits > self.max_retries or wait > self.max_wait:
                    raise HelpdeskError(f"rate limited on {what} ({response.status_code}, Retry-After {wait:g} s) "
                                        f"{waits} times: the next sync goes on from here")
                await self.sleep(wait)
                continue
            if response.status_code < 300:
                return _json(response, what)
            raise _refusal(response, what)

    def _within_allocation(self) -> None:
        if self.usage is None:
            return
        used, allocated = self.usage
        if allocated > 0 and used > allocated * self.usage_stop:
            raise HelpdeskError(f"the org has used {used:,} of its {allocated:,} API calls today "
                                f"({used / allocated:.0%}), over the {self.usage_stop:.0%} supportbot may use: "
                                "stopped, the next sync goes on from here")


def _refusal(response: httpx.Response, what: str) -> HelpdeskError:
    try:
        code, message = salesforce.error(response.json())
    except ValueError:
        code, message = "", ""
    status = response.status_code
    if status == 400 and code == "INVALID_TYPE":
        return Unsupported(f"{what}: {message}")
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return HelpdeskError("the org's API request limit is exceeded (403 REQUEST_LIMIT_EXCEEDED): stopped, the "
                             "next sync goes on from here")
    if status == 401:
        return HelpdeskError(f"{what}: the new access token was refused too (401 {code}): check the connected app")
    if status == 403:
        return HelpdeskError(f"{what}: forbidden (403 {code}): the Run As user needs API Enabled and read access "
                             "to cases (View All Cases, or sharing that shows them)")
    return HelpdeskError(f"{what} answered {status} {code}: {message}".rstrip(": "))


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "60"))
    except ValueError:
        seconds = 60.0
    return 60.0 if not math.isfinite(seconds) else max(0.0, seconds)


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise HelpdeskError(f"{what} answered with something that is not JSON") from None
