"""The layer rules that import-linter cannot see, read from the source: storage never commits.

A storage function stages its change; the flow that changes state (a listener or a job, through
`services.unit(now)` / `unit.commit()` or its own session) commits once, so that a change and the messages it
implies are written together or not at all. Only the unit of work (`storage/unit.py`) commits, and the
migrations (`storage/migrate.py`, `storage/migrations/`), which run outside any flow."""

from __future__ import annotations

import ast
from pathlib import Path

STORAGE = Path(__file__).resolve().parent.parent / "storage"
MAY_COMMIT = {"unit.py", "migrate.py"}
COMMITTING = {"commit", "begin"}
"""`session.commit()`, and `session.begin()` / `engine.begin()`, whose block commits when it ends."""


def commits_in(path: Path) -> list[str]:
    """Each call of `.commit(…)` or `.begin(…)` in the file, as `name:line`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in COMMITTING]


def storage_modules() -> list[Path]:
    return sorted(path for path in STORAGE.rglob("*.py")
                  if "migrations" not in path.relative_to(STORAGE).parts and path.name not in MAY_COMMIT)


def test_no_storage_function_commits() -> None:
    modules = storage_modules()
    assert len(modules) > 20 and STORAGE / "teams.py" in modules  # the scan sees the package
    assert [line for path in modules for line in commits_in(path)] == []


def test_the_scan_finds_a_commit_where_there_is_one(tmp_path: Path) -> None:
    """The check itself can fail: the unit of work's commit is found, and so are both spellings in a file."""
    assert commits_in(STORAGE / "unit.py")
    probe = tmp_path / "probe.py"
    probe.write_text('"""session.commit() in a docstring is no call."""\n'
                     "async def f(session, engine):\n    await session.commit()\n"
                     "    async with engine.begin():\n        pass\n", encoding="utf-8")
    assert commits_in(probe) == ["probe.py:3", "probe.py:4"]
