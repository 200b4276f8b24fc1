"""People's names, timezones and statuses from Slack (users.info), cached in the database and refreshed
at most daily, so every feature's schedule runs in each person's own timezone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
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
    profile: _Profile = _Profile()

    def person(self) -> Person:
        shown = self.profile.display_name or self.profile.real_name or self.real_name or self.name or self.id
        expires = (datetime.fromtimestamp(self.profile.status_expiration, UTC)
                   if self.profile.status_expiration > 0 else None)
        return Person(user_id=self.id, name=shown, tz=self.tz, status_emoji=self.profile.status_emoji,
                      status_text=self.profile.status_text, status_expires_at=expires)


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
        found.update({person.user_id: person for person in fresh})
    return {user: found.get(user) or unknown(user) for user in ids}


async def person(services: Services, user_id: str, now: datetime, *, max_age: timedelta = FRESH) -> Person:
    return (await people(services, [user_id], now, max_age=max_age))[user_id]


async def _users_info(services: Services, user_id: str) -> Person | None:
    try:
        answer = await services.client.users_info(user=user_id)
        return _User.model_validate(answer.get("user") or {}).person()
    except SlackApiError as error:
        log.warning("users.info for %s failed (%s); using what we knew", user_id, error.response.get("error"))
    except ValidationError:
        log.warning("users.info for %s gave an unreadable user; using what we knew", user_id)
    except Exception as error:  # a Slack outage must not stop a schedule: we keep what we knew
        log.warning("users.info for %s failed (%s); using what we knew", user_id, type(error).__name__)
    return None
