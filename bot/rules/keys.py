"""Typed keys: the name of one message (or one unit of scheduled work) that must happen once.

A key is a small frozen value — its feature, its subject, its day, round or sequence — that renders to the
string stored in the database (`str(key)`, stable: changing one would send everything again) and knows how
long it must be remembered (`remembered`), so that retention asks the key instead of parsing it. `parse` reads
a stored string back (rows written before the keys were typed, and housekeeping's pages of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

STANDUP_LOOK_BACK = timedelta(days=3)  # handlers.standups.jobs.LOOK_BACK
PULSE_FOLLOW_UP = timedelta(days=2)  # handlers.pulse.jobs.FOLLOW_UP
PULSE_LONGEST_ROUND = timedelta(days=7)  # PulseConfig.close_after_hours is at most a week
BASELINE_PLAN = timedelta(days=30)  # bot.rules.kpi_plan.PLAN_DAYS


@dataclass(frozen=True)
class Remembered:
    """How long a key must be kept: while its escalation or pulse round may still want it, or up to a day."""

    escalation: int | None = None
    pulse_round: int | None = None
    last_day: date | None = None


class Key:
    """What every typed key offers."""

    def __str__(self) -> str:  # pragma: no cover - every key renders itself
        raise NotImplementedError

    @property
    def remembered(self) -> Remembered:  # pragma: no cover
        raise NotImplementedError


# --------------------------------------------------------------------------- escalations

@dataclass(frozen=True)
class EscalationKey(Key):
    """One message about escalation `escalation`: `part` names it within the escalation (card, reply, …)."""

    escalation: int
    part: tuple[str, ...]

    def __str__(self) -> str:
        return ":".join(("esc", str(self.escalation), *self.part))

    @property
    def remembered(self) -> Remembered:
        return Remembered(escalation=self.escalation)


def card(escalation: int, channel: str) -> EscalationKey:
    """The escalation's card in one channel."""
    return EscalationKey(escalation, ("card", channel))


def card_update(escalation: int, channel: str, version: str) -> EscalationKey:
    """One update of the card in `channel` (to the timeline up to an event, or to show a breach)."""
    return EscalationKey(escalation, ("card", channel, "update", version))


def event_reply(escalation: int, event: int, channel: str) -> EscalationKey:
    """The thread reply about one timeline event under the card in `channel`."""
    return EscalationKey(escalation, ("event", str(event), "reply", channel))


def event_dm(escalation: int, event: int, person: str) -> EscalationKey:
    """The DM to one person about one timeline event."""
    return EscalationKey(escalation, ("event", str(event), "dm", person))


def page(escalation: int, action: str) -> EscalationKey:
    """The page about the escalation (`trigger`, `acknowledge`, `resolve`): each is sent once."""
    return EscalationKey(escalation, ("page", action))


def ticket_note(escalation: int, source: str, ticket: str, event: int) -> EscalationKey:
    """The internal note on one linked helpdesk ticket about one timeline event."""
    return EscalationKey(escalation, ("ticket", source, ticket, "note", str(event)))


def ticket_assignee_dm(escalation: int, source: str, ticket: str, event: int) -> EscalationKey:
    """The Slack DM to a linked ticket's assignee about one timeline event (the resolution)."""
    return EscalationKey(escalation, ("ticket", source, ticket, "assignee", str(event)))


def sla_reminder(escalation: int, clock: str, due: datetime, stage: str) -> EscalationKey:
    """One stage (warning, breach, repeat-N) of one run of an SLA clock: a restarted clock is a new run."""
    return EscalationKey(escalation, (clock, due.isoformat(), stage))


def oncall_dm(escalation: int, round_number: int, level: int, person: str) -> EscalationKey:
    """The on-call chain's DM to one person at one level of one round (`bot.rules.oncall`)."""
    return EscalationKey(escalation, ("oncall", str(round_number), str(level), person))


# --------------------------------------------------------------------------- stand-ups

def _standup(team_key: str, day: date, *part: str) -> DatedKey:
    return DatedKey("standup", day, (team_key,), part, keep_after=STANDUP_LOOK_BACK)


def standup_prompt(team_key: str, user_id: str, day: date) -> DatedKey:
    """One member's stand-up prompt (a DM) for one of their local days."""
    return _standup(team_key, day, "prompt", user_id)


def standup_prompt_update(team_key: str, user_id: str, day: date, state: str) -> DatedKey:
    """The prompt shown as `state` (answered, skipped): once per state."""
    return _standup(team_key, day, "prompt", user_id, state)


