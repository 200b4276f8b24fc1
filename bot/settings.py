"""Runtime configuration from the environment (or a `.env` file).

A missing or malformed value stops start-up with one line naming the variable: see `SettingsError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///supportbot.db"

GUIDANCE = {
    "SLACK_BOT_TOKEN": (
        "SLACK_BOT_TOKEN is not set: create the app from manifest.yml and copy its "
        "Bot User OAuth Token (xoxb-…)"
    ),
    "SLACK_SIGNING_SECRET": (
        "SLACK_SIGNING_SECRET is not set: HTTP mode needs it; copy the Signing Secret from the "
        "app's Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode)"
    ),
}


class SettingsError(Exception):
    """A configuration problem, worded for the operator in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    supportbot_config: Path | None = Field(default=None, alias="SUPPORTBOT_CONFIG")
    supportbot_webhook_token: str | None = Field(default=None, alias="SUPPORTBOT_WEBHOOK_TOKEN")
    """The bearer token of `POST /webhooks/tickets`; unset, that endpoint answers 404."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    supportbot_clock_file: Path | None = Field(default=None, alias="SUPPORTBOT_CLOCK_FILE")
    """Rehearsals and tests only: a file holding one ISO-8601 instant that is the bot's clock (re-read at
    every use); with it, the scheduler runs each job once per instant the file shows. Unset: the wall clock."""
    supportbot_tick_seconds: float | None = Field(default=None, alias="SUPPORTBOT_TICK_SECONDS", gt=0, le=3600)
    """Rehearsals and tests only: every job ticks this often (seconds) instead of on its own schedule."""

    pagerduty_events_url: str = Field(default="https://events.pagerduty.com/v2/enqueue", alias="PAGERDUTY_EVENTS_URL",
                                      validation_alias=AliasChoices("PAGERDUTY_EVENTS_URL",
                                                                    "SUPPORTBOT_PAGERDUTY_EVENTS_URL"))
    """Where pages to PagerDuty go (its Events API v2); a local fake's URL in tests."""
    opsgenie_api_url: str = Field(default="https://api.opsgenie.com", alias="OPSGENIE_API_URL",
                                  validation_alias=AliasChoices("OPSGENIE_API_URL", "SUPPORTBOT_OPSGENIE_API_URL"))
    """Opsgenie's API (https://api.eu.opsgenie.com for an EU account); a local fake's URL in tests."""
    opsgenie_api_key: str | None = Field(default=None, alias="OPSGENIE_API_KEY", repr=False)
    """The Opsgenie API integration's key for teams whose paging names none of their own."""

    @field_validator("pagerduty_events_url", "opsgenie_api_url")
    @classmethod
    def _paging_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", "supportbot_config",
                     "supportbot_webhook_token", "supportbot_clock_file", "supportbot_tick_seconds",
                     "opsgenie_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xoxb-"):
            raise ValueError("expected a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("supportbot_clock_file")
    @classmethod
    def _clock_file(cls, value: Path | None) -> Path | None:
        from bot.clock import ClockFileError, read_instant

        if value is not None:
            try:
                read_instant(value)
            except ClockFileError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as error:
            raise ValueError("expected an SQLAlchemy URL such as sqlite:///supportbot.db") from error
        return value

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require_bot_token(self) -> str:
        if not self.slack_bot_token:
            raise SettingsError(GUIDANCE["SLACK_BOT_TOKEN"])
        return self.slack_bot_token

    def require_signing_secret(self) -> str:
        if not self.slack_signing_secret:
            raise SettingsError(GUIDANCE["SLACK_SIGNING_SECRET"])
        return self.slack_signing_secret


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "configuration"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} is malformed: {message}") from None
