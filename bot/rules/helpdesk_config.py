"""The `helpdesks:` list of the teams YAML, and a team's `helpdesk:` mapping (DESIGN.md section 2).

A source names its API's base `url` (so a local fake stands in for it in tests) and where its credentials
are: an environment variable or a file (a Docker or Kubernetes secret), never the secret itself, so the
YAML (and `config show`, which prints it) holds no secret. Each kind has its own credential keys (`CREDENTIALS`)
and its own `match` keys (`MATCH_KEYS`); a kind with no connector yet is refused with a clear "not supported yet"."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.rules.config_fields import refuse_literal_secrets

Kind = Literal["zendesk", "salesforce", "intercom", "freshdesk"]
SUPPORTED: tuple[str, ...] = ("zendesk", "salesforce", "freshdesk", "intercom")
"""The kinds a connector exists for; the others are planned."""
CREDENTIALS: dict[str, tuple[tuple[str, ...], ...]] = {
    "zendesk": (("client_id", "client_id_env", "client_id_file"), ("client_secret_env", "client_secret_file")),
    "salesforce": (("client_id", "client_id_env", "client_id_file"), ("client_secret_env", "client_secret_file")),
    "freshdesk": (("api_key_env", "api_key_file"),),
    "intercom": (("access_token_env", "access_token_file"),),
}
"""Per kind: each group of keys a source must give exactly one of (where its credentials are)."""
SECRET_KEYS = ("client_secret", "secret", "password", "token", "api_token", "api_key", "access_token",
               "refresh_token")
"""Keys that would put a secret in the YAML: refused, naming the `_env` / `_file` keys to use instead."""
MATCH_KEYS: dict[str, tuple[str, ...]] = {"zendesk": ("group", "brand"), "salesforce": ("queue", "role"),
                                          "freshdesk": ("group",), "intercom": ("team",)}
"""What a team's `match` may name, by the source's kind: a Zendesk group or brand; a Salesforce queue (the
case's owner is that queue) or role (the case's owner is a user with that role); a Freshdesk group; an Intercom
team."""


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
    api_key_env: EnvName | None = None
    """Freshdesk: the agent's API key (sent as HTTP basic auth, the key as user name and X as password)."""
    api_key_file: FilePath | None = None
    access_token_env: EnvName | None = None
    """Intercom: the app's access token (sent as a Bearer token)."""
    access_token_file: FilePath | None = None
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
        return refuse_literal_secrets(data, SECRET_KEYS)

    @field_validator("kind")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED:
            raise ValueError(f"kind {value} is not supported yet (supported: {', '.join(SUPPORTED)})")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> HelpdeskConfig:
        groups = CREDENTIALS.get(self.kind, ())
        for group in groups:
            if len([name for name in group if getattr(self, name) is not None]) != 1:
                raise ValueError(f"give exactly one of {', '.join(group[:-1])} or {group[-1]}")
        ours = {name for group in groups for name in group}
        others = sorted(name for group in CREDENTIALS.values() for names in group for name in names
                        if name not in ours and getattr(self, name, None) is not None)
        if others:
            raise ValueError(f"{others[0]} is not used by kind {self.kind}")
        return self


class HelpdeskMatch(_Section):
    """Which of a source's tickets are the team's (`MATCH_KEYS`): a Zendesk group's or brand's name, a Salesforce
    queue's or owner role's, a Freshdesk group's, an Intercom team's (several: all must hold)."""

    group: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    brand: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    queue: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    role: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    team: Annotated[str, Field(min_length=1, max_length=255)] | None = None

    @model_validator(mode="after")
    def _something(self) -> HelpdeskMatch:
        if not self.labels():
            raise ValueError("give a group, a brand, a queue, a role or a team to match")
        return self

    def labels(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class TeamHelpdesk(_Section):
    """A team's `helpdesk: {source: KEY, match: {group: "Tier 1"}}`."""

    source: SourceKey
    match: HelpdeskMatch
