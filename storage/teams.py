"""Teams, their members and escalation paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.teams_config import TeamConfig, TeamsFile
from storage.models import EscalationPath, Team, TeamMember

ROLES = ("member", "manager")


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    """`team:user (role)` for each membership the file no longer lists."""

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} created",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.deactivated:
            parts.append(f"{len(self.deactivated)} memberships deactivated")
        return "teams: " + ", ".join(parts)


async def apply(session: AsyncSession, config: TeamsFile, *, now: datetime) -> ApplyReport:
    """Upsert every team in `config`. Applying the same file twice changes nothing."""
    report = ApplyReport()
    existing = {team.key: team for team in (await session.scalars(select(Team))).all()}
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
    await session.commit()
    return report


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


async def all_teams(session: AsyncSession) -> list[Team]:
    return list((await session.scalars(select(Team).order_by(Team.key))).all())


async def get(session: AsyncSession, key: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.key == key))


async def by_id(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def teams_of(session: AsyncSession, user_id: str) -> list[Team]:
    """The teams a person actively belongs to, as a member or a manager."""
    memberships = select(TeamMember.team_id).where(TeamMember.user_id == user_id, TeamMember.active.is_(True))
    query = select(Team).where(Team.id.in_(memberships)).order_by(Team.key)
    return list((await session.scalars(query)).all())


def to_config(team: Team) -> TeamConfig:
    """The effective configuration of a stored team, in the YAML's shape."""
    active = [m for m in team.members if m.active]
    return TeamConfig.model_validate({
        "key": team.key,
        "name": team.name,
        "timezone": team.timezone,
        "members": sorted(m.user_id for m in active if m.role == "member"),
        "managers": sorted(m.user_id for m in active if m.role == "manager"),
        "channels": team.channels,
        "escalation_paths": [
            {"key": p.key, "name": p.name, "channel": p.channel} for p in team.paths if p.active
        ],
        **team.settings,
    })


def managers(team: Team) -> list[str]:
    return sorted(m.user_id for m in team.members if m.active and m.role == "manager")


def is_manager(team: Team, user_id: str) -> bool:
    return user_id in managers(team)


def belongs(team: Team, user_id: str) -> bool:
    """Members and managers may act on the team's work."""
    return any(m.active and m.user_id == user_id for m in team.members)


async def path(session: AsyncSession, path_id: int) -> EscalationPath | None:
    """An active escalation path, with its team loaded."""
    found = await session.get(EscalationPath, path_id)
    if found is None or not found.active:
        return None
    await session.refresh(found, ["team"])
    return found
