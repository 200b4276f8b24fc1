"""Who may do what, decided here and nowhere else (DESIGN.md: members act on their own team's escalations,
stand-ups and pulse; managers also see results, configure their team and are mentioned at breaches; Slack
workspace admins and owners may create teams). Every refusal says why and who can do it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.rules.directory import TeamProfile

Role = Literal["member", "manager", "admin"]


class Can(StrEnum):
    """Everything a listener may refuse, each with whom it is for (`ALLOWED`) and how a refusal says it."""

    WORK_ESCALATIONS = "act on and see its escalations"
    ANSWER_STANDUP = "answer its stand-up"
    SET_UP_STANDUP = "change its stand-up"
    ANSWER_PULSE = "answer its pulse"
    SEE_PULSE_RESULTS = "see its pulse results (anonymous aggregates, after a round closes)"
    SET_UP_PULSE = "change its pulse"
    MANAGE_KPIS = "log figures, set targets and pin baselines"
    PRIORITIZE = "propose and score its initiatives"
    DECIDE_INITIATIVES = "close its initiatives"
    TRACK_INITIATIVES = "change an initiative's owner, target date and KPI (whoever proposed it can too)"
    EDIT_TEAM = "change the team's setup"
    CREATE_TEAM = "create a support team"
    CONNECT_HELPDESK = "connect the helpdesk (`supportbot tickets import` on the server, or the tickets webhook)"


ALLOWED: dict[Can, frozenset[Role]] = {
    Can.WORK_ESCALATIONS: frozenset({"member", "manager"}),
    Can.ANSWER_STANDUP: frozenset({"member"}),
    Can.SET_UP_STANDUP: frozenset({"manager"}),
    Can.ANSWER_PULSE: frozenset({"member"}),
    Can.SEE_PULSE_RESULTS: frozenset({"manager"}),
    Can.SET_UP_PULSE: frozenset({"manager"}),
    Can.MANAGE_KPIS: frozenset({"manager"}),
    Can.PRIORITIZE: frozenset({"member", "manager"}),
    Can.DECIDE_INITIATIVES: frozenset({"manager"}),
    Can.TRACK_INITIATIVES: frozenset({"manager"}),
    Can.EDIT_TEAM: frozenset({"manager", "admin"}),
    Can.CREATE_TEAM: frozenset({"admin"}),
    Can.CONNECT_HELPDESK: frozenset({"admin"}),
}


@dataclass(frozen=True)
class Standing:
    """A person's roles towards one team (and the workspace)."""

    roles: frozenset[Role]

    @classmethod
    def of(cls, team: TeamProfile | None, user: str, *, admin: bool = False) -> Standing:
        roles: set[Role] = {"admin"} if admin else set()
        if team is not None and user in team.config.members:
            roles.add("member")
        if team is not None and team.is_manager(user):
            roles.add("manager")
        return cls(frozenset(roles))


def may(can: Can, team: TeamProfile | None, user: str, *, admin: bool = False) -> bool:
    return bool(ALLOWED[can] & Standing.of(team, user, admin=admin).roles)


def refusal(can: Can, team: TeamProfile | None) -> str:
    """Why not, and who can: "Only Tier 1 Support's managers can change its stand-up: ask <@U0LEAD>."."""
    allowed = ALLOWED[can]
    if allowed == {"admin"} or team is None:
        who = "a Slack workspace admin or owner" if allowed == {"admin"} else "a team's " + _roles(allowed)
        return f"Only {who} can {can.value}."
    managers = ", ".join(f"<@{m}>" for m in team.managers)
    ask = f": ask {managers}" if managers else ""
    if "member" in allowed and "manager" not in allowed:
        return f"Only {team.name}'s members can {can.value}{ask} if you should be one."
    return f"Only {team.name}'s {_roles(allowed)} can {can.value}{ask}."


def _roles(allowed: frozenset[Role]) -> str:
    names = {"member": "members", "manager": "managers", "admin": "workspace admins"}
    return " and ".join(names[role] for role in ("member", "manager", "admin") if role in allowed)


def teams_where(can: Can, teams: Sequence[TeamProfile], user: str) -> list[TeamProfile]:
    """The teams in which `user` may do it."""
    return [team for team in teams if may(can, team, user)]


def may_track_initiative(team: TeamProfile | None, user: str, proposer: str) -> bool:
    """An initiative's owner, target date and KPI: a manager of its team, or whoever proposed it while they
    may still propose in that team."""
    return may(Can.TRACK_INITIATIVES, team, user) or (user == proposer and may(Can.PRIORITIZE, team, user))
