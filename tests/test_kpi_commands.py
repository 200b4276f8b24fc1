"""`/kpi` on demand, logged figures, targets and baselines, driven as Slack sends them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import Supportbot
from handlers.kpi import ids, report
from handlers.kpi.jobs import run_digest
from storage import kpi
from tests.conftest import Clock, TeamPeople
from tests.kit.block_limits import problems, view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack
from tests.kpi_steps import add_tickets, day_of_tickets, tier1, utc
from tests.test_kpi_digest import digests

# The clock fixture reads Monday 2 November 2026, 09:00 in New York.


async def kpi_on_demand(bot: SlackDriver, slack: FakeSlack, text: str, *, user: str) -> Call:
    """`/kpi [today|week]`: acknowledged at once with nothing shown, then the digest, privately, through
    the command's response_url."""
    sent = slack.count("response_url")
    acked = await bot.command("/kpi", text, user=user)
    assert (acked.status, acked.body) == (200, "")
    answer = (await slack.await_for("response_url", count=sent + 1))[-1]
    assert answer.ok and answer.args["response_type"] == "ephemeral"
    return answer


def shown(answer: Call) -> str:
    return "\n".join([answer.text or "", str(answer.blocks or "")])


async def test_help_and_unknown_arguments(bot: SlackDriver, team: TeamPeople) -> None:
    assert "`/kpi log <metric> <value> [YYYY-MM-DD]`" in (await bot.command("/kpi", "help", user=team.agent)).text
    assert (await bot.command("/kpi", "sideways", user=team.agent)).text.startswith("I don't know that one.")
    assert (await bot.command("/kpi", "log nps", user=team.manager)).text.startswith("I don't know that one.")
    assert "not in a support team" in (await bot.command("/kpi", "", user=team.outsider)).text


async def test_kpi_shows_yesterday_today_and_the_week_privately(bot: SlackDriver, app: Supportbot,
                                                                slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=90, good=3),
                      *day_of_tickets("2026-10-29", first_response_minutes=20, good=6, prefix="w"),
                      *day_of_tickets("2026-10-22", first_response_minutes=30, good=6, prefix="p"))  # the week before
    yesterday = await kpi_on_demand(bot, slack, "", user=team.agent)
    assert yesterday.blocks and yesterday.blocks[0]["text"]["text"] == "📊 Tier 1 Support · Sunday 1 November"
    assert "🔴 *CSAT*: 50.0%" in shown(yesterday) and "Behind *CSAT*" in shown(yesterday)
    assert problems(yesterday.blocks) == []
    today = await kpi_on_demand(bot, slack, "today", user=team.agent)
    assert "today so far (Mon 2 Nov): no tickets" in shown(today)
    week = await kpi_on_demand(bot, slack, "week", user=team.teammate)
    assert "last 7 days (Mon 26 Oct – Sun 1 Nov)" in shown(week)
    assert "*Tickets created*: 12" in shown(week) and "vs the 7 days before" in shown(week)
    assert slack.calls("chat.postMessage") == []  # nothing in a channel: only the person who asked sees it


async def test_managers_log_figures_from_elsewhere(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                  team: TeamPeople) -> None:
    logged = await bot.command("/kpi", "log nps 42", user=team.manager)
    assert logged.text == "Logged *nps* = 42 for Mon 2 Nov."
    again = await bot.command("/kpi", "log nps 45.5 2026-11-02", user=team.manager)
    assert again.text == "Logged *nps* = 45.5 for Mon 2 Nov (replacing the earlier figure)."
    await bot.command("/kpi", "log churn_rate 1.5 2026-11-01", user=team.manager)
    assert "Churn rate (logged): 1.5" in shown(await kpi_on_demand(bot, slack, "", user=team.agent))

    refusals = {
        ("log nps 42", team.agent): "Only Tier 1 Support's managers can log figures, set targets and pin",
        ("log nps lots", team.manager): "`lots` is not a number",
        ("log nps nan", team.manager): "is not a number",
        ("log nps 1,5", team.manager): "`1,5` is ambiguous: write decimals with a dot",
        ("log nps 4 2026-13-01", team.manager): "`2026-13-01` is not a date",
        ("log nps 4 2026-11-03", team.manager): "hasn't happened yet",
        ("log csat 99", team.manager): "is computed from your tickets",
        ("log NPS<b> 4", team.manager): "can't be a metric name",
    }
    for (text, user), expected in refusals.items():
        assert expected in (await bot.command("/kpi", text, user=user)).text, text
    async with app.services.db() as session:
        found = await kpi.figures(session, (await tier1(app)).id, date(2026, 11, 2), date(2026, 11, 2),
                                  "America/New_York")
    assert found.values["nps"] == 45.5 and found.values["csat"] is None


