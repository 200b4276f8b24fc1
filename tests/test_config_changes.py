"""What a teams file would change (`bot.rules.config_changes`), as a table: stored teams, the file's, and the
lines `config apply --dry-run` prints; which changes undo what was changed in Slack since the last file."""

from __future__ import annotations

import pytest

from bot.rules.config_changes import changes, overwritten
from bot.rules.team_config import ConfigError, TeamConfig, parse_teams

BASE = {"key": "tier1", "name": "Tier 1", "members": ["U0A", "U0B"], "managers": ["U0M"]}


def team(**changed: object) -> TeamConfig:
    return TeamConfig.model_validate({**BASE, **changed})


@pytest.mark.parametrize(("stored", "wanted", "lines", "emptied", "problems"), [
    ([team()], [team()], ["no changes"], [], []),
    ([], [team()], ["team tier1: added", "membership added tier1:U0A (member)", "membership added tier1:U0B (member)",
                    "membership added tier1:U0M (manager)"], [], []),
    ([team()], [team(standup={"time": "10:00"})], ['team tier1: standup.time: "09:30" -> "10:00"'], [], []),
    ([team()], [team(name="Care", channels={"digest": "C0DIG"})],
     ['team tier1: name: "Tier 1" -> "Care"', 'team tier1: channels.digest: (not set) -> "C0DIG"'], [], []),
    ([team()], [team(members=["U0A", "U0C"])],
     ["membership added tier1:U0C (member)", "membership deactivated tier1:U0B (member)"], [], []),
    ([team()], [team(members=[])],
     ["membership deactivated tier1:U0A (member)", "membership deactivated tier1:U0B (member)"],
     ["teams[0].members: the empty list deactivates 2 (U0A, U0B)"], []),
    ([team(managers=[])], [team(managers=[])], ["no changes"], [], []),  # empty and already empty: nothing to confirm
    ([], [team(members=[], managers=[])], ["team tier1: added"], [],
     ["teams[0]: a new team needs at least one member or manager"]),
    ([team()], [team(escalation_policy={"priorities": {"P1": {"ack_minutes": 5}}})],
     ["team tier1: escalation_policy.priorities.P1.ack_minutes: (not set) -> 5"], [], []),
])
def test_what_a_file_would_change(stored: list[TeamConfig], wanted: list[TeamConfig], lines: list[str],
                                  emptied: list[str], problems: list[str]) -> None:
    found = changes(stored, wanted)
    assert found.lines() == lines
    assert (found.emptied, found.problems) == (emptied, problems)


SLACK_TIME = team(standup={"time": "11:00"})


@pytest.mark.parametrize(("last", "stored", "wanted", "lost"), [
    # the file changes what it had said; nothing was changed in Slack
    ([team()], [team()], [team(standup={"time": "10:00"})], {}),
    # Slack changed the stand-up time; the new file (still 09:30 there) undoes it while changing the pulse day
    ([team()], [SLACK_TIME], [team(pulse={"day": "thu"})], {"tier1": ['standup.time: "11:00" -> "09:30"']}),
    # Slack changed it to what the new file says anyway: nothing lost
    ([team()], [SLACK_TIME], [SLACK_TIME], {}),
    # Slack added a member the new file does not list
    ([team()], [team(members=["U0A", "U0B", "U0S"])], [team(name="T1")],
     {"tier1": ['members: ["U0A", "U0B", "U0S"] -> ["U0A", "U0B"]']}),
    # no record of the last file: every change to a stored team may be Slack's
    (None, [team()], [team(standup={"time": "10:00"})], {"tier1": ['standup.time: "09:30" -> "10:00"']}),
    # a team created in Slack and now listed in the file
    ([], [SLACK_TIME], [team()], {"tier1": ['standup.time: "11:00" -> "09:30"']}),
    # a team the file creates overwrites nothing
    ([team()], [], [team()], {}),
])
def test_which_changes_undo_a_setup_made_in_slack(
        last: list[TeamConfig] | None, stored: list[TeamConfig], wanted: list[TeamConfig],
        lost: dict[str, list[str]]) -> None:
    found = overwritten(last, stored, wanted)
    assert {key: [change.line() for change in changes_] for key, changes_ in found.items()} == lost


@pytest.mark.parametrize(("text", "problem"), [
    ("teams:\n  - key: a\n    name: A\n    managers: []\n", "teams[0].members: required"),
    ("teams:\n  - key: a\n    name: A\n    members: [U0AAA]\n", "teams[0].managers: required"),
    ("teams:\n  - key: a\n    name: A\n    members: [U0AAA]\n    managers: []\n  - key: b\n    name: B\n"
     "    members: []\n", "teams[1].managers: required"),
    ("teams:\n  - key: a\n    name: A\n    members: [U0AAA, U0BBB]\n    managers: []\n    members: [U0AAA]\n",
     "line 6: key 'members' appears twice (first on line 4)"),
    ("teams:\n  - {key: a, name: A, members: [], managers: [], key: b}\n", "line 2: key 'key' appears twice"),
    ("teams: []\nteams: []\n", "line 2: key 'teams' appears twice (first on line 1)"),
])
def test_a_left_out_or_repeated_key_is_an_error_naming_where(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_teams(text)
    assert any(found.startswith(problem) for found in refused.value.problems), refused.value.problems
