"""The data benchmarks of issue 12 still run, at tiny sizes: the KPI digest at scale (its hand-written floor
must agree with the app's figures, or the run fails) and the tickets import against its floors. The figures
themselves are in the README's Performance section."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench  # run by CI on its own, without workers: -m bench -n 0

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def _run(*arguments: str) -> str:
    done = subprocess.run([sys.executable, "-m", *arguments], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES, reason="TEST_DATABASE_URL names no PostgreSQL server"))])
def test_digest_benchmark_agrees_with_its_floor_and_reports_ratios(database: str, tmp_path: Path) -> None:
    extra = ([] if database == "sqlite" else
             ["--postgres-url", os.environ["TEST_DATABASE_URL"], "--postgres-database",
              f"bench_digest_test_{uuid.uuid4().hex[:10]}", "--drop"])
    out = _run("bench.digest_scale", "--database", database, "--tickets", "3000", "--teams", "3", "--days", "20",
               "--repeat", "1", "--cache", str(tmp_path), *extra)
    found = re.search(r"ratio: team-day ×([\d.]+) of the 14-day floor", out)
    assert found is not None, out
    assert float(found[1]) > 0
    assert re.search(r"supportbot: all teams digests +[\d.]+ s", out), out


def test_digest_benchmark_generates_its_database_once(tmp_path: Path) -> None:
    arguments = [sys.executable, "-m", "bench.digest_scale", "--database", "sqlite", "--tickets", "1500", "--teams",
                 "2", "--days", "16", "--repeat", "1", "--cache", str(tmp_path)]
    first = subprocess.run(arguments, capture_output=True, text=True, timeout=300, check=True)
    again = subprocess.run(arguments, capture_output=True, text=True, timeout=300, check=True)
    assert "generated" in first.stderr
    assert "generated" not in again.stderr
    assert "ratio" in again.stdout
    assert len(list(tmp_path.glob("bench_digest_*.db"))) == 1


def test_import_benchmark_reports_its_ratio_against_both_floors() -> None:
    out = _run("bench.tickets_import", "--rows", "3000")
    found = re.search(r"ratio: throughput ×([\d.]+) of the Core floor .*×([\d.]+) of sqlite3's", out)
    assert found is not None, out
    assert float(found[1]) > 0 and float(found[2]) > 0
    assert "3,000 generic rows" in out
