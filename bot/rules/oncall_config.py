"""The on-call chain's section of the teams YAML (`escalation_policy.on_call`), validated by pydantic; the
rule that runs it is `bot.rules.oncall`.

    escalation_policy:
      on_call:
        rotation: {weekly: [U1, U2, U3], starts: 2026-01-05, handover: "09:00"}
        chain:
          - {notify: owner, after: 0m}
          - {notify: on_call, after: 10m}
          - {notify: [U9], after: 20m}
          - {notify: S0123ABCD, after: 30m}      # a user group, by its ID
        repeat: 2
        quiet_hours: {from: "22:00", to: "07:00", except: [P1]}
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainValidator, StrictInt, model_validator

from bot.rules.config_fields import HHMM, Section

PriorityName = Literal["P1", "P2", "P3", "P4"]
USER = re.compile(r"[UW][A-Z0-9]{2,31}")


def _user(value: object) -> str:
    if not isinstance(value, str) or not USER.fullmatch(value):
        raise ValueError(f"expected a Slack user ID like U0123ABCD, got {value!r}")
    return value


UserId = Annotated[str, PlainValidator(_user)]


def _delay(value: object) -> int:
    """`10m`, `1h` or a number of minutes, as minutes."""
    if isinstance(value, bool):
        raise ValueError('expected a delay like "10m" or "1h"')
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str) and (found := re.fullmatch(r"(\d{1,4})\s*(m|h)", value.strip())):
        minutes = int(found[1]) * (60 if found[2] == "h" else 1)
    else:
        raise ValueError(f'expected a delay like "10m" or "1h", got {value!r}')
    if not 0 <= minutes <= 24 * 60:
        raise ValueError(f"a delay must be between 0m and 24h, got {value!r}")
    return minutes


Minutes = Annotated[int, BeforeValidator(_delay)]


def _notified(value: object) -> str | list[str]:
    """`owner`, `on_call`, one user or user group ID, or a list of them (1 to 50)."""
    if value in ("owner", "on_call"):
        return str(value)
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or not 1 <= len(listed) <= 50:
        raise ValueError("expected owner, on_call, a user or user group ID, or a list of 1 to 50 of them")
    for item in listed:
        if not isinstance(item, str) or not re.fullmatch(r"[UWS][A-Z0-9]{2,31}", item):
            raise ValueError(f"expected a Slack user ID like U0123ABCD or a user group ID like S0123ABCD, "
                             f"got {item!r} (a group is named by its ID: its profile in Slack → Copy group ID)")
    return list(dict.fromkeys(listed))


Notified = Annotated[str | list[str], PlainValidator(_notified)]


class WeeklyRotation(Section):
    weekly: Annotated[list[UserId], Field(min_length=1, max_length=100)]
    """Who is on call, week by week, in this order (then round again)."""
    starts: date
    """The day the first person's week starts."""
    handover: HHMM = "09:00"
    """When, in the team's timezone, one person's week hands over to the next."""


class ChainLevel(Section):
    notify: Notified
    """`owner`, `on_call`, a user group ID (S…), or a list of user and group IDs."""
    after: Minutes = 0
    """How long after the escalation opened (`10m`, `1h`) this level is told, if nobody acknowledged."""


class QuietHours(Section):
    from_: HHMM = Field(alias="from")
    to: HHMM
    except_: list[PriorityName] = Field(default_factory=lambda: list[PriorityName](["P1"]), alias="except")
    """Priorities that page through quiet hours."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _a_window(self) -> QuietHours:
        if self.from_ == self.to:
            raise ValueError("quiet hours must not start and end at the same time")
        return self


class OnCallConfig(Section):
    """Levels of people DMed one after another until someone acknowledges (DESIGN: an on-call chain)."""

    rotation: WeeklyRotation | None = None
    """Who `on_call` is, week by week."""
    chain: Annotated[list[ChainLevel], Field(min_length=1, max_length=10)]
    repeat: Annotated[StrictInt, Field(ge=0, le=10)] = 0
    """How many times the whole chain runs again after its last level, while nobody acknowledges."""
    repeat_every: Minutes | None = None
    """How long one round of the chain lasts (default: the last level's delay plus 30 minutes)."""
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _coherent(self) -> OnCallConfig:
        delays = [level.after for level in self.chain]
        if delays != sorted(delays):
            raise ValueError("the chain's levels must be in the order they are told (each `after` at least the "
                             "one before)")
        if self.rotation is None and any(level.notify == "on_call" for level in self.chain):
            raise ValueError("a level notifies `on_call` but there is no `rotation: {weekly: [...]}` to say who")
        if self.repeat_every is not None and self.repeat_every <= delays[-1]:
            raise ValueError(f"repeat_every ({self.repeat_every} min) must be longer than the last level's "
                             f"delay ({delays[-1]} min)")
        return self
