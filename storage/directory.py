"""The team directory, loaded from the teams tables and kept current on every replica.

`TeamDirectory.current()` answers from memory. At most every `check_every` seconds it asks the
database for the configuration's revision (one primary-key read) and loads a new snapshot only when
the revision moved, so a `config apply` on one machine reaches every running instance within a few
seconds, and a listener that only routes does no database round trip in between.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.directory import Directory, PathProfile, TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.rules.helpdesk_config import HelpdeskConfig
from bot.rules.team_config import TeamConfig
from bot.rules.ticket_notes import Source
from storage.db import SessionFactory
from storage.helpdesk_models import HelpdeskSource
from storage.models import EscalationPath, Revision, Team, TeamMember

TEAMS = "teams"
log = logging.getLogger(__name__)


async def revision(session: AsyncSession) -> int:
    return int(await session.scalar(select(Revision.number).where(Revision.name == TEAMS)) or 0)


async def bump(session: AsyncSession) -> None:
    """Raise the teams revision, in the caller's transaction (it commits with the change)."""
    raised = await session.execute(update(Revision).where(Revision.name == TEAMS)
                                   .values(number=Revision.number + 1))
    if getattr(raised, "rowcount", 0):
        return
    try:
        async with session.begin_nested():
            await session.execute(insert(Revision).values(name=TEAMS, number=1))
    except IntegrityError:  # another process inserted it first
        await session.execute(update(Revision).where(Revision.name == TEAMS).values(number=Revision.number + 1))


def _source(row: HelpdeskSource) -> Source:
    config = HelpdeskConfig.model_validate(row.config)
    return Source(row.key, config.kind, config.url)


async def load(session: AsyncSession) -> Directory:
    """A snapshot of every team: four queries, whatever the number of teams and members."""
    number = await revision(session)
    stored = (await session.scalars(select(Team).order_by(Team.key))).all()
    members = (await session.execute(
        select(TeamMember.team_id, TeamMember.user_id, TeamMember.role)
        .where(TeamMember.active.is_(True)).order_by(TeamMember.user_id))).all()
    paths = (await session.scalars(select(EscalationPath).order_by(EscalationPath.position,
                                                                   EscalationPath.id))).all()
    helpdesks = tuple(_source(row) for row in (await session.scalars(
        select(HelpdeskSource).where(HelpdeskSource.active.is_(True)).order_by(HelpdeskSource.key))).all())
    people: dict[tuple[int, str], list[str]] = {}
    for team_id, user_id, role in members:
        people.setdefault((team_id, role), []).append(user_id)
    profiles = []
    for team in stored:
        config = TeamConfig.model_validate({
            "key": team.key, "name": team.name, "timezone": team.timezone,
            "members": people.get((team.id, "member"), []), "managers": people.get((team.id, "manager"), []),
            "channels": team.channels,
            "escalation_paths": [{"key": p.key, "name": p.name, "channel": p.channel}
                                 for p in paths if p.team_id == team.id and p.active],
            **team.settings,
        })
        profiles.append(TeamProfile(
            id=team.id, config=config, policy=TeamPolicy.from_config(
                config.escalation_policy, config.timezone, holidays=config.standup.holidays,
                holidays_country=config.holidays_country),
            paths=tuple(PathProfile(id=p.id, team_id=p.team_id, key=p.key, name=p.name, channel=p.channel,
                                    active=p.active) for p in paths if p.team_id == team.id),
            helpdesks=helpdesks))
    return Directory.of(number, profiles)


class TeamDirectory:
    """The current snapshot of the teams, for listeners and jobs."""

    def __init__(self, db: SessionFactory, *, check_every: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self.check_every = check_every
        self._monotonic = monotonic
        self._snapshot: Directory | None = None
        self._checked = float("-inf")
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        self._written = 0
        """How many times this process changed the configuration (`invalidate`)."""
        self._loaded_after = 0
        """The `_written` count the snapshot was checked after: lower means this process's own change may be
        missing from it, so the next question waits for the check."""

    async def current(self) -> Directory:
        """The snapshot. Only the first question waits for the database; later, when `check_every` has
        passed, the revision is checked in the background (one check at a time) and this question is
        answered from memory. With `check_every=0` every question checks first (tests, one-off commands). After
        this process changed the configuration (`invalidate`), the next question waits for the new snapshot: the
        replica that saved a setup shows it at once."""
        own_change_missing = self._loaded_after < self._written
        if self._snapshot is not None and not own_change_missing and \
                self._monotonic() - self._checked < self.check_every:
            return self._snapshot
        if self._snapshot is not None and self.check_every > 0 and not own_change_missing:
            if self._refresh is None or self._refresh.done():
                self._checked = self._monotonic()  # no second check while this one runs
                self._refresh = asyncio.create_task(self._check_logged())
            return self._snapshot
        async with self._lock:  # one check at a time; the others get its result
            if self._snapshot is None or self._loaded_after < self._written or \
                    self._monotonic() - self._checked >= self.check_every:
                await self._check()
        assert self._snapshot is not None
        return self._snapshot

    async def _check_logged(self) -> None:
        try:
            async with self._lock:
                await self._check()
        except Exception as error:  # the database is away: keep the snapshot, try again next time
            log.warning("could not check the teams configuration's revision (%s); will retry", error)

    async def _check(self) -> None:
        written = self._written  # a change committed before this check began is in what it reads
        async with self._db() as session:
            if self._snapshot is None or await revision(session) != self._snapshot.revision:
                self._snapshot = await load(session)
        self._checked = self._monotonic()
        self._loaded_after = max(self._loaded_after, written)

    def invalidate(self) -> None:
        """This process changed (and committed) the configuration: the next question waits for the revision
        check and, the revision having moved, for the new snapshot."""
        self._written += 1
        self._checked = float("-inf")
