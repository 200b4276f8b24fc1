"""The team directory: who is who, as one read-only snapshot of the teams configuration.

Listeners and jobs ask it which teams a person belongs to, who manages a team, where an escalation
path posts and which SLA policy applies, without a database round trip. Each team's configuration was
validated once (`TeamConfig`) and its escalation policy built once (`TeamPolicy`) when the snapshot was
made; `storage.directory` makes a new snapshot when the configuration's revision changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.rules.escalations import TeamPolicy
from bot.rules.team_config import TeamConfig
from bot.rules.ticket_notes import Source


@dataclass(frozen=True)
class PathProfile:
    """An escalation path: where escalations of that kind are routed."""

    id: int
    team_id: int
    key: str
    name: str
    channel: str
    active: bool = True


@dataclass(frozen=True)
class TeamProfile:
    id: int
    config: TeamConfig
    policy: TeamPolicy
    paths: tuple[PathProfile, ...] = ()
    """Every path the team has had (escalations keep theirs); `active_paths` are the ones offered."""
    helpdesks: tuple[Source, ...] = ()
    """The workspace's active helpdesk sources, as the configuration names them (loaded and reloaded with the
    teams: a click on an escalation with linked tickets asks the database nothing about them)."""

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def timezone(self) -> str:
        return self.config.timezone

    @property
    def managers(self) -> list[str]:
        return sorted(set(self.config.managers))

    @property
    def channels(self) -> Mapping[str, str]:
        return self.config.channels.model_dump(exclude_none=True)

    @property
    def active_paths(self) -> list[PathProfile]:
        return [path for path in self.paths if path.active]

    def belongs(self, user_id: str) -> bool:
        """Members and managers may act on the team's work."""
        return user_id in self.config.members or user_id in self.config.managers

    def is_manager(self, user_id: str) -> bool:
        return user_id in self.config.managers


@dataclass(frozen=True)
class Directory:
    revision: int
    teams: tuple[TeamProfile, ...] = ()
    _by_id: dict[int, TeamProfile] = field(init=False, repr=False, compare=False)
    _by_key: dict[str, TeamProfile] = field(init=False, repr=False, compare=False)
    _by_user: dict[str, tuple[TeamProfile, ...]] = field(init=False, repr=False, compare=False)
    _paths: dict[int, PathProfile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.teams, key=lambda team: team.key)
        by_user: dict[str, list[TeamProfile]] = {}
        for team in ordered:
            for user in dict.fromkeys([*team.config.members, *team.config.managers]):
                by_user.setdefault(user, []).append(team)
        object.__setattr__(self, "teams", tuple(ordered))
        object.__setattr__(self, "_by_id", {team.id: team for team in ordered})
        object.__setattr__(self, "_by_key", {team.key: team for team in ordered})
        object.__setattr__(self, "_by_user", {user: tuple(found) for user, found in by_user.items()})
        object.__setattr__(self, "_paths", {path.id: path for team in ordered for path in team.paths})

    @classmethod
    def of(cls, revision: int, teams: Iterable[TeamProfile]) -> Directory:
        return cls(revision=revision, teams=tuple(teams))

    def teams_of(self, user_id: str) -> tuple[TeamProfile, ...]:
        """The teams a person belongs to, as a member or a manager, by key."""
        return self._by_user.get(user_id, ())

    def team(self, team_id: int) -> TeamProfile:
        """A team known to the snapshot (every stored escalation's team is)."""
        return self._by_id[team_id]

    def find(self, key: str) -> TeamProfile | None:
        return self._by_key.get(key)

    def path(self, path_id: int) -> PathProfile:
        return self._paths[path_id]

    def route(self, path_id: int, reporter: str) -> PathProfile | None:
        """The active path an escalation is sent down, if the reporter's team offers it."""
        path = self._paths.get(path_id)
        if path is None or not path.active or not self.team(path.team_id).belongs(reporter):
            return None
        return path
