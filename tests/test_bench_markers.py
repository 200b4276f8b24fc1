"""The test command (issue 19, point 15): `python -m pytest -q` runs in parallel workers and leaves out the
slow tests and the benchmarks; CI (`.ci/run`) runs the slow ones on both databases and the benchmarks on their
own, and stops at the first failure."""

from __future__ import annotations

import importlib
import shlex
import tomllib
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

from tests import test_bench, test_bench_data
from tests.conftest import SLOW

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OPTIONS = PYPROJECT["tool"]["pytest"]["ini_options"]


def selected(expression: str, *marks: str) -> bool:
    """Whether `-m expression` selects a test with these marks."""
    def has(name: str, /, **_: str | int | bool | None) -> bool:
        return name in marks

    return Expression.compile(expression).evaluate(has)


def option(arguments: list[str], name: str) -> str:
    """The value of the last `name` among `arguments` (a later one replaces an earlier one)."""
    return arguments[len(arguments) - 1 - arguments[::-1].index(name) + 1]


def test_the_default_run_uses_workers_and_leaves_out_slow_tests_and_benchmarks() -> None:
    arguments = shlex.split(OPTIONS["addopts"])
    assert option(arguments, "-n") == "auto"
    assert any(name.startswith("pytest-xdist") for name in PYPROJECT["project"]["optional-dependencies"]["dev"])
    default = option(arguments, "-m")
    assert selected(default)
    assert not selected(default, "slow")
    assert not selected(default, "bench")
    assert {line.split(":")[0] for line in OPTIONS["markers"]} == {"slow", "bench"}


def test_the_benchmarks_are_marked_bench() -> None:
    for module in (test_bench, test_bench_data):
        assert module.pytestmark.name == "bench", module.__name__


@pytest.mark.parametrize("nodeid", sorted(SLOW))
def test_each_slow_name_is_a_test(nodeid: str) -> None:
    path, name = nodeid.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name.split("[")[0], None))


def test_ci_runs_everything_on_both_databases_and_the_benchmarks_alone() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    runs = [shlex.split(line) for line in script.splitlines() if '"$PY" -m pytest' in line]
    everything = [arguments for arguments in runs if selected(option(arguments, "-m"))
                  and selected(option(arguments, "-m"), "slow") and not selected(option(arguments, "-m"), "bench")]
    assert sorted(arguments[:2] for arguments in everything) == [["TEST_DATABASE_URL=$PG_URL", "$PY"],
                                                                  ["env", "-u"]]
    benchmarks = [arguments for arguments in runs if selected(option(arguments, "-m"), "bench")]
    assert len(benchmarks) == 1
    assert option(benchmarks[0], "-n") == "0"
