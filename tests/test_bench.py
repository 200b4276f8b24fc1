"""The benchmarks in bench/ still run (tiny sizes; the figures themselves are in the README)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("command", [
    ["bench.acks", "--requests", "5", "--concurrency", "1"],
    ["bench.timers", "--escalations", "5", "--ticks", "1"],
    ["bench.command_path", "--seconds", "1", "--rounds", "1", "--database", "sqlite"],
    ["bench.tickets_import", "--rows", "2000"],
])
def test_benchmark_runs_and_reports_a_ratio(command: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "ratio" in done.stdout
