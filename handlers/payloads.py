"""Slack payloads, typed at the edge: the parts of slash commands, block actions and view submissions
that the listeners read. Nothing past a listener's first line reads `body[...]`.

What does not parse is refused politely (an ephemeral line, or an inline error on the form) and logged
once as a WARNING without a traceback; it never reaches the rules or the database.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

log = logging.getLogger(__name__)

UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,31}$")]
"""A Slack user ID as the user picker gives it (`U…`, or `W…` on Enterprise Grid)."""
Number = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")]
"""A stored number (an escalation's), as ASCII digits that fit the database's integer."""
Short = Annotated[str, StringConstraints(max_length=255)]

M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlackUser(Payload):
    id: UserId


class SlashCommand(Payload):
    user_id: UserId
    command: Short
    trigger_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    text: Annotated[str, StringConstraints(max_length=4000)] = ""
    channel_id: Short | None = None


class Option(Payload):
    value: Short


class Action(Payload):
    action_id: Short
    block_id: Short = ""
    value: Annotated[str, StringConstraints(max_length=2000)] | None = None
    selected_user: Short | None = None


class ButtonClick(Payload):
    user: SlackUser
    actions: Annotated[list[Action], Field(min_length=1)]
    trigger_id: Short | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]

    def number(self) -> int | None:
        """The number the button carries: its value, or the last part of its block's id (a select)."""
        raw = self.action.value or self.action.block_id.rpartition(":")[2]
        return as_number(raw)


class InputValue(Payload):
    """One input element's submitted state; `chosen` is its value whatever the element's type."""

    type: Short
    value: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_user: Short | None = None
    selected_users: Annotated[list[Short], Field(max_length=1000)] | None = None
    selected_conversation: Short | None = None
    selected_date: Short | None = None

    @property
    def chosen(self) -> str | list[str] | None:
        if self.type in ("static_select", "radio_buttons"):
            return self.selected_option.value if self.selected_option else None
        if self.type == "users_select":
            return self.selected_user
        if self.type == "multi_users_select":
            return list(self.selected_users or [])
        if self.type == "conversations_select":
            return self.selected_conversation
        if self.type == "datepicker":
            return self.selected_date
        if self.type == "checkboxes":
            return [o.value for o in self.selected_options or []]
        return self.value.strip() if self.value is not None else None


class ViewState(Payload):
    values: dict[Short, dict[Short, InputValue]] = Field(default_factory=dict)


class View(Payload):
    id: Short
    callback_id: Short
    private_metadata: Annotated[str, StringConstraints(max_length=3000)] = ""
    state: ViewState = Field(default_factory=ViewState)

    def values(self) -> dict[str, str | list[str] | None]:
        """block_id -> what was entered or chosen there."""
        return {block: element.chosen for block, elements in self.state.values.items()
                for element in elements.values()}


class ViewSubmission(Payload):
    user: SlackUser
    view: View


def as_number(raw: object) -> int | None:
    """A stored number from a button value or view metadata; None unless it is 1 to 9 ASCII digits."""
    if isinstance(raw, str) and 1 <= len(raw) <= 9 and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


def parse(model: type[M], body: Any) -> M | None:
    """`body` as `model`, or None after one WARNING line that says what did not parse."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        log.warning("refused a %s Slack sent with %d problem(s), first at %s: %s", model.__name__,
                    error.error_count(), where, first["msg"])
        return None


UNREADABLE = ("Sorry, I couldn't read that request from Slack, so I did nothing. "
              "Please try again; if it keeps happening, tell your supportbot operator.")
