"""The Intercom connector (`bot.rules.helpdesk.Connector`) over HTTP, with httpx.

The official `python-intercom` SDK exists (httpx, pydantic, an async client), but the sync needs two calls
(the conversation search and the team list) and must see each answer's status and headers itself (401 said
in one line, 429 waited out with the injected sleep, the raw JSON read record by record so one bad
conversation is reported and the rest kept); a thin client on httpx, as Freshdesk's, does that with no
model of Intercom's whole API in between.

Authentication is the app's access token as a Bearer token; `url` is the workspace's regional host
(https://api.intercom.io, https://api.eu.intercom.io or https://api.au.intercom.io). The search is walked
by `updated_at` (`bot.rules.helpdesk_cursor`). The pure reading of the answers is `bot.rules.intercom`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import httpx

from bot.rules import intercom
from bot.rules.helpdesk import HelpdeskError, Page
from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.helpdesk_cursor import TimeCursor
from bot.rules.zendesk import ShapeError
from handlers.helpdesk import zendesk
from handlers.helpdesk.http import Api
from handlers.helpdesk.zendesk import Sleeper

SEARCH = "/conversations/search"
TEAMS = "/teams"
ADMINS = "/admins"
VERSION = "2.11"
"""The `Intercom-Version` asked for: the shapes read are this version's."""
PER_PAGE = 150
"""The search's largest page."""


def read_access_token(config: HelpdeskConfig, environ: Mapping[str, str]) -> str:
    return zendesk._value(config, "access_token", environ)


class IntercomConnector:
    def __init__(self, config: HelpdeskConfig, access_token: str, http: httpx.AsyncClient, *, sleep: Sleeper,
                 clock: Callable[[], datetime], per_page: int = PER_PAGE) -> None:
        self.config, self.per_page = config, per_page
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json",
                   "Intercom-Version": VERSION}
        self.api = Api(config.url, http, sleep, clock, headers=headers,
                       refused="the access token was refused (401): check access_token_env/access_token_file, and "
                       "that url is the workspace's region (api.intercom.io, api.eu.intercom.io or "
                       "api.au.intercom.io)", forbidden="the app's permissions must include reading "
                       "conversations and reading admins and teams")
        self._teams: dict[str, str] | None = None
        self._admins: dict[str, str] = {}
        self._admins_listed = False

    async def fetch(self, cursor: str | None, start: datetime) -> Page:
        at = TimeCursor.load(cursor, start)
        body, _response = await self.api.json("POST", SEARCH, body=intercom.query(at, self.per_page))
        if self._teams is None:
            await self.labels()
        try:
            page = intercom.search_page(body, self._teams or {}, at)
        except ShapeError as error:
            raise HelpdeskError(str(error)) from None
        return replace(page, assignees=await self._assignees(intercom.assignees(body)),
                       replies=intercom.customer_replies(body))

    async def _assignees(self, admins: Mapping[str, str | None]) -> dict[str, str | None]:
        """Each conversation's assigned admin's email; the admins are listed once a sync, when one is named."""
        wanted = {admin for admin in admins.values() if admin is not None}
        if wanted - set(self._admins) and not self._admins_listed:
            self._admins_listed = True
            body, _response = await self.api.json("GET", ADMINS)
            self._admins.update(intercom.admin_emails(body))
        return {ident: None if admin is None else self._admins[admin] for ident, admin in admins.items()
                if admin is None or admin in self._admins}

    async def labels(self) -> Mapping[str, Sequence[str]]:
        body, _response = await self.api.json("GET", TEAMS)
        try:
            self._teams = intercom.team_names(body)
        except ShapeError as error:
            raise HelpdeskError(str(error)) from None
        return {"team": sorted(self._teams.values())}

    async def check(self) -> None:
        """The access token is accepted and may list the teams and search the conversations."""
        await self.api.json("GET", TEAMS)
        await self.api.json("POST", SEARCH, body=intercom.query(TimeCursor(since=self.api.clock()), 1))
