"""Internal notes on helpdesk tickets, as an outbox transport (`handlers.outbox.Transport`, method `helpdesk.note`):
one HTTP request per note, its refusal named for the dispatcher (`Refused`: a malformed note (400/422) or a ticket
that is not there (404) is parked at once, a refused credential (401/403) is parked as `invalid_auth`, a 429 waits
for its `Retry-After`, a 5xx or a lost connection is tried again).

The row names the source (`helpdesks[].key`) and the ticket, never a credential: the source's configuration is read
from the database when the note is sent, and its credentials from the environment variables or files it names
(OAuth tokens from the cache the syncs share, `handlers.helpdesk.tokens`).

- Zendesk: `PUT /api/v2/tickets/{id}.json` with `{"ticket": {"comment": {"body", "public": false}}}` (a private
  comment is an internal note; https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/).
- Salesforce: `POST /services/data/vXX.X/sobjects/CaseComment/` with `{"ParentId", "CommentBody", "IsPublished":
  false}` (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_casecomment.htm).
- Intercom: `POST /conversations/{id}/reply` with `{"message_type": "note", "type": "admin", "admin_id", "body"}`,
  the admin being the access token's own (`GET /me`; https://developers.intercom.com/docs/references/rest-api/
  api.intercom.io/conversations/replyconversation).
- Freshdesk: `POST /api/v2/tickets/{id}/notes` with `{"body", "private": true}`
  (https://developers.freshdesk.com/api/#add_note_to_a_ticket).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.rules.helpdesk import HelpdeskError
from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.salesforce import API as SALESFORCE_API
from bot.rules.ticket_notes import body_for
from handlers.helpdesk import freshdesk, intercom, zendesk
from handlers.helpdesk.salesforce import SalesforceConnector
from handlers.helpdesk.tokens import StoredTokens
from handlers.outbox import Refused, Transport
from storage import helpdesks
from storage.db import SessionFactory

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
Writer = Callable[[HelpdeskConfig, httpx.AsyncClient, str, str], Awaitable[httpx.Response]]


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(1.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def refusal(response: httpx.Response) -> Refused:
    """What an answer other than 2xx means for a note."""
    status, detail = response.status_code, response.text[:200]
    if status == 429:
        return Refused("http_429", retry_after=_retry_after(response), detail=detail)
    if status in (400, 422):
        return Refused("invalid_note", detail=detail)
    if status == 404:
        return Refused("ticket_not_found", detail=detail)
    if status in (401, 403):
        return Refused("invalid_auth", detail=f"the helpdesk refused the credentials ({status})")
    return Refused(f"http_{status}", detail=detail)


def _code_of(error: HelpdeskError) -> str:
    """A connector's failure before the note was sent: credentials not readable (parked), an OAuth client the
    helpdesk refused (parked), or a helpdesk that did not answer (tried again)."""
    text = str(error)
    if "environment variable" in text or "file" in text:
        return "missing_credentials"
    if "refused" in text:
        return "invalid_auth"
    return "connection_error" if "unreachable" in text else "token_error"


def transports(db: SessionFactory, clock: Callable[[], datetime],
               environ: Mapping[str, str] = os.environ) -> dict[str, Transport]:
    """`helpdesk.note`: args `{"source": KEY, "ticket": ID, "text": the note}`."""

    async def note(args: dict[str, Any]) -> dict[str, Any]:
        async with db() as session:
            state = await helpdesks.source(session, str(args["source"]))
        if state is None:
            raise Refused("unknown_source", detail=f"no helpdesk source {args['source']} is configured")
        config = state.config
        body = body_for(config.kind, str(args["text"]))
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                writer = _writers(db, clock, environ)[config.kind]
                response = await writer(config, http, str(args["ticket"]), body)
        except httpx.TimeoutException:
            raise Refused("timeout") from None
        except httpx.HTTPError as error:
            raise Refused("connection_error", detail=error.__class__.__name__) from None
        except HelpdeskError as error:  # credentials unreadable, or no token issued
            raise Refused(_code_of(error), detail=str(error)) from None
        if response.status_code >= 300:
            raise refusal(response)
        return {"status": response.status_code}

    return {"helpdesk.note": note}


def _writers(db: SessionFactory, clock: Callable[[], datetime], environ: Mapping[str, str]) -> dict[str, Writer]:
    async def zendesk_note(config: HelpdeskConfig, http: httpx.AsyncClient, ticket: str, body: str) -> httpx.Response:
        connector = zendesk.ZendeskConnector(config, zendesk.read_credentials(config, environ),
                                             StoredTokens(db, config.key, clock=clock, sleep=asyncio.sleep), http,
                                             sleep=asyncio.sleep)
        token = await connector.tokens.current() or await connector.tokens.renew(None, connector._issue)
        url = f"{config.url}/api/v2/tickets/{quote(ticket, safe='')}.json"
        payload = {"ticket": {"comment": {"body": body, "public": False}}}
        response = await http.put(url, json=payload, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:  # the cached token expired: one new one
            token = await connector.tokens.renew(token, connector._issue)
            response = await http.put(url, json=payload, headers={"Authorization": f"Bearer {token}"})
        return response

    async def salesforce_note(config: HelpdeskConfig, http: httpx.AsyncClient, ticket: str,
                              body: str) -> httpx.Response:
        connector = SalesforceConnector(config, zendesk.read_credentials(config, environ),
                                        StoredTokens(db, config.key, clock=clock, sleep=asyncio.sleep), http,
                                        sleep=asyncio.sleep)
        token = await connector.tokens.current() or await connector.tokens.renew(None, connector._issue)
        payload = {"ParentId": ticket, "CommentBody": body, "IsPublished": False}
        for attempt in range(2):
            if not token.startswith(("https://", "http://")) or attempt:
                token = await connector.tokens.renew(token, connector._issue)
            instance, _space, access = token.partition(" ")
            response = await http.post(f"{instance}{SALESFORCE_API}/sobjects/CaseComment/", json=payload,
                                       headers={"Authorization": f"Bearer {access}"})
            if response.status_code != 401:
                break
        return response

    async def intercom_note(config: HelpdeskConfig, http: httpx.AsyncClient, ticket: str, body: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {intercom.read_access_token(config, environ)}",
                   "Accept": "application/json", "Intercom-Version": intercom.VERSION}
        me = await http.get(f"{config.url}/me", headers=headers)
        try:
            found = me.json() if me.status_code < 300 else None
        except ValueError:
            found = None
        admin = found.get("id") if isinstance(found, dict) else None
        if admin is None:
            return me if me.status_code >= 300 else httpx.Response(500, text="GET /me named no admin")
        return await http.post(f"{config.url}/conversations/{quote(ticket, safe='')}/reply", headers=headers,
                               json={"message_type": "note", "type": "admin", "admin_id": str(admin), "body": body})

    async def freshdesk_note(config: HelpdeskConfig, http: httpx.AsyncClient, ticket: str,
                             body: str) -> httpx.Response:
        auth = httpx.BasicAuth(freshdesk.read_api_key(config, environ), "X")
        return await http.post(f"{config.url}/api/v2/tickets/{quote(ticket, safe='')}/notes", auth=auth,
                               json={"body": body, "private": True})

    return {"zendesk": zendesk_note, "salesforce": salesforce_note, "intercom": intercom_note,
            "freshdesk": freshdesk_note}
