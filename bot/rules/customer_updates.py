"""Customer-update drafts: the message an agent copies into the helpdesk to keep a customer informed.

What happened (the summary, in the customer's terms), who owns it (the team, or a person when the agent says
so), what has been done (the timeline's updates marked for the customer), what happens next, and when the
customer hears from us again (the customer-update SLA of the priority, written in the customer's timezone).
Templates per stage, and per priority when a team wants, with `{placeholders}` checked when the configuration
is applied. A default draft is safe to send as it is: the customer is named as they would be addressed, no
internal reference and no internal update is in it; a team's own template can still use the internal
placeholders. A value that starts a sentence is capitalised. Pure.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Stage = Literal["new", "in_progress", "resolved"]
STAGES: tuple[Stage, ...] = ("new", "in_progress", "resolved")
STAGE_LABELS: Mapping[Stage, str] = {"new": "New", "in_progress": "In progress", "resolved": "Resolved"}

COMMON: Mapping[str, str] = {
    "customer": 'the customer as they are addressed: the name logged without its notes ("ACME Corp")',
    "summary": "the problem, in the words of the escalation's summary",
    "team": "the team's name",
    "owner": 'who owns it: "our Tier 1 team", or "Dana Lee of our Tier 1 team" when the agent names the owner',
    "done": "what has been done: the updates marked for the customer, one a line",
    "agent": "the name of the agent writing",
    "ref": "internal: the escalation's number, e.g. ESC-12",
    "customer_as_logged": 'internal: the customer or account as logged ("ACME Corp (account 4411)")',
    "all_updates": "internal: every update of the team, internal ones too, one a line",
}
PLACEHOLDERS: Mapping[Stage, Mapping[str, str]] = {
    "new": {**COMMON, "next_update": "when the customer hears from us next, in their timezone"},
    "in_progress": {**COMMON, "next_update": "when the customer hears from us next, in their timezone"},
    "resolved": {**COMMON, "outcome": "the outcome written when it was resolved"},
}

DEFAULT_TEMPLATES: Mapping[Stage, str] = {
    "new": (
        "Hi {customer} team,\n\n"
        "Thank you for reporting this. We understand the problem: {summary}.\n\n"
        "It is now owned by {owner}, who are treating it as a priority. What we have done so far:\n{done}\n\n"
        "What happens next: we are investigating the cause and will share what we find.\n"
        "You will hear from us again by {next_update}, sooner if we have news.\n\n"
        "Best regards,\n{agent}"
    ),
    "in_progress": (
        "Hi {customer} team,\n\n"
        "Here is an update on {summary}.\n\n"
        "{owner} owns this and is working on it. What we have done so far:\n{done}\n\n"
        "What happens next: we are continuing the work and will tell you as soon as it is fixed.\n"
        "You will hear from us again by {next_update}.\n\n"
        "Best regards,\n{agent}"
    ),
    "resolved": (
        "Hi {customer} team,\n\n"
        "Good news: the problem you reported, {summary}, is resolved.\n\n"
        "{outcome}\n\n"
        "What we did:\n{done}\n\n"
        "If anything still isn't right, reply to this message and {owner} will pick it up straight away.\n\n"
        "Best regards,\n{agent}"
    ),
}
NOTHING_DONE = "- We have confirmed the problem and started investigating."
DONE_MAX = 5
"""The latest updates a draft lists; the timeline keeps them all."""
DRAFT_MAX = 3000
"""A plain_text_input's initial_value holds at most 3,000 characters."""


