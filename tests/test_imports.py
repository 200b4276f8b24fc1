"""Every entry point imports on its own, in a fresh interpreter, whichever module comes first: a cycle between
the table modules once broke `supportbot` itself (storage.kpi_models first → storage.models → its feature
tables → storage.metric_models → a half-loaded storage.kpi_models) while the suite, importing bot.app first
through its conftest, passed."""

from __future__ import annotations

import subprocess
import sys

import pytest

FIRST = ["bot.cli", "bot.app", "handlers", "storage.kpi_models", "storage.tickets", "storage.metric_models",
         "storage.outbox", "storage.helpdesks"]


@pytest.mark.parametrize("module", FIRST)
def test_a_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
