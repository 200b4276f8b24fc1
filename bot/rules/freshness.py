"""How fresh a team's synced tickets are (issue 21): "tickets from Zendesk as of 08:55", and whether the source
has gone stale (no successful sync for longer than its `stale_after_minutes`), which the digest says instead of
reporting a quiet day and which its managers are told of once (and once more when it recovers).

Pure: the sync state, the time and the team's timezone are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

NAMES = {"zendesk": "Zendesk", "salesforce": "Salesforce", "intercom": "Intercom", "freshdesk": "Freshdesk"}
Notice = Literal["stale", "recovered"]


@dataclass(frozen=True)
class Freshness:
    source: str
    """The source's key in the teams YAML."""
    name: str
    """The helpdesk's name: Zendesk."""
    last_success: datetime | None
    stale: bool
    text: str
    """One line for the digest and `/kpi`."""
    problem: str = ""
    """When stale, what is wrong in a few words: "Zendesk has not synced since 08:55 (3 h ago)"."""


def _when(at: datetime, now: datetime, timezone: str) -> str:
    local, today = at.astimezone(ZoneInfo(timezone)), now.astimezone(ZoneInfo(timezone)).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def judge(source: str, kind: str, *, last_success: datetime | None, last_attempt: datetime | None,
          stale_after_minutes: int, now: datetime, timezone: str) -> Freshness:
    """Stale when the last success is older than `stale_after_minutes`, or when a sync was tried and none ever
    succeeded; a source never tried yet (just configured) is waiting, not stale."""
    name = NAMES.get(kind, kind)
    if last_success is None:
        if last_attempt is None:
            return Freshness(source, name, None, False, f"tickets from {name}: waiting for the first sync")
        problem = f"{name} has never synced"
        return Freshness(source, name, None, True, f"⚠️ {problem}: the figures may be missing tickets, not show a "
                                                   "quiet day", problem)
    age = now - last_success
    when = _when(last_success, now, timezone)
    if age <= timedelta(minutes=stale_after_minutes):
        return Freshness(source, name, last_success, False, f"tickets from {name} as of {when}")
    problem = f"{name} has not synced since {when} ({_ago(age)} ago)"
    return Freshness(source, name, last_success, True,
                     f"⚠️ {problem}: the figures may be missing tickets, not show a quiet day", problem)


def notice(was_stale: bool, freshness: Freshness) -> Notice | None:
    """What to tell the managers: that the source went stale, or that it recovered; None when nothing changed."""
    if freshness.stale and not was_stale:
        return "stale"
    if was_stale and not freshness.stale and freshness.last_success is not None:
        return "recovered"
    return None


def state_key(source: str) -> str:
    """The alert-state name (`metric_alert_states.metric`) that remembers whether the managers were told."""
    return f"helpdesk:{source}"[:64]


def notice_text(team_name: str, freshness: Freshness, kind: Notice) -> str:
    if kind == "recovered":
        return (f"✅ Tickets from {freshness.name} ({freshness.source}) are syncing again for {team_name}: "
                f"{freshness.text}.")
    return (f"⚠️ {freshness.problem} (source {freshness.source}, team {team_name}): the KPI digest may be missing "
            "tickets until it recovers. `supportbot helpdesk check` says what is wrong.")
