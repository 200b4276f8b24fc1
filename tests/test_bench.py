"""The benchmarks in bench/ still run (tiny sizes; the figures themselves are in the README)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.bench  # run by CI on its own, without workers: -m bench -n 0


@pytest.mark.parametrize(("command", "says"), [
    (["bench.acks", "--requests", "5", "--concurrency", "1"], []),
    (["bench.timers", "--escalations", "5", "--ticks", "1"], []),
    (["bench.command_path", "--seconds", "1", "--rounds", "1", "--database", "sqlite", "--path", "escalate",
      "--repeats", "0"],
     ["ratio (supportbot ÷ bare), escalate", "Slack calls per answered request, supportbot: views.open 1.00",
      "database work, escalate: in the request 0 statements and 0 commit(s)"]),
    # The writing paths: a round's calls are counted once supportbot's outbox is empty (it answers first and sends
    # after); Acknowledge presses escalations logged through supportbot's form beforehand, their cards posted.
    (["bench.command_path", "--seconds", "1", "--rounds", "1", "--database", "sqlite", "--path", "submit",
      "--repeats", "0", "--in-flight", "8"],
     ["ratio (supportbot ÷ bare), submit", "Slack calls per answered request, supportbot: chat.getPermalink 1.00, "
      "chat.postMessage 3.00", "database work, submit: in the request"]),
    (["bench.command_path", "--seconds", "1", "--rounds", "1", "--database", "sqlite", "--path", "acknowledge",
      "--repeats", "0", "--in-flight", "8", "--pool", "150"],
     ["ratio (supportbot ÷ bare), acknowledge", "Slack calls per answered request, supportbot: chat.postMessage 2.00,"
      " chat.update 2.00", "database work, acknowledge: in the request"]),
    (["bench.fanout", "--members", "200", "--rate", "100"], ["200 prompts accepted, lost 0, duplicated 0"]),
    (["bench.footprint", "--starts", "1", "--idle", "0.2", "--job", "housekeeping"],
     ["idle RSS (median)", "idle RSS, bare + stack", "jobs run housekeeping"]),
    (["bench.tickets_import", "--rows", "2000"], []),
    (["bench.helpdesk_backfill", "--tickets", "2000", "--page", "100", "--window", "0.5"],
     ["zendesk: 2,000 tickets synced (2,000 new, 0 updated)", "the limit allows (floor)",
      "for 21 incremental requests", "memory: RSS"]),
    (["bench.helpdesk_incremental", "--stored", "5000", "--changed", "50"],
     ["zendesk: 50 tickets synced (0 new, 50 updated)", "raw executemany upsert (floor)",
      "supportbot sync, the fake excluded"]),
])
def test_benchmark_runs_and_reports_a_ratio(command: list[str], says: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    assert "ratio" in done.stdout
    assert "FAILED" not in done.stdout, done.stdout[-3000:]
    for line in says:
        assert line in done.stdout, done.stdout[-3000:]
    if command[0].startswith("bench.helpdesk_"):  # their ratio is a number: ×1.07, ×15.8
        ratio = next(line for line in done.stdout.splitlines() if line.startswith("ratio: "))
        assert float(ratio.split("×", 1)[1].split()[0]) > 0, ratio
