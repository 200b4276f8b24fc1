"""The names of units of work, one function each: a claim with this key is what makes a job or a
delivery happen once across ticks, restarts and replicas (`storage.claims`).

Keys are stable: changing one would send everything already done once more.
"""

from __future__ import annotations

from datetime import date, datetime


def card(escalation_id: int, channel: str) -> str:
    """The escalation's card in one channel."""
    return f"esc:{escalation_id}:card:{channel}"


def event_reply(escalation_id: int, event_id: int, channel: str) -> str:
    """The thread reply about one timeline event under the card in `channel`."""
    return f"esc:{escalation_id}:event:{event_id}:reply:{channel}"


def event_dm(escalation_id: int, event_id: int, person: str) -> str:
    """The DM to one person about one timeline event."""
    return f"esc:{escalation_id}:event:{event_id}:dm:{person}"


def sla_reminder(escalation_id: int, clock: str, due: datetime, stage: str) -> str:
    """One stage (warning, breach, repeat-N) of one run of an SLA clock: a restarted clock is a new run."""
    return f"esc:{escalation_id}:{clock}:{due.isoformat()}:{stage}"


def weekly_review(team_key: str, week_ends: date) -> str:
    return f"escalation-review:{team_key}:{week_ends.isoformat()}"


def standup_prompt(team_key: str, user_id: str, day: date) -> str:
    """One member's stand-up prompt for one of their local days."""
    return f"standup:{team_key}:{day.isoformat()}:prompt:{user_id}"


def standup_reminder(team_key: str, user_id: str, day: date) -> str:
    return f"standup:{team_key}:{day.isoformat()}:reminder:{user_id}"


def standup_parent(team_key: str, day: date) -> str:
    """The team's day message in the report channel."""
    return f"standup:{team_key}:{day.isoformat()}:parent"


def standup_reply(team_key: str, day: date, user_id: str) -> str:
    """One member's answer, a thread reply (edits update it in place)."""
    return f"standup:{team_key}:{day.isoformat()}:reply:{user_id}"


def standup_summary(team_key: str, day: date) -> str:
    return f"standup:{team_key}:{day.isoformat()}:summary"


def slack_event(event_id: str, day: date) -> str:
    """One Events API delivery (its retries carry the same `event_id`); `day` is the event's UTC day."""
    return f"slack-event:{day.isoformat()}:{event_id}"


def pulse_form(round_id: int, trigger_id: str) -> str:
    """The answer form opened for one click on a pulse DM's Answer button (a click sent twice opens one)."""
    return f"pulse:{round_id}:form:{trigger_id}"
