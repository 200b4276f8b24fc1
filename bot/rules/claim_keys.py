"""The names of units of work, one function each: a claim with this key is what makes a job or a
delivery happen once across ticks, restarts and replicas (`storage.claims`).

Keys are stable: changing one would send everything already done once more. Each is built as a typed key
(`bot.rules.keys`), which knows how long it must be remembered; these functions give its stored string to the
features still on claims (stand-ups, pulse, digest), which move to the outbox next.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.rules import keys


def card(escalation_id: int, channel: str) -> str:
    """The escalation's card in one channel."""
    return str(keys.card(escalation_id, channel))


def event_reply(escalation_id: int, event_id: int, channel: str) -> str:
    """The thread reply about one timeline event under the card in `channel`."""
    return str(keys.event_reply(escalation_id, event_id, channel))


def event_dm(escalation_id: int, event_id: int, person: str) -> str:
    """The DM to one person about one timeline event."""
    return str(keys.event_dm(escalation_id, event_id, person))


def sla_reminder(escalation_id: int, clock: str, due: datetime, stage: str) -> str:
    """One stage (warning, breach, repeat-N) of one run of an SLA clock: a restarted clock is a new run."""
    return str(keys.sla_reminder(escalation_id, clock, due, stage))


def weekly_review(team_key: str, week_ends: date) -> str:
    return str(keys.DatedKey("escalation-review", week_ends, (team_key,)))


def standup_prompt(team_key: str, user_id: str, day: date) -> str:
    """One member's stand-up prompt for one of their local days."""
    return str(_standup(team_key, day, "prompt", user_id))


def standup_reminder(team_key: str, user_id: str, day: date) -> str:
    return str(_standup(team_key, day, "reminder", user_id))


def standup_parent(team_key: str, day: date) -> str:
    """The team's day message in the report channel."""
    return str(_standup(team_key, day, "parent"))


def standup_reply(team_key: str, day: date, user_id: str) -> str:
    """One member's answer, a thread reply (edits update it in place)."""
    return str(_standup(team_key, day, "reply", user_id))


def standup_summary(team_key: str, day: date) -> str:
    return str(_standup(team_key, day, "summary"))


def slack_event(event_id: str, day: date) -> str:
    """One Events API delivery (its retries carry the same `event_id`); `day` is the event's UTC day."""
    return str(keys.DatedKey("slack-event", day, (), (event_id,)))


def pulse_form(round_id: int, trigger_id: str) -> str:
    """The answer form opened for one click on a pulse DM's Answer button (a click sent twice opens one)."""
    return str(keys.RoundKey(round_id, ("form", trigger_id)))


def _standup(team_key: str, day: date, *part: str) -> keys.DatedKey:
    return keys.DatedKey("standup", day, (team_key,), part, keep_after=timedelta(days=3))
