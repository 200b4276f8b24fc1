"""People's names, timezones, statuses and roles from Slack (users.info), cached in the database and refreshed
at most daily, so every feature's schedule runs in each person's own timezone.

A job asks Slack about whom the cache does not know (`people`); a request never does before it answers: it
reads the cache (`cached`) and has Slack asked after the answer (`learn_later`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.errors import SlackApiError

from bot.rules.people import Person, unknown
from handlers.services import Services
from storage import people as stored

log = logging.getLogger(__name__)
FRESH = timedelta(days=1)
AT_ONCE = 8
"""users.info calls in flight at a time (Tier 4: well within its rate limit)."""


class _Profile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    display_name: str = ""
    real_name: str = ""
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0


class _User(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str = ""
    real_name: str = ""
    tz: str | None = None
    deleted: bool = False
    is_bot: bool = False
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    profile: _Profile = _Profile()

    def person(self) -> Person:
        shown = self.profile.display_name or self.profile.real_name or self.real_name or self.name or self.id
        expires = (datetime.fromtimestamp(self.profile.status_expiration, UTC)
                   if self.profile.status_expiration > 0 else None)
        return Person(user_id=self.id, name=shown, tz=self.tz, status_emoji=self.profile.status_emoji,
                      status_text=self.profile.status_text, status_expires_at=expires,
                      is_admin=self.is_admin or self.is_owner or self.is_primary_owner, is_bot=self.is_bot,
                      deleted=self.deleted)


async def people(services: Services, user_ids: Collection[str], now: datetime, *,
                 max_age: timedelta = FRESH) -> dict[str, Person]:
    """Everyone in `user_ids`, asking Slack about those not refreshed within `max_age`. Someone Slack cannot
    tell us about keeps what we knew (or is shown by ID in the team's timezone)."""
    ids = list(dict.fromkeys(user_ids))
    async with services.db() as session:
        cached = await stored.known(session, ids)
    found = {user: person for user, (person, _) in cached.items()}
    stale = [user for user in ids if user not in cached or now - cached[user][1] >= max_age]
    if stale:
        limit = asyncio.Semaphore(AT_ONCE)

        async def ask(user: str) -> Person | None:
            async with limit:
                return await _users_info(services, user)

        fresh = [person for person in await asyncio.gather(*(ask(user) for user in stale)) if person is not None]
        if fresh:
            async with services.db() as session:
                await stored.remember(session, fresh, now=now)
                await session.commit()
        found.update({person.user_id: person for person in fresh})
    return {user: found.get(user) or unknown(user) for user in ids}


async def person(services: Services, user_id: str, now: datetime, *, max_age: timedelta = FRESH) -> Person:
    return (await people(services, [user_id], now, max_age=max_age))[user_id]


@dataclass(frozen=True)
class Cached:
    """What the cache knows of some people, however old, and whom it should learn about again."""

    found: dict[str, Person]
    stale: list[str]
    """Never asked about, or not within `max_age`."""

    def person(self, user_id: str) -> Person:
        return self.found.get(user_id) or unknown(user_id)


async def cached(services: Services, user_ids: Collection[str], now: datetime, *,
                 max_age: timedelta = FRESH) -> Cached:
    """What the cache knows of these people, without asking Slack: what a request reads before it answers."""
    ids = list(dict.fromkeys(user_ids))
    async with services.db() as session:
        known = await stored.known(session, ids)
    return Cached({user: person for user, (person, _) in known.items()},
                  [user for user in ids if user not in known or now - known[user][1] >= max_age])


def learn_later(services: Services, user_ids: Collection[str], now: datetime, *,
                then: Callable[[], Awaitable[None]] | None = None) -> None:
    """Ask Slack about these people after the answer and cache what it says; then run `then` (show them a Home
    that knows them, say)."""
    if not user_ids:
        return

    async def learn() -> None:
        await people(services, user_ids, now, max_age=timedelta(0))
        if then is not None:
            await then()

    services.outbox.in_background(learn())


NOT_A_PERSON = ("user_not_found", "user_not_visible")
"""users.info's answers for an ID that names nobody: cached as a deactivated person, so that a forged ID is
refused from the cache and not asked about again before `FRESH` has passed."""


async def _users_info(services: Services, user_id: str) -> Person | None:
    try:
        answer = await services.client.users_info(user=user_id)
        return _User.model_validate(answer.get("user") or {}).person()
    except SlackApiError as error:
        if error.response.get("error") in NOT_A_PERSON:
            return replace(unknown(user_id), deleted=True)
        log.warning("users.info for %s failed (%s); using what we knew", user_id, error.response.get("error"))
    except ValidationError:
        log.warning("users.info for %s gave an unreadable user; using what we knew", user_id)
    except Exception as error:  # a Slack outage must not stop a schedule: we keep what we knew
        log.warning("users.info for %s failed (%s); using what we knew", user_id, type(error).__name__)
    return None
