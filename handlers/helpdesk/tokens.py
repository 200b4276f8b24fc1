"""A source's OAuth access token, cached in the database (`storage.helpdesks`) and shared by the replicas.

Renewing it is claimed first (an atomic `UPDATE … WHERE` no claim is live, committed at once), so two
replicas never ask the helpdesk for a token at the same time: the one that loses waits for the winner's
token. No database lock is held while the helpdesk answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.rules.helpdesk import HelpdeskError
from handlers.helpdesk.zendesk import Issue, Sleeper
from storage import helpdesks
from storage.db import SessionFactory

CLAIM = timedelta(seconds=60)
"""How long a renewal may take before another replica may try."""
EARLY = timedelta(seconds=60)
"""A token this close to its expiry is renewed before it is used."""
POLLS = 120
POLL_SECONDS = 0.5


class StoredTokens:
    def __init__(self, db: SessionFactory, key: str, *, clock: Callable[[], datetime], sleep: Sleeper) -> None:
        self.db, self.key, self.clock, self.sleep = db, key, clock, sleep

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is None or expires_at - EARLY > self.clock()

    async def current(self) -> str | None:
        async with self.db() as session:
            token, expires_at = await helpdesks.token(session, self.key)
        return token if token is not None and self._fresh(expires_at) else None

    async def renew(self, stale: str | None, issue: Issue) -> str:
        for _poll in range(POLLS):
            now = self.clock()
            async with self.db() as session:
                token, expires_at = await helpdesks.token(session, self.key)
                if token is not None and token != stale and self._fresh(expires_at):
                    return token  # another replica (or an earlier call) renewed it meanwhile
                won = await helpdesks.claim_token(session, self.key, seen=token, now=now, until=now + CLAIM)
                await session.commit()
            if won:
                return await self._issue(issue)
            await self.sleep(POLL_SECONDS)
        raise HelpdeskError("another sync has been asking for an access token for too long")

    async def _issue(self, issue: Issue) -> str:
        try:
            access, lifetime = await issue()
        except BaseException:
            async with self.db() as session:
                await helpdesks.store_token(session, self.key, access_token=None, expires_at=None)
                await session.commit()
            raise
        expires_at = None if lifetime is None else self.clock() + timedelta(seconds=lifetime)
        async with self.db() as session:
            await helpdesks.store_token(session, self.key, access_token=access, expires_at=expires_at)
            await session.commit()
        return access
