"""No merge's conflict markers are left in a file the project ships (code, docs, configuration)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKERS = ("<" * 7 + " ", ">" * 7 + " ", "=" * 7 + "\n")


def test_no_file_holds_a_conflict_marker() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in tracked:
        path = REPO / name
        if path.suffix not in {".py", ".md", ".yml", ".yaml", ".toml", ".txt", ".example", ".ini", ".cfg", ""}:
            continue
        try:
            lines = path.read_text("utf-8").splitlines(keepends=True)
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        found += [f"{name}:{n}" for n, line in enumerate(lines, 1) if line.startswith(MARKERS)]
    assert not found, f"conflict markers left: {found}"
