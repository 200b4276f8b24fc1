"""The copy of Slack's facts in tests/slack_facts stays the same as the team's shared/slack."""

from __future__ import annotations

import pytest

from tests.kit.block_limits import SHARED_FACTS, VENDORED_FACTS


@pytest.mark.skipif(not SHARED_FACTS.is_dir(), reason="no shared/slack beside this checkout")
def test_the_vendored_copy_matches_shared_slack() -> None:
    shared = {p.relative_to(SHARED_FACTS): p.read_bytes() for p in SHARED_FACTS.rglob("*") if p.is_file()}
    vendored = {p.relative_to(VENDORED_FACTS): p.read_bytes() for p in VENDORED_FACTS.rglob("*")
                if p.is_file() and p.name != "COPY.md"}
    assert sorted(map(str, vendored)) == sorted(map(str, shared))
    changed = [str(path) for path in shared if vendored[path] != shared[path]]
    assert changed == [], f"copy shared/slack into tests/slack_facts again: {changed} differ"
