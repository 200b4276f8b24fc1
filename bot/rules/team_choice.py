"""Which of a person's teams a command or a form acts on.

A person may belong to several teams (a head of support, an agent covering two queues). The team is, in
order: the one named in the command (`/kpi tier2`: a team's key or name, or an unambiguous start of
either), the one picked in the form, the one they last chose (remembered per person), their only team,
else the first by key. A name that matches none or several of their teams is answered with their teams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.rules.directory import TeamProfile

How = Literal["argument", "form", "remembered", "only", "first"]


@dataclass(frozen=True)
class Chosen:
    team: TeamProfile
    how: How

    @property
    def explicit(self) -> bool:
        """The person named or picked it: worth remembering as their default."""
        return self.how in ("argument", "form")


@dataclass(frozen=True)
class NotChosen:
    """Why no team: `text` says it and lists the teams to choose from."""

    text: str


def _escaped(text: str) -> str:
    """Slack's mrkdwn control characters (&, < and >) in text someone typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def listing(teams: Sequence[TeamProfile]) -> str:
    """`tier1` (Tier 1 Support), `tier2` (Tier 2 Support)."""
    return ", ".join(f"`{team.key}` ({_escaped(team.name)})" for team in teams)


def match(argument: str, teams: Sequence[TeamProfile]) -> list[TeamProfile]:
    """The teams `argument` names: an exact key or name (any case) first, else those whose key or name
    starts with it."""
    wanted = " ".join(argument.split()).casefold()
    if not wanted:
        return []
    exact = [team for team in teams if wanted in (team.key.casefold(), " ".join(team.name.split()).casefold())]
    if exact:
        return exact
    return [team for team in teams
            if team.key.casefold().startswith(wanted) or team.name.casefold().startswith(wanted)]


def choose(teams: Sequence[TeamProfile], *, argument: str | None = None, picked: str | None = None,
           remembered: str | None = None) -> Chosen | NotChosen | None:
    """The team among `teams` (the person's teams this command may act on, by key) to act on; None when
    there is none (the command's own refusal applies). `picked` and `remembered` are team keys."""
    if not teams:
        return None
    if argument is not None and argument.strip():
        found = match(argument, teams)
        shown = _escaped(" ".join(argument.split())[:80].replace("`", "'"))
        if len(found) == 1:
            return Chosen(found[0], "argument")
        if found:
            return NotChosen(f"`{shown}` could be {listing(found)}: name one of them by its key.")
        return NotChosen(f"`{shown}` is not one of your teams here. Your teams: {listing(teams)}.")
    by_key = {team.key: team for team in teams}
    if picked is not None and picked in by_key:
        return Chosen(by_key[picked], "form")
    if remembered is not None and remembered in by_key:
        return Chosen(by_key[remembered], "remembered")
    return Chosen(teams[0], "only" if len(teams) == 1 else "first")
