"""The `helpdesks:` list of the teams YAML, and a team's `helpdesk:` mapping (DESIGN.md section 2).

A source names its API's base `url` (so a local fake stands in for it in tests) and where its credentials
are: an environment variable or a file (a Docker or Kubernetes secret), never the secret itself, so the
YAML (and `config show`, which prints it) holds no secret. `kind: zendesk` and `kind: salesforce` are
implemented; the others are refused with a clear "not supported yet"."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["zendesk", "salesforce", "intercom", "freshdesk"]
SUPPORTED: tuple[str, ...] = ("zendesk", "salesforce")
"""The kinds a connector exists for; the others are planned."""
SECRET_KEYS = ("client_secret", "secret", "password", "token", "api_token", "api_key", "access_token",
               "refresh_token")
"""Keys that would put a secret in the YAML: refused, naming the `_env` / `_file` keys to use instead."""
MATCH_KEYS: dict[str, tuple[str, ...]] = {"zendesk": ("group", "brand"), "salesforce": ("queue", "role")}
"""What a team's `match` may name, by the source's kind: a Zendesk group or brand; a Salesforce queue (the
case's owner is that queue) or role (the case's owner is a user with that role)."""


def _key(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", value):
        raise ValueError(f"expected a short lowercase key like zendesk, got {value!r}")
    return value


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
        raise ValueError(f"expected the API's base URL, e.g. https://acme.zendesk.com, got {value!r}")
    return value.rstrip("/")


def _env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", value):
        raise ValueError(f"expected an environment variable's name, e.g. ZENDESK_CLIENT_SECRET, got {value!r}")
    return value


SourceKey = Annotated[str, AfterValidator(_key)]
EnvName = Annotated[str, AfterValidator(_env_name)]
FilePath = Annotated[str, Field(min_length=1, max_length=1024)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HelpdeskConfig(_Section):
    """One helpdesk the tickets are synced from."""

    key: SourceKey
    kind: Kind
    url: Annotated[str, AfterValidator(_url)]
    client_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """The OAuth client's identifier (not a secret), or where to read it: `client_id_env` / `client_id_file`."""
    client_id_env: EnvName | None = None
    client_id_file: FilePath | None = None
    client_secret_env: EnvName | None = None
    client_secret_file: FilePath | None = None
    scope: Annotated[str, Field(min_length=1, max_length=200)] = "read"
    """The OAuth scopes asked for (space-separated); `read` covers tickets, metrics and groups."""
    sync_every_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 5
    stale_after_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 60
    """How long without a successful sync before the source counts as stale."""
    backfill_days: Annotated[int, Field(ge=1, le=3660)] = 30
    """How far back the first sync (with no cursor yet, and no `--since`) starts."""
    enabled: bool = True
    """false: kept (with its cursor) but not synced."""

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in SECRET_KEYS:
                if name in data:
                    raise ValueError(f"{name}: never write a secret in the YAML: name an environment variable "
                                     f"({name}_env) or a secret file ({name}_file) instead")
        return data

    @field_validator("kind")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED:
            raise ValueError(f"kind {value} is not supported yet (supported: {', '.join(SUPPORTED)})")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> HelpdeskConfig:
        """Every supported kind so far takes an OAuth client: its id and its secret (Salesforce: the connected
        app's consumer key and secret, for the client-credentials flow)."""
        ids = [name for name in ("client_id", "client_id_env", "client_id_file") if getattr(self, name) is not None]
        secrets = [name for name in ("client_secret_env", "client_secret_file") if getattr(self, name) is not None]
        if len(ids) != 1:
            raise ValueError("give exactly one of client_id, client_id_env or client_id_file")
        if len(secrets) != 1:
            raise ValueError("give exactly one of client_secret_env or client_secret_file")
        return self


class HelpdeskMatch(_Section):
    """Which of a source's tickets are the team's: a Zendesk group's or brand's name, a Salesforce queue's or
    owner role's name (several: all must hold). Which keys a source's kind takes: `MATCH_KEYS`."""

    group: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    brand: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    queue: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    role: Annotated[str, Field(min_length=1, max_length=255)] | None = None

    @model_validator(mode="after")
    def _something(self) -> HelpdeskMatch:
        if not self.labels():
            raise ValueError("give a group or a brand (Zendesk), or a queue or a role (Salesforce) to match")
        return self

    def labels(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class TeamHelpdesk(_Section):
    """A team's `helpdesk: {source: KEY, match: {group: "Tier 1"}}`."""

    source: SourceKey
    match: HelpdeskMatch
