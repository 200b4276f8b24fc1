"""Block Kit for customer-update drafts: the choices (the customer's timezone, whether to name the owner), then
the draft itself, editable, to copy into the helpdesk. Pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.rules.customer_updates import DRAFT_MAX, STAGE_LABELS, Stage, when
from handlers.blocks import context, escape, modal, option, radio_input, section, select_input, text_input
from handlers.escalations import ids
from handlers.escalations.views.card import ref
from storage.models import Escalation

ZONES = (
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Toronto",
    "America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Istanbul", "Africa/Lagos",
    "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Bangkok",
    "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth",
    "Australia/Sydney", "Pacific/Auckland",
)
"""The timezones offered for the customer (the team's own always comes first)."""


def zones(team_timezone: str) -> list[str]:
    return list(dict.fromkeys((team_timezone, *ZONES)))


def _zone_option(name: str, now: datetime) -> dict[str, Any]:
    offset = now.astimezone(ZoneInfo(name)).strftime("%z")
    return option(f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})", name)


def _about(escalation: Escalation, stage: Stage) -> dict[str, Any]:
    return section(f"*{ref(escalation)} · {escalation.priority}* · {escape(escalation.customer)} · "
                   f"{STAGE_LABELS[stage].lower()}\n{escape(escalation.summary)}")


def draft_choices(escalation: Escalation, stage: Stage, *, team_name: str, team_timezone: str,
                  owner_name: str | None, now: datetime) -> dict[str, Any]:
    """First step: whom the message is for. The draft is written from the answers."""
    blocks = [
        _about(escalation, stage),
        select_input(ids.CUSTOMER_TZ, "The customer's timezone",
                     [_zone_option(name, now) for name in zones(team_timezone)], initial=team_timezone),
        context("The next-update time in the message is written in this timezone. "
                f"The team's is {escape(team_timezone)}."),
    ]
    if owner_name and stage != "resolved":
        blocks.append(radio_input(ids.NAME_OWNER, "Who owns it, as the customer reads it", [
            option(f"Our {team_name} team", "team"),
            option(f"{owner_name} of our {team_name} team", "owner"),
        ], initial="team"))
    return modal(ids.DRAFT_SETUP_FORM, "Customer update", blocks, submit="Write draft",
                 private_metadata=str(escalation.id))


def draft_form(escalation: Escalation, stage: Stage, text: str, *, next_update: datetime | None,
               tz: ZoneInfo) -> dict[str, Any]:
    """Second step: the draft to edit and copy. Submitting records that it was sent."""
    due = (f"The next update is then due *{escape(when(next_update, tz))}*." if next_update is not None
           else "It is resolved: no further update is due.")
    return modal(ids.DRAFT_FORM, f"Update {ref(escalation)}", [
        _about(escalation, stage),
        text_input(ids.DRAFT_TEXT, "Message to the customer", multiline=True, initial=text, max_length=DRAFT_MAX),
        context("Edit it, copy it into your helpdesk and send it there. *Mark as sent* records it on the "
                f"timeline and restarts the customer-update clock. {due}"),
    ], submit="Mark as sent", private_metadata=str(escalation.id))
