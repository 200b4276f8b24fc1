"""The Freshdesk connector (`bot.rules.helpdesk.Connector`) over HTTP, with httpx (Freshdesk's Python client
has had no release since 2022; the few calls needed are simpler written out).

Authentication is the agent's API key as HTTP basic auth: the key as the user name, `X` as the password. The
ticket list is walked by `updated_since` (`bot.rules.helpdesk_cursor`); past Freshdesk's 300-page cap the walk
starts again from the latest `updated_at` it saw. CSAT comes from the satisfaction ratings, read after the
tickets (`ratings`). The pure reading of the answers is `bot.rules.freshdesk`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from bot.rules import freshdesk
from bot.rules.helpdesk import HelpdeskError, Page, Unparsed
from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.helpdesk_cursor import TimeCursor
from bot.rules.zendesk import ShapeError
from handlers.helpdesk import zendesk
from handlers.helpdesk.http import Api, next_link
from handlers.helpdesk.zendesk import Sleeper

TICKETS = "/api/v2/tickets"
GROUPS = "/api/v2/groups"
RATINGS = "/api/v2/surveys/satisfaction_ratings"
AGENTS = "/api/v2/agents"
MAX_PAGES = 1000
"""Of groups or ratings in one sync (100 each)."""


def read_api_key(config: HelpdeskConfig, environ: Mapping[str, str]) -> str:
    return zendesk._value(config, "api_key", environ)


class FreshdeskConnector:
    def __init__(self, config: HelpdeskConfig, api_key: str, http: httpx.AsyncClient, *, sleep: Sleeper,
                 clock: Callable[[], datetime], per_page: int = 100) -> None:
        self.config, self.per_page = config, per_page
        self.api = Api(config.url, http, sleep, clock, auth=httpx.BasicAuth(api_key, "X"),
                       refused="the API key was refused (401): check api_key_env/api_key_file and that its agent "
                       "is active", forbidden="the API key's agent may not read this (it needs to see every "
                       "group's tickets, and the surveys)")
        self._groups: dict[int, str] | None = None
        self._agents: dict[int, str] = {}
        self._agents_listed = False

    async def fetch(self, cursor: str | None, start: datetime) -> Page:
        at = TimeCursor.load(cursor, start)
        body, response = await self.api.json("GET", TICKETS, params={
            "updated_since": freshdesk.stamp(at.since), "order_by": "updated_at", "order_type": "asc",
            "include": "stats", "per_page": self.per_page, "page": int(at.page or 1)})
        if self._groups is None:
            await self.labels()
        try:
            page = freshdesk.tickets_page(body, self._groups or {}, at, more=next_link(response) is not None,
                                          per_page=self.per_page)
        except ShapeError as error:
            raise HelpdeskError(str(error)) from None
        return replace(page, assignees=await self._assignees(freshdesk.responders(body)),
                       replies=freshdesk.customer_replies(body))

    async def _assignees(self, responders: Mapping[str, int | None]) -> dict[str, str | None]:
        """Each ticket's assignee's email; the agents are listed once a sync, when a ticket names one."""
        wanted = {agent for agent in responders.values() if agent is not None}
        if wanted - set(self._agents) and not self._agents_listed:
            self._agents_listed = True
            for page in range(1, MAX_PAGES + 1):
                body, response = await self.api.json("GET", AGENTS, params={"per_page": 100, "page": page})
                self._agents.update(freshdesk.agent_emails(body))
                if next_link(response) is None:
                    break
        return {ticket: None if agent is None else self._agents[agent] for ticket, agent in responders.items()
                if agent is None or agent in self._agents}

    async def labels(self) -> Mapping[str, Sequence[str]]:
        found: dict[int, str] = {}
        for page in range(1, MAX_PAGES + 1):
            body, response = await self.api.json("GET", GROUPS, params={"per_page": 100, "page": page})
            try:
                found.update(freshdesk.names(body))
            except ShapeError as error:
                raise HelpdeskError(str(error)) from None
            if next_link(response) is None:
                break
        self._groups = found
        return {"group": sorted(found.values())}

    async def ratings(self, since: datetime) -> tuple[dict[str, bool | None], datetime | None, list[Unparsed]]:
        """Every satisfaction rating created at or after `since`: each ticket's CSAT (the latest rating), the
        latest rating's time, and the ratings that did not read."""
        found: dict[str, bool | None] = {}
        latest: datetime | None = None
        unread: list[Unparsed] = []
        for page in range(1, MAX_PAGES + 1):
            body, response = await self.api.json("GET", RATINGS, params={
                "created_since": freshdesk.stamp(since), "per_page": 100, "page": page})
            try:
                ratings, newest, bad = freshdesk.ratings(body)
            except ShapeError as error:
                raise HelpdeskError(str(error)) from None
            found.update(ratings)
            unread.extend(bad)
            latest = newest if latest is None or (newest is not None and newest > latest) else latest
            if next_link(response) is None:
                break
        return found, latest, unread

    async def check(self) -> None:
        """The API key is accepted and may list tickets."""
        params: dict[str, Any] = {"per_page": 1}
        await self.api.json("GET", TICKETS, params=params)
