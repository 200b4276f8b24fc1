"""Which team a command acts on for someone in several teams (bot.rules.team_choice), as a table: a team named
in the command, else the one picked in the form, else the one remembered, else the only (or first) team."""

from __future__ import annotations

import pytest

from bot.rules.directory import Directory, TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.rules.team_choice import Chosen, NotChosen, choose, match
from bot.rules.team_config import TeamConfig


def _team(number: int, key: str, name: str) -> TeamProfile:
    config = TeamConfig(key=key, name=name, members=["U0BOTH"])
    return TeamProfile(id=number, config=config, policy=TeamPolicy.default())


TIER1, TIER2, BILLING = _team(1, "tier1", "Tier 1 Support"), _team(2, "tier2", "Tier 2 Support"), \
    _team(3, "billing", "Billing & <Refunds>")
MINE = Directory.of(1, [TIER2, BILLING, TIER1]).teams_of("U0BOTH")  # by key: billing, tier1, tier2

CASES = [
    # argument, picked, remembered -> team key, how
    (None, None, None, "billing", "first"),
    ("", None, "tier2", "tier2", "remembered"),
    (None, None, "tier2", "tier2", "remembered"),
    (None, "tier1", "tier2", "tier1", "form"),
    ("tier2", "tier1", "billing", "tier2", "argument"),
    ("TIER2", None, None, "tier2", "argument"),
    ("Tier 2 Support", None, None, "tier2", "argument"),
    ("  tier 2   support ", None, None, "tier2", "argument"),
    ("bill", None, None, "billing", "argument"),
    (None, "gone", "gone", "billing", "first"),  # a picked or remembered team no longer theirs is ignored
]


@pytest.mark.parametrize(("argument", "picked", "remembered", "key", "how"), CASES)
def test_the_argument_beats_the_form_beats_the_remembered_default(argument: str | None, picked: str | None,
                                                                 remembered: str | None, key: str, how: str) -> None:
    found = choose(MINE, argument=argument, picked=picked, remembered=remembered)
    assert isinstance(found, Chosen) and (found.team.key, found.how) == (key, how)
    assert found.explicit == (how in ("argument", "form"))


def test_one_team_is_the_only_choice_and_no_team_is_no_choice() -> None:
    assert choose([TIER1]) == Chosen(TIER1, "only")
    assert choose([TIER1], remembered="tier2") == Chosen(TIER1, "only")
    assert choose([]) is None
    assert choose([], argument="tier1") is None


@pytest.mark.parametrize(("argument", "answer"), [
    ("tier9", "`tier9` is not one of your teams here. Your teams: `billing` (Billing &amp; &lt;Refunds&gt;), "
              "`tier1` (Tier 1 Support), `tier2` (Tier 2 Support)."),
    ("tier", "`tier` could be `tier1` (Tier 1 Support), `tier2` (Tier 2 Support): name one of them by its key."),
    ("<!channel> `x`", "`&lt;!channel&gt; 'x'` is not one of your teams here."),
])
def test_an_unknown_or_ambiguous_team_is_answered_with_the_person_s_teams(argument: str, answer: str) -> None:
    found = choose(MINE, argument=argument, remembered="tier1")
    assert isinstance(found, NotChosen) and found.text.startswith(answer)


def test_an_exact_key_or_name_wins_over_a_longer_one_it_begins() -> None:
    tier = _team(4, "tier", "Tier")
    assert match("tier", [tier, TIER1, TIER2]) == [tier]
    assert match("", [TIER1]) == []
