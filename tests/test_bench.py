"""The benchmarks in bench/ still run (tiny sizes; the figures themselves are in the README)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.bench  # run by CI on its own, without workers: -m bench -n 0


@pytest.mark.parametrize(("command", "says"), [
    (["bench.acks", "--requests", "5", "--concurrency", "1"], []),
    (["bench.timers", "--escalations", "5", "--ticks", "1"], []),
    (["bench.command_path", "--seconds", "1", "--rounds", "1", "--database", "sqlite", "--path", "all",
      "--pool", "40",
      "--repeats", "0"],
     ["ratio (supportbot ÷ bare), escalate", "ratio (supportbot ÷ bare), submit",
      "ratio (supportbot ÷ bare), acknowledge",
      "Slack calls per answered request, supportbot: chat.getPermalink 1.00, chat.postMessage 3.00",
      "Slack calls per answered request, bare: chat.postMessage 2.00, chat.update 2.00",
      # bare+sql, the durable floor (bench.command_path_durable): the same calls, on the two writing paths only
      "ratio (supportbot ÷ bare+sql), submit on SQLite", "ratio (supportbot ÷ bare+sql), acknowledge on SQLite",
      "Slack calls per answered request, bare+sql: chat.getPermalink 1.00, chat.postMessage 3.00",
      "Slack calls per answered request, bare+sql: chat.postMessage 2.00, chat.update 2.00"]),
    (["bench.fanout", "--members", "200", "--rate", "100"], ["200 prompts accepted, lost 0, duplicated 0"]),
    (["bench.footprint", "--starts", "1", "--idle", "0.2", "--job", "housekeeping"],
     ["idle RSS (median)", "idle RSS, bare + stack", "jobs run housekeeping"]),
    (["bench.tickets_import", "--rows", "2000"], []),
])
def test_benchmark_runs_and_reports_a_ratio(command: list[str], says: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    assert "ratio" in done.stdout
    assert "FAILED" not in done.stdout, done.stdout[-3000:]
    for line in says:
        assert line in done.stdout, done.stdout[-3000:]
