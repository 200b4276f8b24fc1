"""Applying a teams file: `supportbot config apply FILE [--dry-run] [--yes]`, and `SUPPORTBOT_CONFIG` at start-up.

Both work out what the file would change first (`bot.rules.config_changes`): a new team with nobody in it is
refused, and a list written empty that would deactivate people needs the operator's `--yes`. A start-up applies
the file only when its text changed since it was last applied, so a setup made in Slack since then is kept; when
it did change, each team whose Slack-made settings it overwrites gets one WARNING line naming them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.config_changes import ConfigChanges, changes, overwritten
from bot.rules.team_config import ConfigError, TeamConfig, TeamsFile, parse_teams
from storage import teams
from storage.db import session_factory

log = logging.getLogger("supportbot")
CONFIRM = "nothing was changed: run `supportbot config apply FILE --yes` to deactivate them"


async def apply_file(engine: AsyncEngine, text: str, *, now: datetime, dry_run: bool = False,
                     yes: bool = False) -> list[str]:
    """What `config apply` prints: the changes, then (unless a dry run) the summary of what was written.
    Raises ConfigError, having changed nothing, when the file is refused."""
    config = parse_teams(text)
    async with session_factory(engine)() as session:
        found = changes(await teams.effective(session), config.teams)
        if found.problems:
            raise ConfigError(found.problems)
        if dry_run:
            note = "dry run: nothing was changed"
            if found.emptied:
                note += "; applying it needs --yes: " + "; ".join(found.emptied)
            return [*found.lines(), note]
        _confirmed(found, yes=yes)
        report = await teams.apply(session, config, now=now, file_text=text)
        await session.commit()
    return [*found.lines(), report.summary()]


async def apply_at_start(engine: AsyncEngine, path: Path, text: str, *, now: datetime) -> None:
    """`SUPPORTBOT_CONFIG` at start-up: applied when its text changed since the last file applied (a start with
    the same file keeps what managers changed in Slack); one WARNING line per team whose Slack-made changes it
    overwrites. Raises ConfigError, having changed nothing, when the file is refused.

    Replicas started together race to apply the same file: the one whose insert of a new team loses rolls back
    and looks again, and then finds the file applied by the other."""
    try:
        await _apply_if_changed(engine, path, text, now=now)
    except IntegrityError:
        log.info("another replica applied teams file %s at the same time: checking again", path)
        await _apply_if_changed(engine, path, text, now=now)


async def _apply_if_changed(engine: AsyncEngine, path: Path, text: str, *, now: datetime) -> None:
    config = parse_teams(text)
    async with session_factory(engine)() as session:
        last = await teams.last_applied(session)
        if last is not None and last.sha256 == teams.digest(text):
            log.info("teams file %s is unchanged since it was applied at %s: not applied again, so changes made "
                     "in Slack since are kept", path, last.applied_at.isoformat(timespec="seconds"))
            return
        stored = await teams.effective(session)
        found = changes(stored, config.teams)
        if found.problems:
            raise ConfigError([f"{path}: {problem}" for problem in found.problems])
        _confirmed(found, yes=False)
        for key, lost in overwritten(_earlier(last.content if last else None), stored, config.teams).items():
            log.warning("teams file %s changed since it was last applied: it overwrites team %s's settings "
                        "changed since (in Slack): %s", path, key, "; ".join(change.line() for change in lost))
        report = await teams.apply(session, config, now=now, file_text=text)
        await session.commit()
    log.info("%s (from %s)", report.summary(), path)


def _confirmed(found: ConfigChanges, *, yes: bool) -> None:
    if found.emptied and not yes:
        raise ConfigError([*found.emptied, CONFIRM])


def _earlier(text: str | None) -> list[TeamConfig] | None:
    """The teams of the file last applied, or None when there is none or it no longer reads."""
    if text is None:
        return None
    try:
        earlier: TeamsFile = parse_teams(text)
    except ConfigError:
        return None
    return earlier.teams
