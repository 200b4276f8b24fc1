"""Teams, their members and escalation paths."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.rules.team_config import TeamConfig, TeamsFile
from storage import dialect, directory, helpdesks
from storage.models import AppliedFile, EscalationPath, Team, TeamMember

ROLES = ("member", "manager")
TEAMS_FILE = "teams"
"""The `applied_files` row of the teams file."""


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    """`team:user (role)` for each membership the file no longer lists."""
    helpdesks: list[str] = field(default_factory=list)
    """`helpdesk KEY: added|updated` for each source the file adds or changes."""

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} created",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.deactivated:
            parts.append(f"{len(self.deactivated)} memberships deactivated")
        shown = "teams: " + ", ".join(parts)
        return "\n".join([shown, *self.helpdesks])


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Applied:
    sha256: str
    content: str
    applied_at: datetime


async def last_applied(session: AsyncSession) -> Applied | None:
    """The teams file last applied from a file (None before the first)."""
    row = await session.get(AppliedFile, TEAMS_FILE)
    return None if row is None else Applied(row.sha256, row.content, row.applied_at)


async def apply(session: AsyncSession, config: TeamsFile, *, now: datetime,
                file_text: str | None = None) -> ApplyReport:
    """Upsert every team in `config`. Applying the same file twice changes nothing. `file_text`, when the
    configuration comes from a file, is recorded as the last applied file, in the same transaction (the
    caller's: not committed)."""
    report = ApplyReport()
    query = select(Team).options(selectinload(Team.members), selectinload(Team.paths))
    existing = {team.key: team for team in (await session.scalars(query)).all()}
    for wanted in config.teams:
        team = existing.get(wanted.key)
        if team is None:
            team = Team(key=wanted.key, name=wanted.name, timezone=wanted.timezone,
                        channels={}, settings={}, updated_at=now, members=[], paths=[])
            session.add(team)
            changed = _apply_fields(team, wanted)
            _apply_members(team, wanted, now, report)
            _apply_paths(team, wanted)
            report.created.append(wanted.key)
            continue
        changed = _apply_fields(team, wanted)
        changed |= _apply_members(team, wanted, now, report)
        changed |= _apply_paths(team, wanted)
        if changed:
            team.updated_at = now
            report.updated.append(wanted.key)
        else:
            report.unchanged.append(wanted.key)
    if config.helpdesks is not None:
        report.helpdesks = await helpdesks.apply(session, config.helpdesks, now=now)
    if report.created or report.updated:
        await directory.bump(session)
    if file_text is not None:
        await _record_file(session, file_text, now)
    return report


async def _record_file(session: AsyncSession, text: str, now: datetime) -> None:
    values = {"sha256": digest(text), "content": text, "applied_at": now}
    statement = dialect.insert(session, cast(Table, AppliedFile.__table__)).values(name=TEAMS_FILE, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


def _apply_fields(team: Team, wanted: TeamConfig) -> bool:
    values = {
        "name": wanted.name,
        "timezone": wanted.timezone,
        "channels": wanted.channels.model_dump(mode="json", exclude_none=True),
        "settings": wanted.settings(),
    }
    changed = False
    for name, value in values.items():
        if getattr(team, name) != value:
            setattr(team, name, value)
            changed = True
    return changed


def _apply_members(team: Team, wanted: TeamConfig, now: datetime, report: ApplyReport) -> bool:
    wanted_roles = {(user, "member") for user in wanted.members}
    wanted_roles |= {(user, "manager") for user in wanted.managers}
    current = {(m.user_id, m.role): m for m in team.members}
    changed = False
    for (user, role), membership in current.items():
        active = (user, role) in wanted_roles
        if membership.active != active:
            membership.active = active
            changed = True
            if not active:
                report.deactivated.append(f"{team.key}:{user} ({role})")
    for user, role in sorted(wanted_roles - current.keys()):
        team.members.append(TeamMember(user_id=user, role=role, active=True, since=now))
        changed = True
    return changed


def _apply_paths(team: Team, wanted: TeamConfig) -> bool:
    current = {path.key: path for path in team.paths}
    changed = False
    for position, config in enumerate(wanted.escalation_paths):
        path = current.get(config.key)
        if path is None:
            team.paths.append(EscalationPath(key=config.key, name=config.name, channel=config.channel,
                                             position=position, active=True))
            changed = True
            continue
        for name, value in (("name", config.name), ("channel", config.channel),
                            ("position", position), ("active", True)):
            if getattr(path, name) != value:
                setattr(path, name, value)
                changed = True
    listed = {config.key for config in wanted.escalation_paths}
    for key, path in current.items():
        if key not in listed and path.active:
            path.active = False
            changed = True
    return changed


async def get(session: AsyncSession, key: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.key == key))


async def effective(session: AsyncSession) -> list[TeamConfig]:
    """The stored configuration of every team, in the YAML's shape (what `config show` prints)."""
    return [team.config for team in (await directory.load(session)).teams]
