"""The Dockerfile and docker-compose.yml work in both modes: nothing forces HTTP mode or asks for a signing
secret that Socket Mode does not need, and the teams file has a documented way into the container.
(`.ci/run` also runs the image's CMD and HEALTHCHECK in both modes.)"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def dockerfile_cmd() -> list[str]:
    text = (REPO / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("CMD "))
    return list(json.loads(line[4:]))


def test_the_image_chooses_its_mode_from_the_environment() -> None:
    command = dockerfile_cmd()
    assert command[:2] == ["supportbot", "run"]
    assert "--http" not in command  # Socket Mode when SLACK_APP_TOKEN is set, HTTP otherwise


def test_compose_runs_socket_mode_without_a_signing_secret_and_mounts_the_teams_file() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    bot = compose["services"]["bot"]
    environment = bot["environment"]
    assert ":?" in environment["SLACK_BOT_TOKEN"]  # the one token both modes need is required
    for optional in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SUPPORTBOT_CONFIG", "SUPPORTBOT_WEBHOOK_TOKEN"):
        assert ":-" in environment[optional] and ":?" not in environment[optional], optional
    assert "./config:/config:ro" in bot["volumes"]
    assert "SUPPORTBOT_CONFIG=/config/teams.yml" in (REPO / "docker-compose.yml").read_text("utf-8")


def test_compose_passes_the_webhook_token_from_env_to_the_bot() -> None:
    """Setting SUPPORTBOT_WEBHOOK_TOKEN in .env, as the README says, must reach the container (compose reads
    .env for `${…}` substitution only: a variable not named under `environment` never gets in)."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    environment = compose["services"]["bot"]["environment"]
    assert environment["SUPPORTBOT_WEBHOOK_TOKEN"] == "${SUPPORTBOT_WEBHOOK_TOKEN:-}"  # optional: unset is off
