"""Paging: which pages an escalation's change implies, and the team's `escalation_policy.paging` configuration.

A team that pages names its service (PagerDuty's Events API v2 or Opsgenie's Alert API), where the credentials
are (an environment variable or a secret file, never the secret itself: the YAML is printed by `config show`),
optionally other credentials per escalation path, and per priority when to page: at `creation`, at the
acknowledgement SLA's `breach`, or `never` (defaults: P1 at creation, P2 at breach).

An escalation pages at most once (the escalation's reference is PagerDuty's `dedup_key` and Opsgenie's `alias`):
it is *triggered* when its priority says so, *acknowledged* when someone acknowledges it in Slack and *resolved*
when it is resolved, both only if it was paged. Pure: the escalation's state in, the actions out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.rules.config_fields import refuse_literal_secrets
from bot.rules.helpdesk_config import EnvName, FilePath

Service = Literal["pagerduty", "opsgenie"]
When = Literal["creation", "breach", "never"]
Action = Literal["trigger", "acknowledge", "resolve"]
PRIORITIES = ("P1", "P2", "P3", "P4")
DEFAULT_PAGE: dict[str, When] = {"P1": "creation", "P2": "breach", "P3": "never", "P4": "never"}
SERVICE_NAMES: dict[str, str] = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}
CREDENTIALS: dict[str, tuple[str, str]] = {"pagerduty": ("routing_key_env", "routing_key_file"),
                                           "opsgenie": ("api_key_env", "api_key_file")}
"""Per service, where its credential may be named: an environment variable or a secret file."""
LITERAL_SECRETS = ("routing_key", "api_key", "integration_key")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return refuse_literal_secrets(data, LITERAL_SECRETS)


class PagingCredentials(_Section):
    """Where a service's credential is: PagerDuty's integration (routing) key, or an Opsgenie API integration's
    key (`GenieKey`)."""

    routing_key_env: EnvName | None = None
    routing_key_file: FilePath | None = None
    api_key_env: EnvName | None = None
    api_key_file: FilePath | None = None

    def named(self) -> dict[str, str]:
        """The credential keys given."""
        fields = ("routing_key_env", "routing_key_file", "api_key_env", "api_key_file")
        return {name: value for name in fields if (value := getattr(self, name)) is not None}

    def where(self, service: str) -> dict[str, str] | None:
        """`{"env": NAME}` or `{"file": PATH}` for `service`, or None when none is named."""
        env, file = CREDENTIALS[service]
        found = self.named()
        if env in found:
            return {"env": found[env]}
        if file in found:
            return {"file": found[file]}
        return None

    def check(self, service: str, *, required: bool) -> None:
        named = self.named()
        ours = CREDENTIALS[service]
        others = sorted(set(named) - set(ours))
        if others:
            raise ValueError(f"{others[0]} is not used by {service} (use {' or '.join(ours)})")
        if len(named) > 1:
            raise ValueError(f"give one of {' or '.join(ours)}, not both")
        if required and not named:
            raise ValueError(f"give {' or '.join(ours)}: where {SERVICE_NAMES[service]}'s key is")


class PagingConfig(PagingCredentials):
    """A team's `escalation_policy.paging`."""

    service: Service
    page: dict[Literal["P1", "P2", "P3", "P4"], When] = Field(default_factory=dict)
    """When each priority pages; a priority left out keeps its default (`DEFAULT_PAGE`)."""
    paths: dict[Annotated[str, Field(min_length=1, max_length=64)], PagingCredentials] = Field(default_factory=dict)
    """Other credentials for the escalations of an escalation path (by its key): another PagerDuty service or
    Opsgenie team."""

    @model_validator(mode="after")
    def _credentials(self) -> PagingConfig:
        # Opsgenie may fall back on OPSGENIE_API_KEY; PagerDuty has no account-wide key.
        self.check(self.service, required=self.service == "pagerduty")
        for key, credentials in self.paths.items():
            try:
                credentials.check(self.service, required=True)
            except ValueError as error:
                raise ValueError(f"paths.{key}: {error}") from None
        return self

    def when(self, priority: str) -> When:
        for named, when in self.page.items():
            if named == priority:
                return when
        return DEFAULT_PAGE.get(priority, "never")

    def credential(self, path_key: str | None) -> dict[str, str] | None:
        """Where the key of the path's pages is: the path's own, else the team's (None: Opsgenie's default)."""
        own = self.paths.get(path_key or "")
        return (own.where(self.service) if own else None) or self.where(self.service)


def on_change(when: When, *, kind: str, status: str, paged: bool) -> Action | None:
    """The page a timeline event implies, `when` being when the escalation's priority pages: a new escalation
    (or one raised to a priority that pages at creation, still unresolved) is triggered; an acknowledgement or a
    resolution is passed on if it was paged."""
    if kind == "opened" or (kind == "priority" and status != "resolved"):
        return "trigger" if when == "creation" and not paged else None
    if kind == "acknowledged":
        return "acknowledge" if paged else None
    if kind == "resolved":
        return "resolve" if paged else None
    return None


def at_breach(when: When, *, clock: str, status: str) -> Action | None:
    """The page the breach of an SLA clock implies: the acknowledgement's, while nobody acknowledged, pages a
    priority that pages at the breach (or at creation, if it did not page then: a trigger is written once)."""
    if clock == "ack" and status == "open" and when in ("creation", "breach"):
        return "trigger"
    return None


SEVERITIES = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info"}
"""PagerDuty's `payload.severity` for each priority (critical, error, warning or info)."""
OPSGENIE_PRIORITIES = {"P1": "P1", "P2": "P2", "P3": "P3", "P4": "P4"}
"""Opsgenie's alert `priority` (P1 to P5) for each priority."""
