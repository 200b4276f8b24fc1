"""`supportbot demo`'s pulse: the managers' report of a closed round, with real aggregates."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.app import Supportbot
from bot.demo import DEMO_TEAMS, NAMES, PEOPLE
from bot.demo_pulse import LATEST, show_pulse
from bot.demo_transcript import Transcript
from bot.rules.directory import TeamProfile
from bot.seed import seed_teams

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday: the round of 2026-W46 closed on Monday
DEMO_MEMBERS = "members: [U0ALEX, U0SAM, U0JORDAN, U0PRIYA, U0CHEN, U0DANA]"
"""The demo team's six members, so a round can meet the threshold of 5."""


async def _demo_team(app: Supportbot, members: str) -> TeamProfile:
    async with app.services.db() as session:
        directory = await seed_teams(session, DEMO_TEAMS.replace(DEMO_MEMBERS, members), now=NOW)
    team = directory.find("tier1")
    assert team is not None
    return team


async def test_the_demo_shows_a_closed_rounds_report_with_its_aggregates(
        app: Supportbot, capsys: pytest.CaptureFixture[str]) -> None:
    team = await _demo_team(app, DEMO_MEMBERS)
    client = Transcript(PEOPLE, NAMES)
    await show_pulse(dataclasses.replace(app.services, client=client, outbox=None), team, NOW, client.say)
    out = capsys.readouterr().out
    report = out.split("supportbot posts in @morgan", 1)[1]
    assert "== Pulse · Tier 1 Support · 2026-W46 ==" in report
    assert "*Participation:* 6 of 6 (100 %)" in report
    for index in range(4):
        values = [scores[index] for scores, _, _ in LATEST]
        assert f"*{round(sum(values) / len(values) + 1e-9, 1):.1f}* / 5" in report  # 3.8, 3.0, 3.8, 3.2
    # 3 promoters − 1 detractor of 6; W45 was 0: on six answers, within the noise
    assert "*eNPS: +33* (+33 vs 2026-W45, within the noise)" in report
    assert "3 promoters (9–10) · 2 passives (7–8) · 1 detractors (0–6)" in report
    assert "(+0.3 vs 2026-W45, within the noise)" in report  # the first question: 3.5 -> 3.8
    assert "Changes within the noise for 6 answers are not flagged" in report
    for _, _, comment in LATEST:
        if comment:
            assert f"> {comment}" in report  # rendered for a terminal: `&` shown as typed
    assert "Too many tickets after the release" not in out  # the earlier round's comment is not re-shown
    assert "hidden to protect anonymity" not in out
    assert out.count("supportbot posts in") == 1  # the one manager, once; members are asked nothing


async def test_below_the_threshold_the_demo_report_shows_participation_only(
        app: Supportbot, capsys: pytest.CaptureFixture[str]) -> None:
    team = await _demo_team(app, "members: [U0ALEX, U0SAM]")
    client = Transcript(PEOPLE, NAMES)
    await show_pulse(dataclasses.replace(app.services, client=client, outbox=None), team, NOW, client.say)
    out = capsys.readouterr().out
    assert "*Participation:* 2 of 2 (100 %)" in out and "hidden to protect anonymity" in out
    assert "eNPS:" not in out and "/ 5" not in out
