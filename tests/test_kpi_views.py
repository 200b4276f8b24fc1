"""The digest's largest case within Block Kit limits, escaping, and the chart's PNG."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Supportbot
from bot.demo_kpi import digest_of
from bot.rules.directory import TeamProfile
from bot.rules.escalations import TeamPolicy
from bot.rules.freshness import judge
from bot.rules.kpi import CATALOGUE, Change, Reading, manual_metric
from bot.rules.kpi_plan import Baseline
from bot.rules.team_config import KpiTargets, TeamConfig
from handlers.blocks import as_text
from handlers.kpi import chart, views
from handlers.kpi.report import BaselineLine, Report
from storage.kpi import Contributor, Figures
from tests.conftest import TeamPeople
from tests.kit.block_limits import problems
from tests.kpi_steps import add_tickets, day_of_tickets, png_size, tier1

DAY = date(2026, 11, 1)  # a Sunday: Monday's digest, with last week
TEAM = TeamProfile(id=1, config=TeamConfig(key="tier1", name="Tier 1 <Support> & Success " + "x" * 150,
                                           timezone="America/New_York"), policy=TeamPolicy.default())


def everything_red() -> Report:
    metrics = [*CATALOGUE, *(manual_metric(f"logged_metric_{n}_" + "y" * 40) for n in range(10))]
    readings = [Reading(m, 123456.789, 1.0, "red", Change(-55.5), Change(-40)) for m in metrics]
    contributors = {m.key: [Contributor("<T>" + "9" * 125, 12345.6, "Checkout & <payments> " * 20,
                                        url="https://acme.zendesk.com/agent/tickets/" + "9" * 20)
                            for _ in range(3)] for m in metrics}
    baselines = [BaselineLine(m, Baseline(m.key, 1.0, DAY), 2.0, Change(100), 30) for m in metrics]
    stale = judge("zendesk", "zendesk", last_success=datetime(2026, 10, 1, tzinfo=UTC), last_attempt=None,
                  stale_after_minutes=60, now=datetime(2026, 11, 2, 14, tzinfo=UTC), timezone="America/New_York")
    return Report(TEAM, DAY, DAY, views.day_title(DAY), Figures(DAY, DAY, {"created": 5}, {"created": 5}),
                  readings, contributors=contributors, week=readings, baselines=baselines, freshness=stale)


def test_every_metric_red_with_three_contributors_stays_within_block_kit_limits() -> None:
    text, blocks = views.digest(everything_red())
    assert problems(blocks) == []
    assert len(blocks) <= 50 and len(text) <= 3000
    assert sum(1 for b in blocks if b["type"] == "context" and "Behind" in str(b)) == len(CATALOGUE) + 10
    assert text.startswith("Tier 1 &lt;Support&gt; &amp; Success") and f": {len(CATALOGUE) + 10} red (⚠️ Zendesk" in text
    assert blocks[1]["text"]["text"].startswith("⚠️ Zendesk has not synced since Wed 30 Sep 20:00 (32 days ago)")


def test_ticket_ids_and_summaries_are_escaped() -> None:
    _, blocks = views.digest(everything_red())
    behind = next(str(b) for b in blocks if "Behind" in str(b))
    assert "|&lt;T&gt;" in behind and "Checkout &amp; &lt;payments&gt;" in behind and "<T>" not in behind


def test_alerts_and_summaries_are_within_a_messages_text_limit() -> None:
    reading = everything_red().readings[0]
    found = [Contributor("<T>" + "9" * 125, 1.0, None)] * 3
    assert len(views.alert(TEAM, reading, "red", DAY, found)) <= 4000  # Slack's advised message text length
    assert "&lt;T&gt;" in views.alert(TEAM, reading, "red", DAY, found)
    assert views.alert(TEAM, reading, "recovered", DAY).startswith("✅ *Tickets created* is back from red")


DAYS = [DAY - timedelta(days=n) for n in reversed(range(14))]
STEADY = {"first_response_median": [30.0 + n for n in range(14)], "resolution_median": [5.0 + n % 3 for n in range(14)],
          "csat": [92.0 - n for n in range(14)], "fcr": [72.0] * 14, "created": [30] * 14, "solved": [28] * 14}
HARD_CASES = {
    "two missing days": (DAYS, {k: [None if n in (4, 5) else v for n, v in enumerate(values)]
                                for k, values in STEADY.items()}),
    "a single day": (DAYS[-1:], {k: values[-1:] for k, values in STEADY.items()}),
    "a huge outlier": (DAYS, {**STEADY, "first_response_median": [*STEADY["first_response_median"][:10], 4000.0,
                                                                  *STEADY["first_response_median"][11:]]}),
    "no data at all": (DAYS, {}),
}


@pytest.mark.parametrize("case", HARD_CASES)
def test_the_chart_draws_each_hard_case_readably(case: str) -> None:
    """Each case was looked at as a PNG; what made it readable is asserted here: rates from 0 to 100, times
    from 0, one pair of brackets at most in a title, the target named in the title (no legend over the data),
    a missing day a gap, an outlier drawn at the top edge with its value written, and the volume panel."""
    days, series = HARD_CASES[case]
    figure = chart.draw(days, series, KpiTargets(), f"Tier 1 · {case}")
    *panels, volume = figure.axes
    assert [a.get_title() for a in panels] == [
        "Median first response, min · target ≤ 60 (dashed)", "Median resolution time, h · target ≤ 24 (dashed)",
        "CSAT, % · target ≥ 90 (dashed)", "First-contact resolution, % · target ≥ 70 (dashed)"]
    for axes in figure.axes:
        assert axes.get_ylim()[0] == 0 and axes.get_title().count("(") <= 1
        assert axes.get_legend() is None or axes.get_legend().get_bbox_to_anchor().x0 >= axes.bbox.x1  # outside
    assert [a.get_ylim()[1] for a in panels[2:]] == [105.0, 105.0]  # rates: the whole 0-100 %
    assert volume.get_title() == "Tickets per day" and len(volume.patches) == 2 * len(days)
    first_response = panels[0]
    if case == "a huge outlier":
        assert first_response.get_ylim()[1] < 100 and [t.get_text() for t in first_response.texts] == [
            "66 h 40 min (off the scale)"]
    if case == "two missing days":
        line = first_response.get_lines()[-1].get_ydata()
        assert [math.isnan(v) for v in line[3:7]] == [False, True, True, False]  # a gap, not a line across
    if case == "no data at all":
        assert all(a.texts[0].get_text() == "no data in these days" for a in panels)
    png = chart.render(days, series, KpiTargets(), f"Tier 1 · {case}")
    assert png_size(png) == (1200, 800) and 20_000 < len(png) < 400_000


async def test_the_demo_shows_a_digest_and_writes_its_chart(app: Supportbot, team: TeamPeople, tmp_path: Path) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    async with app.services.db() as session:
        shown = as_text(await digest_of(session, profile, DAY, tmp_path / "kpi.png"))
        empty = as_text(await digest_of(session, profile, DAY - timedelta(days=1), tmp_path / "none.png"))
    assert shown.startswith("== 📊 Tier 1 Support · Sunday 1 November ==") and "Behind *CSAT*" in shown
    assert png_size((tmp_path / "kpi.png").read_bytes()) == (1200, 800)
    assert "nothing to report" in empty and not (tmp_path / "none.png").exists()
