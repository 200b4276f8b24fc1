"""The pulse's messages, as outbox messages: each member's invitation and reminder of a round, each manager's
report of a closed round and a manager's roll-up across their teams of one week. Pure builders: the round (or
the results already judged by the rules) in, the messages out, under their typed keys (`bot.rules.keys`),
which render the claim keys the pulse used before the outbox, so nothing goes out twice after an upgrade.

A member's DMs of one round go out in the order written (the invitation before the reminder); what goes to a
manager is built from aggregates only (`handlers.pulse.results`): no answer of anyone's is in its args.
"""

from __future__ import annotations

from bot.rules import keys
from bot.rules.messages import Message, post
from bot.rules.pulse_results import Results
from handlers.pulse import views
from handlers.pulse.results import report
from storage.pulse_models import PulseRound


def _group(round_id: int, person: str) -> str:
    """One person's pulse DMs about one round go out in the order written."""
    return f"pulse:{round_id}@{person}"


def invitation(of: PulseRound, team_name: str, person: str, *, reminder: bool = False) -> Message:
    """The DM asking `person` to answer the round (or, `reminder`, reminding them once halfway to the close)."""
    text, blocks = views.ask_message(of.id, team_name, of.week, of.closes_at, of.min_responses,
                                     questions=len(of.questions), reminder=reminder)
    key = keys.pulse_reminder(of.id, person) if reminder else keys.pulse_ask(of.id, person)
    return post(key, person, text, group=_group(of.id, person), blocks=blocks)


def round_report(of: PulseRound, manager: str, found: Results) -> Message:
    """One manager's report of a closed round: its aggregates (participation only below the threshold)."""
    text, blocks = report(found)
    return post(keys.pulse_report(of.id, manager), manager, text, group=_group(of.id, manager), blocks=blocks)


def rollup(week: str, manager: str, found: Results) -> Message:
    """The roll-up across the teams `manager` runs, for `week` (hidden teams left out of every figure)."""
    text, blocks = report(found)
    return post(keys.pulse_rollup(week, manager), manager, text, group=f"pulse-rollup:{week}@{manager}",
                blocks=blocks)
