"""The digest's largest case within Block Kit limits, escaping, and the chart's PNG."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.app import Supportbot
from bot.demo_kpi import digest_of
from bot.rules.directory import TeamProfile
from bot.rules.escalations import TeamPolicy
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
    contributors = {m.key: [Contributor("<T>" + "9" * 125, 12345.6, "Checkout & <payments> " * 20)
                            for _ in range(3)] for m in metrics}
    baselines = [BaselineLine(m, Baseline(m.key, 1.0, DAY), 2.0, Change(100), 30) for m in metrics]
    return Report(TEAM, DAY, DAY, views.day_title(DAY), Figures(DAY, DAY, {"created": 5}, {"created": 5}),
                  readings, contributors=contributors, week=readings, baselines=baselines)


def test_every_metric_red_with_three_contributors_stays_within_block_kit_limits() -> None:
    text, blocks = views.digest(everything_red())
    assert problems(blocks) == []
    assert len(blocks) <= 50 and len(text) <= 3000
    assert sum(1 for b in blocks if b["type"] == "context" and "Behind" in str(b)) == len(CATALOGUE) + 10
    assert text.startswith("Tier 1 &lt;Support&gt; &amp; Success") and text.endswith(f"{len(CATALOGUE) + 10} red")


def test_ticket_ids_and_summaries_are_escaped() -> None:
    _, blocks = views.digest(everything_red())
    behind = next(str(b) for b in blocks if "Behind" in str(b))
    assert "`&lt;T&gt;" in behind and "Checkout &amp; &lt;payments&gt;" in behind and "<T>" not in behind


def test_alerts_and_summaries_are_within_a_messages_text_limit() -> None:
    reading = everything_red().readings[0]
    found = [Contributor("<T>" + "9" * 125, 1.0, None)] * 3
    assert len(views.alert(TEAM, reading, "red", DAY, found)) <= 4000  # Slack's advised message text length
    assert "&lt;T&gt;" in views.alert(TEAM, reading, "red", DAY, found)
    assert views.alert(TEAM, reading, "recovered", DAY).startswith("✅ *Tickets created* is back from red")


def test_the_chart_is_a_png_at_slacks_preview_size_with_or_without_data() -> None:
    days = [DAY - timedelta(days=n) for n in reversed(range(14))]
    full = {"csat": [80.0 + n for n in range(14)], "first_response_median": [None, *[30.0] * 13],
            "resolution_median": [5.0] * 14, "fcr": [70.0] * 14}
    assert png_size(chart.render(days, full, KpiTargets(), "Tier 1 · 14 days")) == (1200, 600)
    assert png_size(chart.render(days, {}, KpiTargets(), "No data")) == (1200, 600)


async def test_the_demo_shows_a_digest_and_writes_its_chart(app: Supportbot, team: TeamPeople, tmp_path: Path) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    async with app.services.db() as session:
        shown = as_text(await digest_of(session, profile, DAY, tmp_path / "kpi.png"))
        empty = as_text(await digest_of(session, profile, DAY - timedelta(days=1), tmp_path / "none.png"))
    assert shown.startswith("== 📊 Tier 1 Support · Sunday 1 November ==") and "Behind *CSAT*" in shown
    assert png_size((tmp_path / "kpi.png").read_bytes()) == (1200, 600)
    assert "nothing to report" in empty and not (tmp_path / "none.png").exists()