def standup_reminder(team_key: str, user_id: str, day: date) -> DatedKey:
    return _standup(team_key, day, "reminder", user_id)


def standup_parent(team_key: str, day: date) -> DatedKey:
    """The team's day message in the report channel."""
    return _standup(team_key, day, "parent")


def standup_parent_update(team_key: str, day: date, answers: int) -> DatedKey:
    """The day message shown as of `answers` answers and edits (each raises the count by one)."""
    return _standup(team_key, day, "parent", "update", str(answers))


def standup_summary(team_key: str, day: date) -> DatedKey:
    """The day message turned into the summary at the window's close."""
    return _standup(team_key, day, "summary")


def standup_reply(team_key: str, day: date, user_id: str) -> DatedKey:
    """One member's answer, a thread reply under the day message."""
    return _standup(team_key, day, "reply", user_id)


def standup_reply_update(team_key: str, day: date, user_id: str, version: int) -> DatedKey:
    """The reply shown as of the answer's `version` (an edit)."""
    return _standup(team_key, day, "reply", user_id, str(version))


# --------------------------------------------------------------------------- dated and per-round keys

@dataclass(frozen=True)
class DatedKey(Key):
    """A unit of one feature for one day: `feature:<subject…>:<day>:<part…>` in the order `layout` says."""

    feature: str
    day: date
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    keep_after: timedelta = timedelta(0)
    """How long after `day` the unit may still recur (its job's look-back)."""

    def __str__(self) -> str:
        return ":".join((self.feature, *self.before, self.day.isoformat(), *self.after))

    @property
    def remembered(self) -> Remembered:
        return Remembered(last_day=self.day + self.keep_after)


@dataclass(frozen=True)
class RoundKey(Key):
    """A unit of one pulse round."""

    round_id: int
    part: tuple[str, ...]

    def __str__(self) -> str:
        return ":".join(("pulse", str(self.round_id), *self.part))

    @property
    def remembered(self) -> Remembered:
        return Remembered(pulse_round=self.round_id)


# --------------------------------------------------------------------------- what a request asks for

REQUEST_KINDS = frozenset({"home", "setup", "prioritize"})
"""Features whose keys name one request's message: remembered a day, long past any retry of that request."""
A_DAY = timedelta(days=1)


def home(person: str, day: date, refresh: str) -> DatedKey:
    """One publish of `person`'s App Home: `refresh` names what asked for it (the id of the Slack event that
    opened the tab, or of the change that altered what it shows)."""
    return DatedKey("home", day, (person,), (refresh,), A_DAY)


def request_message(feature: str, subject: str, day: date, *part: str) -> DatedKey:
    """A message one request asked for (`setup` of a team: its creator's welcome; `prioritize` of a team: the
    shared ranked list), named by what makes that request unique (a view's or a trigger's id)."""
    assert feature in REQUEST_KINDS
    return DatedKey(feature, day, (subject,), part, A_DAY)


# --------------------------------------------------------------------------- KPI digests and the weekly review

def kpi_digest(team_key: str, day: date) -> DatedKey:
    """The team's digest of its local `day` (posted the morning after)."""
    return DatedKey("kpi-digest", day, (team_key,), keep_after=timedelta(days=1))


def kpi_chart(team_key: str, day: date) -> DatedKey:
    """The 14-day trend chart uploaded under that digest."""
    return DatedKey("kpi-digest", day, (team_key,), ("chart",), timedelta(days=1))


def kpi_alert(team_key: str, metric: str, day: date, kind: str) -> DatedKey:
    """One alert (`red` or `recovered`) about one metric, judged on one day."""
    return DatedKey("kpi-alert", day, (team_key, metric), (kind,), timedelta(days=1))


def kpi_baseline_summary(team_key: str, metric: str, pinned_on: date) -> DatedKey:
    """The day-30 summary of a baseline pinned on `pinned_on`."""
    return DatedKey("kpi-baseline", pinned_on, (team_key, metric), ("summary",), BASELINE_PLAN + timedelta(days=1))


def weekly_review(team_key: str, week_ends: date) -> DatedKey:
    """Last week's escalation review, named by the Monday that ends the week."""
    return DatedKey("escalation-review", week_ends, (team_key,))


@dataclass(frozen=True)
class NoticeKey(Key):
    """The notice to one manager that a team's helpdesk went stale (or recovered), one per episode: a stale
    spell is named by the last success before it (`never` when there was none). The notice's state
    (`metric_alert_states`) is written with it, so the key only keeps two planners from writing it twice: it is
    remembered until a day past the episode's start."""

    kind: str
    team_key: str
    source: str
    since: datetime | None
    manager: str

    def __str__(self) -> str:
        since = self.since.isoformat() if self.since else "never"
        return f"helpdesk-{self.kind}:{self.team_key}:{self.source}:{since}:{self.manager}"

    @property
    def remembered(self) -> Remembered:
        return Remembered(last_day=(self.since.date() if self.since else date.min) + timedelta(days=1))