def placeholders_in(template: str) -> list[str]:
    """The `{names}` a template uses, in order; ValueError for broken braces or `{0}`, `{x.y}`, `{x:>5}`."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"{error} (write a literal brace as {{{{ or }}}})") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                             "is not a placeholder: write a name such as {customer}")
        names.append(name)
    return names


def check_template(stage: Stage, template: str) -> str:
    """The template when every placeholder it uses exists for the stage; else ValueError naming the first that
    does not, and the ones that do."""
    known = PLACEHOLDERS[stage]
    for name in placeholders_in(template):
        if name not in known:
            hint = " (a resolved escalation has no next update)" if name == "next_update" else ""
            raise ValueError(f"unknown placeholder {{{name}}}{hint}; {STAGE_LABELS[stage].lower()} updates can use "
                             + ", ".join(f"{{{n}}}" for n in known))
    return template


def stage_of(status: str, updates: int) -> Stage:
    """New until someone acknowledges it or posts an update; resolved once resolved."""
    if status == "resolved":
        return "resolved"
    return "new" if status == "open" and updates == 0 else "in_progress"


def template_for(templates: Mapping[str, Mapping[str, str]], priority: str, stage: Stage) -> str:
    """The team's template for the priority and stage: its own for the priority, else its own for every
    priority (key ""), else the default."""
    for scope in (priority, ""):
        chosen = templates.get(scope, {}).get(stage)
        if chosen:
            return chosen
    return DEFAULT_TEMPLATES[stage]


def clause(summary: str) -> str:
    """The summary as part of a sentence: without its closing full stop."""
    return summary.strip().rstrip(".").rstrip()


_NOTES = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_ACCOUNT = re.compile(r"[\s,;:/·–—-]*\b(account|acct|acc|id|no)\.?\s*(number|no\.?)?\s*#?\s*\w*\d\w*\s*$",
                      re.IGNORECASE)


def addressed(customer: str) -> str:
    """The customer as a message to them names them: the name logged without notes in brackets or a trailing
    account number ("ACME Corp (account 4411)", "ACME Corp, account 4411" → "ACME Corp"); the name as logged
    when nothing else is left."""
    name = _ACCOUNT.sub("", _NOTES.sub("", customer)).strip(" ,;:/·–—-")
    return " ".join(name.split()) or " ".join(customer.split())


def owner_phrase(team: str, owner_name: str | None) -> str:
    return f"{owner_name} of our {team} team" if owner_name else f"our {team} team"


def done_lines(notes: Sequence[str]) -> str:
    """The latest `DONE_MAX` updates, oldest first, one bullet each (an update's own lines joined)."""
    latest = [" ".join(note.split()) for note in notes if note.strip()][-DONE_MAX:]
    return "\n".join(f"- {note}" for note in latest) if latest else NOTHING_DONE


def when(at: datetime, tz: ZoneInfo) -> str:
    """`Monday 7 December at 15:00 EST`: a customer reads it without converting."""
    local = at.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} {local.tzname()}"


@dataclass(frozen=True)
class Facts:
    """What a draft is made of, each already worded for the customer."""

    customer: str
    summary: str
    ref: str
    team: str
    owner: str
    done: str
    agent: str
    next_update: str = ""
    outcome: str = ""
    customer_as_logged: str = ""
    all_updates: str = ""


def starts_sentence(before: str) -> bool:
    """Whether text written after `before` begins a sentence: at the start, on a new line, or after . ! ?"""
    stripped = before.rstrip(" \t")
    return not stripped or stripped.endswith(("\n", ".", "!", "?"))


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each `{name}` replaced, a value that starts a sentence capitalised ("our Tier 1
    team owns this" after a full stop is "Our Tier 1 team owns this"). KeyError or ValueError as `format`."""
    out: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a placeholder")
        value = str(values[name])
        if value[:1].islower() and starts_sentence("".join(out)):
            value = value[:1].upper() + value[1:]
        out.append(value)
    return "".join(out)


def draft(template: str, facts: Facts) -> str:
    """The template filled in, clipped to what the draft box holds. A template that got past `check_template`
    cannot fail here; one that did not is filled as far as it goes rather than losing the draft."""
    values = asdict(facts)
    try:
        text = fill(template, values)
    except (KeyError, ValueError, IndexError, AttributeError):
        text = fill(DEFAULT_TEMPLATES["in_progress"], values)
    return text[:DRAFT_MAX]
