"""Settings: a missing or malformed value is one clear line naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

ENV = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
       "SUPPORTBOT_CONFIG", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]  # no stray .env


def test_defaults_match_the_documented_contract() -> None:
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///supportbot.db"
    assert settings.log_level == "INFO"
    assert settings.socket_mode is False


def test_missing_bot_token_names_the_variable_and_where_to_find_it() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings().require_bot_token()
    assert str(raised.value).startswith("SLACK_BOT_TOKEN is not set")
    assert "Bot User OAuth Token" in str(raised.value)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is malformed: expected a bot token"),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "SLACK_APP_TOKEN is malformed"),
    ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is malformed"),
    ("DATABASE_URL", "not a url", "DATABASE_URL is malformed"),
    ("LOG_LEVEL", "chatty", "LOG_LEVEL is malformed"),
])
def test_malformed_values_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


def test_app_token_selects_socket_mode_and_api_url_gets_its_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A-1-abc")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.socket_mode is True
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.log_level == "DEBUG"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nDATABASE_URL=sqlite:///x.db\n")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.database_url == "sqlite:///x.db"