def helpdesk_notice(kind: str, team_key: str, source: str, since: datetime | None, manager: str) -> NoticeKey:
    """One manager's notice that the team's helpdesk `source` went stale or recovered (`kind`)."""
    return NoticeKey(kind, team_key, source, since, manager)


@dataclass(frozen=True)
class StoredKey(Key):
    """A stored string read back, with what it must be remembered for (None: unknown, kept for ever)."""

    text: str
    known: Remembered | None

    def __str__(self) -> str:
        return self.text

    @property
    def remembered(self) -> Remembered:
        return self.known or Remembered()


def pulse_ask(round_id: int, person: str) -> RoundKey:
    """The DM that asks one member to answer one round (`pulse:7:ask:U…`, the claim key before the outbox)."""
    return RoundKey(round_id, ("ask", person))


def pulse_reminder(round_id: int, person: str) -> RoundKey:
    """The one reminder a non-responder gets in one round."""
    return RoundKey(round_id, ("remind", person))


def pulse_report(round_id: int, manager: str) -> RoundKey:
    """The report one manager gets when one round closes."""
    return RoundKey(round_id, ("report", manager))


def pulse_form(round_id: int, trigger_id: str) -> RoundKey:
    """The answer form opened for one click on an invitation's Answer button (a click delivered twice opens
    one): not a message, a click handled once."""
    return RoundKey(round_id, ("form", trigger_id))


def pulse_rollup(week: str, manager: str) -> StoredKey:
    """The roll-up across the teams one manager runs, for one ISO week (`2026-W45`): remembered until every
    round of that week has closed and the pulse job's follow-up has passed."""
    return StoredKey(f"pulse-rollup:{week}:{manager}",
                     Remembered(last_day=_week_end(week) + PULSE_LONGEST_ROUND + PULSE_FOLLOW_UP))


def parse(stored: str) -> Key | None:
    """The key behind a stored string; None for a string of unknown shape (kept for ever)."""
    parts = stored.split(":")
    kind = parts[0]
    try:
        if kind == "esc" and len(parts) >= 3:
            return EscalationKey(int(parts[1]), tuple(parts[2:]))
        if kind == "pulse" and len(parts) >= 3:
            return RoundKey(int(parts[1]), tuple(parts[2:]))
        if kind == "standup" and len(parts) >= 4:
            return DatedKey("standup", date.fromisoformat(parts[2]), (parts[1],), tuple(parts[3:]), STANDUP_LOOK_BACK)
        if kind == "kpi-digest" and len(parts) >= 3:
            return DatedKey(kind, date.fromisoformat(parts[2]), (parts[1],), tuple(parts[3:]), timedelta(days=1))
        if kind == "kpi-alert" and len(parts) == 5:
            return DatedKey(kind, date.fromisoformat(parts[3]), tuple(parts[1:3]), (parts[4],), timedelta(days=1))
        if kind == "kpi-baseline" and len(parts) == 5:
            return DatedKey(kind, date.fromisoformat(parts[3]), tuple(parts[1:3]), (parts[4],),
                            BASELINE_PLAN + timedelta(days=1))
        if kind == "escalation-review" and len(parts) == 3:
            return DatedKey(kind, date.fromisoformat(parts[2]), (parts[1],))  # the Monday that ends the week
        if kind in REQUEST_KINDS and len(parts) >= 4:
            return DatedKey(kind, date.fromisoformat(parts[2]), (parts[1],), tuple(parts[3:]), A_DAY)
        if kind == "slack-event" and len(parts) >= 3:
            return DatedKey(kind, date.fromisoformat(parts[1]), (), tuple(parts[2:]))
        if kind in ("helpdesk-stale", "helpdesk-recovered") and len(parts) >= 5:
            since = None if parts[3] == "never" else datetime.fromisoformat(":".join(parts[3:-1]))
            return NoticeKey(kind.removeprefix("helpdesk-"), parts[1], parts[2], since, parts[-1])
        if kind == "pulse-rollup" and len(parts) == 3:
            return pulse_rollup(parts[1], parts[2])
    except ValueError:
        return None
    return None


def _week_end(iso_week: str) -> date:
    """The Sunday of `2026-W45`."""
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 7)
