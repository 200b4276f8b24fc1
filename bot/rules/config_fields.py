"""Field types the teams YAML's sections share (`bot.rules.team_config`, `bot.rules.oncall_config`): one home."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hhmm(value: object) -> str:
    if isinstance(value, int):  # YAML reads an unquoted 17:00 as 1020 (minutes, sexagesimal)
        raise ValueError('expected HH:MM (quote times in YAML, e.g. "17:00")')
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("expected HH:MM")
    return value


HHMM = Annotated[str, BeforeValidator(_hhmm)]


def refuse_literal_secrets(data: object, names: tuple[str, ...] | frozenset[str]) -> object:
    """A section's raw data, unless it writes a secret itself (`api_key: …`) instead of naming where it is."""
    if isinstance(data, dict):
        for name in names:
            if name in data:
                raise ValueError(f"{name}: never write a secret in the YAML: name an environment variable "
                                 f"({name}_env) or a secret file ({name}_file) instead")
    return data
