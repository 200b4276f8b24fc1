"""`/standup` commands, the setup form, the largest report within Slack's limits, and participation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import Supportbot
from bot.rules.standups import Entry, Schedule, summarise
from bot.rules.team_config import StandupConfig
from handlers.standups import ids, views
from storage import standups as stored
from tests.conftest import Clock
from tests.kit.block_limits import problems, view_problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import MANAGER, NY, answer, prompts, setup_team, tick


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_help_and_bad_arguments_get_the_usage(app: Supportbot, slack: FakeSlack, bot: SlackDriver) -> None:
    await setup_team(app, slack)
    assert "/standup away" in (await bot.command("/standup", "help", user=NY)).text
    assert "I didn't understand" in (await bot.command("/standup", "dance", user=NY)).text
    assert "is not a date" in (await bot.command("/standup", "report 24/11/2026", user=NY)).text
    assert "couldn't set your days away" in (await bot.command("/standup", "away soon", user=NY)).text


async def test_away_and_back_stop_and_restart_prompts(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                                      clock: Clock) -> None:
    await setup_team(app, slack, members=[NY])
    clock.now = utc("2026-11-23T12:00")
    assert "no stand-up prompts" in (await bot.command("/standup", "away 2026-11-24 2026-11-25", user=NY)).text
    await tick(app, utc("2026-11-24T14:30"))
    assert not prompts(slack, NY)
    clock.now = utc("2026-11-25T12:00")
    assert "Welcome back" in (await bot.command("/standup", "back", user=NY)).text
    await tick(app, utc("2026-11-25T14:30"))
    assert len(prompts(slack, NY)) == 1


async def test_only_managers_set_the_standup_up_and_the_form_is_validated(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver) -> None:
    await setup_team(app, slack)
    refused = await bot.command("/standup", "setup", user=NY)
    assert "Only Global Support's managers" in refused.text
    await bot.command("/standup", "setup", user=MANAGER)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == ids.SETUP_FORM and not view_problems(form)
    bad = await bot.submit(form, user=MANAGER, **{ids.SETUP_TIME: "9h30", ids.SETUP_HOLIDAYS: "soon"})
    assert ids.SETUP_HOLIDAYS in bad.errors
    bad = await bot.submit(form, user=MANAGER, **{ids.SETUP_TIME: "25:00"})
    assert ids.SETUP_TIME in bad.errors
    filled = {ids.SETUP_TIME: "10:15", ids.SETUP_DAYS: ["mon", "tue"], ids.SETUP_REMINDER: "30",
              ids.SETUP_WINDOW: "3", ids.SETUP_QUESTIONS: "Done?\nNext?\nBlockers?", ids.SETUP_HOLIDAYS: "2026-12-25"}
    assert ids.SETUP_DAYS in (await bot.submit(form, user=MANAGER, **{**filled, ids.SETUP_DAYS: []})).errors
    ok = await bot.submit(form, user=MANAGER, **filled)
    assert ok.status == 200 and "response_action" not in ok.body, ok.body
    team = (await app.services.directory.current()).teams[0]
    assert team.config.standup.time == "10:15" and team.config.standup.holidays == [date(2026, 12, 25)]
    assert team.config.standup.days == ["mon", "tue"]
    assert team.config.standup.questions == ["Done?", "Next?", "Blockers?"]


async def test_report_shows_a_day_privately(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                            clock: Clock) -> None:
    await setup_team(app, slack)
    await tick(app, utc("2026-11-24T14:30"))
    clock.now = utc("2026-11-24T14:40")
    await answer(bot, slack, NY, "Tickets", "Plan", "Blocked by SSO")
    shown = await bot.command("/standup", "report 2026-11-24", user=MANAGER)
    assert "Blocked by SSO" in shown.text and "Stand-up · Tue 24 Nov" in shown.text
    assert "No stand-up" in (await bot.command("/standup", "report 2026-11-01", user=MANAGER)).text


async def test_participation_counts_answered_of_expected_and_streaks(app: Supportbot, slack: FakeSlack) -> None:
    await setup_team(app, slack, members=[NY])
    team_id = (await app.services.directory.current()).teams[0].id
    now = utc("2026-11-30T12:00")
    async with app.services.db() as session:
        for day, status in [(23, "answered"), (24, "prompted"), (25, "answered"), (26, "away"), (27, "answered")]:
            if status == "answered":
                await stored.answer(session, team_id, NY, date(2026, 11, day), ["a", "b", ""], None, now=now)
            else:
                await stored.record_prompt(session, team_id, NY, date(2026, 11, day), now=now,
                                           away=status == "away")
                await session.commit()
        [mine] = await stored.participation(session, team_id, date(2026, 11, 23), date(2026, 11, 27))
    assert (mine.answered, mine.expected, mine.streak) == (3, 4, 2)  # the away day counts for neither
    assert mine.rate == 0.75


def test_the_largest_report_stays_within_slacks_limits() -> None:
    schedule = Schedule.from_config(StandupConfig())
    long = "x" * 3000
    entries = [Entry(f"U{n:04d}", "answered", (long, long, f"Blocked {n}: " + long), 3) for n in range(60)]
    summary = summarise(schedule, date(2026, 11, 24), entries)
    names = {entry.user_id: "N" * 80 for entry in entries}
    text, blocks = views.parent("tier1", "T" * 200, date(2026, 11, 24), summary, names, closed=True)
    assert not problems(blocks) and len(text) <= 4000
    _, reply = views.reply("N" * 200, schedule.questions, [long, long, long], 5)
    assert not problems(reply)
    form = views.form(schedule, "tier1", "T" * 200, date(2026, 11, 24), previous_plan=long,
                      answers=[long, long, long], mood=3)
    assert not view_problems(form)
