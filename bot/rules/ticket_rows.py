"""One helpdesk ticket in supportbot's generic fields (DESIGN.md 3.3), whether it came from a CSV row or
a webhook body: `TicketRow` parses and checks it; what does not parse is a `RowError` or a field error
worded for the person who sent it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
"""Every helpdesk's statuses are mapped to these."""
FIELDS = ("id", "team", "created_at", "first_response_at", "solved_at", "status", "channel", "csat", "reopens",
          "agent_replies", "sla_breached")
"""The generic columns (and webhook keys), in the order the README lists them."""
TIMES = ("created_at", "first_response_at", "solved_at")
TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f", ""})
CSAT_WORDS = {"good": True, "bad": False}
MAX_ID = 128
MAX_CHANNEL = 32
MAX_COUNT = 2**31 - 1
"""The database's INTEGER: a count past it is no real ticket's."""


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: its line in the file (the header is line 1) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class TicketRow(BaseModel):
    """A ticket in the generic fields. Times are aware and in UTC (a time without an offset is read as UTC:
    the CSV reader has given such times the file's zone first, see `localized`); `csat` is good (True), bad
    (False) or unrated (None): good|bad, or 4-5 of 5 counts as good."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(max_length=MAX_ID)
    team: str | None = None
    created_at: datetime
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    status: str
    channel: str | None = Field(default=None, max_length=MAX_CHANNEL)
    csat_good: bool | None = Field(default=None, alias="csat")
    reopens: int = Field(default=0, ge=0, le=MAX_COUNT)
    agent_replies: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    sla_breached: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("missing id")
        return storable(value).strip() if isinstance(value, str) else value

    @field_validator("team", "channel", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, str):
            return storable(value).strip() or None
        return value

    @field_validator(*TIMES, mode="before")
    @classmethod
    def _instant(cls, value: object, info: ValidationInfo) -> object:
        found = instant(value)
        if found is None and info.field_name == "created_at":
            raise ValueError("missing created_at")
        return found

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("missing status")
        if not isinstance(value, str):
            return value
        status = normal_status(value)
        if status not in STATUSES:
            raise ValueError(f"unknown status {value.strip()!r} (expected {', '.join(STATUSES)})")
        return status

    @field_validator("csat_good", mode="before")
    @classmethod
    def _csat(cls, value: object) -> object:
        return csat(value)

    @field_validator("reopens", "agent_replies", mode="before")
    @classmethod
    def _count(cls, value: object, info: ValidationInfo) -> object:
        found = count(value)
        return 0 if found is None and info.field_name == "reopens" else found

    @field_validator("sla_breached", mode="before")
    @classmethod
    def _sla_breached(cls, value: object) -> object:
        if value is None:
            return False
        if isinstance(value, str):
            word = value.strip().casefold()
            if word in TRUE:
                return True
            if word in FALSE:
                return False
            raise ValueError(f"expected true or false, got {value.strip()!r}")
        return value

    @model_validator(mode="after")
    def _in_order(self) -> TicketRow:
        if self.solved_at is not None and self.solved_at < self.created_at:
            raise ValueError("solved_at is before created_at")
        if self.first_response_at is not None and self.first_response_at < self.created_at:
            raise ValueError("first_response_at is before created_at")
        return self


def storable(text: str) -> str:
    """`text`, unless it holds what no database column takes: a NUL character (PostgreSQL refuses it) or
    half a surrogate pair (not UTF-8)."""
    if "\x00" in text:
        raise ValueError("holds a NUL character")
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise ValueError("holds half a surrogate pair (not UTF-8)")
    return text


def instant(value: object, zone: tzinfo = UTC) -> datetime | None:
    """An ISO-8601 time (`2026-11-02T14:00:00Z`, `2026-11-02 09:00:00-05:00`, `2026-11-02 14:00`) in UTC;
    a time written without an offset is read in `zone` (on the hour a DST change repeats, its first
    occurrence; in the hour it skips, the offset before the change). Empty is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"bad date {value.strip()!r} (expected ISO-8601, e.g. 2026-11-02T14:00:00Z)") from None
    else:
        raise ValueError(f"bad date {value!r} (expected an ISO-8601 string)")
    return parsed.replace(tzinfo=zone).astimezone(UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def localized(value: str | None, zone: tzinfo) -> str | None:
    """`value` with the offset `zone` gives it, when it is a time written without one; anything else as it
    is (Unix seconds, a time with an offset, or text that is no time, which parsing then refuses)."""
    if zone is UTC or value is None or value.strip().isdigit():
        return value
    try:
        found = instant(value, zone)
    except ValueError:
        return value
    return value if found is None else found.isoformat()


def normal_status(value: str) -> str:
    """`On Hold`, `on-hold` and `hold` are all on_hold; otherwise lower case with underscores."""
    status = "_".join(value.strip().casefold().replace("-", " ").split())
    return "on_hold" if status == "hold" else status


def csat(value: object) -> bool | None:
    """good|bad, or a score of 1-5 (4-5 good, 1-3 bad); empty is unrated."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if not text:
        return None
    if text in CSAT_WORDS:
        return CSAT_WORDS[text]
    try:
        score = float(text)
    except ValueError:
        score = 0.0
    if score.is_integer() and 1 <= score <= 5:
        return score >= 4
    raise ValueError(f"bad csat {value!r} (expected good, bad or a score of 1-5)")


def count(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if number < 0 or not number.is_integer():
        raise ValueError(f"expected a whole number, got {text!r}")
    if number > MAX_COUNT:
        raise ValueError(f"expected a whole number up to {MAX_COUNT:,}, got {text[:20]!r}")
    return int(number)


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field of one ticket (`field` is the generic name, e.g. created_at)."""

    field: str
    error: str


def field_errors(error: ValidationError) -> list[FieldError]:
    """pydantic's report in the generic field names, each message one short sentence."""
    found = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        location = problem["loc"]
        if location:
            field = str(location[0])
        else:  # the row as a whole: the message starts with the field it blames
            first = message.split(" ", 1)[0]
            field = first if first in FIELDS else "ticket"
        if problem["type"] == "missing":
            message = f"missing {field}"
        elif problem["type"] == "extra_forbidden":
            message = f"unknown field {field!r} (expected {', '.join(FIELDS)})"
        found.append(FieldError(field=field, error=message))
    return found


def reason(error: ValidationError) -> str:
    """One line for a rejected CSV row: `solved_at is before created_at`, `created_at: bad date '…'`."""
    parts = []
    for problem in field_errors(error):
        named = problem.field == "ticket" or re.search(rf"\b{re.escape(problem.field)}\b", problem.error)
        parts.append(problem.error if named else f"{problem.field}: {problem.error}")
    return "; ".join(parts)


def parse(values: dict[str, Any]) -> TicketRow:
    """A ticket from generic field values (strings from CSV, or JSON values); ValidationError otherwise."""
    return TicketRow.model_validate(values)


_KEYS = frozenset(FIELDS)


def parse_text(values: dict[str, str | None]) -> TicketRow:
    """`parse` for text values (a CSV row's): the same ticket, or the same ValidationError, but a valid row
    is checked by plain code rather than the model's validators (a fifth of the cost, which a million-row
    import notices). Anything the plain code does not accept goes through `parse`, which words the error."""
    try:
        fields = _checked(values)
    except (ValueError, TypeError, AttributeError):
        fields = None
    return parse(values) if fields is None else _built(fields)


def _instant(value: str | None) -> datetime | None:
    """`instant` of a time written exactly (no spaces around it): what nearly every export writes."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


def _built(fields: dict[str, Any]) -> TicketRow:
    """A TicketRow of checked fields, set as `TicketRow.model_construct` sets them, without its per-field
    loop over the model (a third of a row's cost in a big import)."""
    row = TicketRow.__new__(TicketRow)
    object.__setattr__(row, "__dict__", fields)
    object.__setattr__(row, "__pydantic_fields_set__", set(fields))
    object.__setattr__(row, "__pydantic_extra__", None)
    object.__setattr__(row, "__pydantic_private__", None)
    return row


def _checked(values: dict[str, str | None]) -> dict[str, Any] | None:
    """The model's fields for a valid row of text values, exactly as validation would give them; None (or
    an exception) for anything else."""
    if not _KEYS.issuperset(values):
        return None
    ident, status = values.get("id"), values.get("status")
    if not isinstance(ident, str) or not isinstance(status, str):
        return None
    ident = ident.strip()
    created_at = _instant(values.get("created_at"))
    status = normal_status(status)
    if not ident or len(ident) > MAX_ID or "\x00" in ident or created_at is None or status not in STATUSES:
        return None
    team, channel = values.get("team"), values.get("channel")
    team = team.strip() or None if team is not None else None
    channel = channel.strip() or None if channel is not None else None
    if channel is not None and (len(channel) > MAX_CHANNEL or "\x00" in channel):
        return None
    first_response_at, solved_at = _instant(values.get("first_response_at")), _instant(values.get("solved_at"))
    if (solved_at is not None and solved_at < created_at) or (
            first_response_at is not None and first_response_at < created_at):
        return None
    breached = values.get("sla_breached")
    word = breached.strip().casefold() if breached is not None else ""
    if word not in TRUE and word not in FALSE:
        return None
    return {"id": ident, "team": team, "created_at": created_at, "first_response_at": first_response_at,
            "solved_at": solved_at, "status": status, "channel": channel, "csat_good": csat(values.get("csat")),
            "reopens": count(values.get("reopens")) or 0, "agent_replies": count(values.get("agent_replies")),
            "sla_breached": word in TRUE}