async def test_managers_set_targets_in_a_form_validated_like_the_yaml(bot: SlackDriver, app: Supportbot,
                                                                      slack: FakeSlack, team: TeamPeople) -> None:
    seen = await bot.command("/kpi", "targets", user=team.agent)
    assert "CSAT (%): 90" in seen.text and "Escalation SLA attainment (%): 90" in seen.text
    assert "Only Tier 1 Support's managers can log figures, set targets" in seen.text
    await bot.command("/kpi", "targets", user=team.manager)
    view = slack.last("views.open").view
    assert view is not None and view["callback_id"] == ids.TARGETS_FORM and view_problems(view) == []

    values = {ids.FIRST_RESPONSE_MINUTES: "30", ids.RESOLUTION_HOURS: "8", ids.CSAT_PERCENT: "120",
              ids.FCR_PERCENT: "soon", ids.ESCALATION_SLA_PERCENT: "95"}
    refused = await bot.submit(view, user=team.manager, **values)
    assert refused.errors == {ids.FCR_PERCENT: "Enter a number, e.g. 60."}
    refused = await bot.submit(view, user=team.manager, **{**values, ids.FCR_PERCENT: "75"})
    assert set(refused.errors) == {ids.CSAT_PERCENT}
    refused = await bot.submit(view, user=team.manager, **{**values, ids.CSAT_PERCENT: "85", ids.FCR_PERCENT: "75",
                                                           ids.FIRST_RESPONSE_MINUTES: "inf"})
    assert set(refused.errors) == {ids.FIRST_RESPONSE_MINUTES}  # a number, but no target anyone can miss
    assert (await bot.submit(view, user=team.agent, **{**values, ids.FCR_PERCENT: "75"})).errors

    saved = await bot.submit(view, user=team.manager, **{**values, ids.CSAT_PERCENT: "85", ids.FCR_PERCENT: "75"})
    assert saved.status == 200 and "errors" not in saved.body
    targets = (await tier1(app)).config.kpi_targets
    assert (targets.first_response_minutes, targets.resolution_hours, targets.csat_percent, targets.fcr_percent,
            targets.escalation_sla_percent) == (30, 8, 85, 75, 95)
    seen = (await bot.command("/kpi", "targets", user=team.agent)).text
    assert "CSAT (%): 85" in seen and "Escalation SLA attainment (%): 95" in seen


async def test_a_baseline_is_followed_for_thirty_days_and_summarised_on_day_thirty(
        bot: SlackDriver, app: Supportbot, slack: FakeSlack, team: TeamPeople, clock: Clock) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-30", first_response_minutes=20, good=3),
                      *day_of_tickets("2026-11-01", first_response_minutes=20, good=6))
    refused = await bot.command("/kpi", "baseline csat", user=team.agent)
    assert "Only Tier 1 Support's managers" in refused.text
    assert "nothing to pin" in (await bot.command("/kpi", "baseline nps", user=team.manager)).text
    pinned = await bot.command("/kpi", "baseline csat", user=team.manager)
    assert pinned.text.startswith("Baseline pinned: *CSAT* 75.0% (the 7-day average).")
    assert "the digest for Tue 1 Dec closes the plan" in pinned.text

    await add_tickets(app, profile.id, *day_of_tickets("2026-11-02", first_response_minutes=20, good=4, prefix="a"),
                      *day_of_tickets("2026-11-20", first_response_minutes=20, good=5, prefix="b"),
                      *day_of_tickets("2026-11-30", first_response_minutes=20, good=6, prefix="c"))
    await run_digest(app.services, utc("2026-11-03T14:00"))  # Monday 2 November: day 1
    assert "*CSAT*: baseline 75.0% → 66.7% (↓ 11% vs baseline) · day 1 of 30" in str(digests(slack)[-1].blocks)
    await run_digest(app.services, utc("2026-12-01T14:00"))  # Monday 30 November: day 29, no summary yet
    assert not [c for c in slack.calls("chat.postMessage") if "🏁" in (c.text or "")]
    await run_digest(app.services, utc("2026-12-02T14:00"))  # Tuesday 1 December: day 30
    [summary] = [c.text for c in slack.calls("chat.postMessage") if "🏁" in (c.text or "")]
    assert summary == ("🏁 30 days of *CSAT* for Tier 1 Support since the baseline of Mon 2 Nov: baseline 75.0% → "
                       "now 100.0% (7-day average) (↑ 33%). Best day Mon 30 Nov: 100.0%; worst day Mon 2 Nov: 66.7%.")
    await run_digest(app.services, utc("2026-12-02T15:00"))
    assert len([c for c in slack.calls("chat.postMessage") if "🏁" in (c.text or "")]) == 1


async def test_kpi_says_so_when_the_figures_cannot_be_worked_out(bot: SlackDriver, slack: FakeSlack, team: TeamPeople,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(report, "daily", broken)
    answer = await kpi_on_demand(bot, slack, "", user=team.agent)
    assert answer.text == "Sorry, I couldn't work out the KPIs just now. Please try `/kpi` again in a minute."
