"""The command line's conventions: `--version`, and help that names what an operator must know (the job names,
the environment `run` reads, the file `config apply` takes). In-process: `main()` with the arguments."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from handlers import all_jobs


def output(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `supportbot ARGS` (help and --version exit through argparse)."""
    try:
        status = main(list(args))
    except SystemExit as stop:
        status = int(stop.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def _wide_and_clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # help lines are not wrapped mid-name
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def test_version_prints_the_installed_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = output(capsys, "--version")
    assert status == 0
    assert out.strip() == f"supportbot {version('supportbot')}"


def test_jobs_run_help_lists_every_registered_job_with_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = output(capsys, "jobs", "run", "--help")
    assert status == 0
    assert "usage: supportbot jobs run [-h] [--now NOW] NAME" in out
    listed = out.split("jobs:\n", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert names == [job.name for job in all_jobs()]
    assert {"escalation-timers", "standups", "pulse", "digest"} <= set(names)
    for job in all_jobs():
        assert re.search(rf"^  {re.escape(job.name)} +{re.escape(job.description)}$", listed, re.MULTILINE), job.name


def test_the_names_jobs_run_help_lists_are_the_ones_jobs_list_prints(capsys: pytest.CaptureFixture[str]) -> None:
    _, help_text, _ = output(capsys, "jobs", "run", "--help")
    status, listing, _ = output(capsys, "jobs", "list")
    assert status == 0
    listed = [line.split()[0] for line in help_text.split("jobs:\n", 1)[1].splitlines() if line.strip()]
    assert listed == [line.split("\t")[0] for line in listing.splitlines()]


def test_run_help_names_every_environment_variable_settings_reads(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = output(capsys, "run", "--help")
    assert status == 0
    named = out.split("environment (or a .env file):", 1)[1].replace("\n", " ")
    listed = [name.strip() for name in named.split(",")]
    assert listed == [field.alias for field in Settings.model_fields.values()]
    assert {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "SUPPORTBOT_CONFIG",
            "SUPPORTBOT_WEBHOOK_TOKEN", "LOG_LEVEL"} <= set(listed)


def test_config_apply_names_its_file_argument(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = output(capsys, "config", "apply", "--help")
    assert status == 0
    assert re.search(r"^usage: supportbot config apply .*\bFILE$", out, re.MULTILINE)
    assert re.search(r"^  FILE +the teams YAML file to apply$", out, re.MULTILINE)

    status, _, err = output(capsys, "config", "apply")
    assert status == 2
    assert "the following arguments are required: FILE" in err
