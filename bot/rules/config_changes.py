"""What applying a teams file would change, worked out before anything is written.

`changes(stored, wanted)` compares the stored configuration (`config show`) with a file's: teams added,
settings changed (one `path: old -> new` line each), memberships added and deactivated, lists emptied (which
need the operator's `--yes`) and problems that refuse the file. `overwritten(...)` picks, among those changes,
the ones that undo what was changed in Slack since the file was last applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.rules.team_config import REQUIRED_IN_FILE, TeamConfig

ABSENT = object()
"""A setting one side does not have (e.g. a priority override added on the other side)."""


@dataclass(frozen=True)
class Change:
    team: str
    path: str
    old: Any
    new: Any

    def line(self) -> str:
        return f"{self.path}: {_shown(self.old)} -> {_shown(self.new)}"


@dataclass
class ConfigChanges:
    added: list[str] = field(default_factory=list)
    """Keys of the teams the file creates."""
    changed: list[Change] = field(default_factory=list)
    """Each setting of an existing team the file changes (name, timezone, channels, paths, sections)."""
    memberships_added: list[str] = field(default_factory=list)
    """`team:user (role)`, for a new or re-activated membership."""
    memberships_deactivated: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    """`teams[0].members: ...` for a list written empty that would deactivate people: applied only with --yes."""
    problems: list[str] = field(default_factory=list)
    """Why the file is refused whatever the operator says."""

    @property
    def nothing(self) -> bool:
        return not (self.added or self.changed or self.memberships_added or self.memberships_deactivated)

    def lines(self) -> list[str]:
        """One line per change, as `config apply --dry-run` prints them."""
        found = [f"team {key}: added" for key in self.added]
        found += [f"team {change.team}: {change.line()}" for change in self.changed]
        found += [f"membership added {who}" for who in self.memberships_added]
        found += [f"membership deactivated {who}" for who in self.memberships_deactivated]
        return found or ["no changes"]


def changes(stored: Sequence[TeamConfig], wanted: Sequence[TeamConfig]) -> ConfigChanges:
    """What applying `wanted` (a file's teams) to `stored` (every stored team) would do."""
    found = ConfigChanges()
    by_key = {team.key: team for team in stored}
    for index, team in enumerate(wanted):
        before = by_key.get(team.key)
        if before is None:
            found.added.append(team.key)
            if not team.members and not team.managers:
                found.problems.append(f"teams[{index}]: a new team needs at least one member or manager")
        else:
            found.changed += settings_changed(before, team)
        for role, key in (("member", "members"), ("manager", "managers")):
            had = set(getattr(before, key)) if before is not None else set()
            has = set(getattr(team, key))
            found.memberships_added += [f"{team.key}:{user} ({role})" for user in sorted(has - had)]
            dropped = sorted(had - has)
            found.memberships_deactivated += [f"{team.key}:{user} ({role})" for user in dropped]
            if dropped and not has:
                found.emptied.append(f"teams[{index}].{key}: the empty list deactivates {len(dropped)} "
                                     f"({', '.join(dropped)})")
    return found


def settings_changed(before: TeamConfig, after: TeamConfig) -> list[Change]:
    """Every setting that differs, by its dotted path; the membership lists are compared in `changes`."""
    old, new = _flat(before, people=False), _flat(after, people=False)
    return [Change(after.key, path, old.get(path, ABSENT), new.get(path, ABSENT))
            for path in _ordered(old, new) if old.get(path, ABSENT) != new.get(path, ABSENT)]


def overwritten(last_applied: Sequence[TeamConfig] | None, stored: Sequence[TeamConfig],
                wanted: Sequence[TeamConfig]) -> dict[str, list[Change]]:
    """By team, the changes applying `wanted` makes to what was changed since `last_applied` (in Slack: the
    setup forms). With no record of the last file (`None`), or for a team it did not list, every change to a
    stored team counts: nothing says it was not made in Slack."""
    previous = {team.key: team for team in last_applied or ()}
    now = {team.key: team for team in stored}
    found: dict[str, list[Change]] = {}
    for team in wanted:
        current = now.get(team.key)
        if current is None:
            continue
        current_flat, wanted_flat = _flat(current, people=True), _flat(team, people=True)
        earlier = previous.get(team.key)
        edited = set(_ordered(current_flat, wanted_flat)) if last_applied is None or earlier is None else \
            _differing(_flat(earlier, people=True), current_flat)
        lost = [Change(team.key, path, current_flat.get(path, ABSENT), wanted_flat.get(path, ABSENT))
                for path in _ordered(current_flat, wanted_flat)
                if path in edited and current_flat.get(path, ABSENT) != wanted_flat.get(path, ABSENT)]
        if lost:
            found[team.key] = lost
    return found


def _differing(one: Mapping[str, Any], other: Mapping[str, Any]) -> set[str]:
    return {path for path in _ordered(one, other) if one.get(path, ABSENT) != other.get(path, ABSENT)}


def _flat(team: TeamConfig, *, people: bool) -> dict[str, Any]:
    """{'standup.time': '09:30', 'members': ['U1', 'U2'], ...}: nested sections by dotted path, lists whole;
    what is not set (None, an empty section) is left out."""
    document = team.model_dump(mode="json", exclude={"key"}, exclude_none=True)
    for key in REQUIRED_IN_FILE:
        if people:
            document[key] = sorted(document[key])
        else:
            del document[key]
    found: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):  # an empty one is nothing set
            for name, inner in value.items():
                walk(f"{prefix}.{name}" if prefix else str(name), inner)
        else:
            found[prefix] = value

    walk("", document)
    return found


def _ordered(one: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys([*one, *other]))


def _shown(value: Any) -> str:
    if value is ABSENT:
        return "(not set)"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
