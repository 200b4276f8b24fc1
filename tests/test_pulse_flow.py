"""The weekly pulse through the real app and the fake Slack: asked at each member's own time, reminded
once, one answer each, refused after the close, and reported to managers only as aggregates."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Supportbot
from bot.rules.pulse_results import enps
from handlers.pulse import ids, views
from storage import pulse
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.pulse_steps import (
    CLOSES,
    NEW_YORK_ASK,
    NEXT_CLOSES,
    NEXT_OPENS,
    OPENS,
    PARIS,
    REMINDER,
    WEEK,
    answer,
    asks,
    everything_sent_to,
    open_form,
    pulse_team,
    reminders,
    reports,
    tick,
)

FOUR = [((4, 4, 3, 5), 9, "Great week"), ((2, 3, 3, 2), 4, "Too many tickets"), ((5, 5, 4, 4), 10, None),
        ((3, 2, 4, 3), 7, "More training please")]


async def test_each_member_is_asked_once_at_their_own_time(app: Supportbot, slack: FakeSlack) -> None:
    team = await pulse_team(app, slack)
    assert await tick(app, OPENS - timedelta(minutes=1)) == 0
    await tick(app, OPENS)
    assert [len(asks(slack, m)) for m in team.members] == [0, 0, 0, 0, 0, 1]  # only Paris at 13:00 UTC
    assert "5 quick questions" in asks(slack, PARIS)[0].text  # four on a 1–5 scale, then the eNPS
    await tick(app, NEW_YORK_ASK - timedelta(minutes=1))
    assert len(asks(slack, team.members[0])) == 0
    await tick(app, NEW_YORK_ASK)
    await tick(app, NEW_YORK_ASK)  # a second tick at the same instant sends nothing new
    assert [len(asks(slack, m)) for m in team.members] == [1] * 6
    assert not asks(slack, team.manager)  # managers are not asked


async def test_below_the_threshold_managers_see_participation_only(app: Supportbot, slack: FakeSlack,
                                                                   bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score, comment) in zip(team.members, FOUR, strict=False):
        reply = await answer(bot, slack, member, scores, score, comment)
        assert reply.json.get("response_action") == "update", reply.body

    early = await bot.command("/pulse", "results", user=team.manager)  # nothing while the round is open
    assert "still open" in early.text and "Participation" not in early.text
    await tick(app, CLOSES)
    await tick(app, CLOSES + timedelta(minutes=1))
    assert len(reports(slack, team.manager)) == 1
    clock.now = CLOSES + timedelta(hours=1)
    views_before = slack.count("views.open")
    asked = await bot.command("/pulse", "results", user=team.manager)
    assert slack.count("views.open") == views_before

    seen = everything_sent_to(slack, team.manager) + asked.body
    assert "4 of 6" in seen and "67 %" in seen and "hidden to protect anonymity" in seen
    for hidden in ("Great week", "Too many tickets", "More training", "eNPS:", "promoters", "/ 5", "▁", "█"):
        assert hidden not in seen, hidden
    assert views.DISTRIBUTION not in seen and " · 2: " not in seen  # no distribution


async def test_six_answers_show_averages_enps_and_a_trend_against_shown_rounds(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    # Round 1 (2026-W45): four answer, below the threshold; it must not be a trend's base.
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member, (scores, score, comment) in zip(team.members, FOUR, strict=False):
        await answer(bot, slack, member, scores, score, comment)
    await tick(app, CLOSES)
    # Round 2 (2026-W46): six answer with known values.
    six = [((5, 4, 4, 3), 10), ((4, 4, 3, 3), 9), ((3, 2, 4, 4), 8), ((4, 3, 5, 2), 6), ((2, 3, 3, 4), 3),
           ((5, 5, 4, 5), 9)]
    await tick(app, NEXT_OPENS)
    await tick(app, NEXT_OPENS + timedelta(hours=6))
    clock.now = NEXT_OPENS + timedelta(hours=7)
    for member, (scores, score) in zip(team.members, six, strict=True):
        await answer(bot, slack, member, scores, score, comment=f"note from a {score}")
    await tick(app, NEXT_CLOSES)
    text = str(reports(slack, team.manager)[-1].args["blocks"])
    for index in range(4):
        values = [s[index] for s, _ in six]
        assert f"*{round(sum(values) / 6 + 1e-9, 1):.1f}* / 5" in text
    # eNPS as defined: promoters 10, 9, 9 (3 of 6), detractors 6, 3 (2 of 6): 50 % − 33.3 % = 16.7 -> 17
    assert "*eNPS: +17*" in text and "3 promoters (9–10) · 1 passives (7–8) · 2 detractors (0–6)" in text
    assert f"{views.DISTRIBUTION} 1: 0 · 2: 1 · 3: 1 · 4: 2 · 5: 2" in text  # the first question's answers
    assert enps({10: 1, 9: 2, 8: 1, 6: 1, 3: 1}).score == round(100 * (3 - 2) / 6)
    assert "vs 2026-W45" not in text  # round 1 was below the threshold: no trend against it
    assert "No earlier round met the threshold" in text
    assert all(f"note from a {score}" in text for _, score in six)

    # Round 3 (2026-W47): six again; now the trend compares with round 2 only.
    third_opens = NEXT_OPENS + timedelta(days=7)
    await tick(app, third_opens)
    await tick(app, third_opens + timedelta(hours=6))
    clock.now = third_opens + timedelta(hours=7)
    for member in team.members:
        await answer(bot, slack, member, (5, 5, 5, 5), 10)
    await tick(app, third_opens + timedelta(hours=72))
    text = str(reports(slack, team.manager)[-1].args["blocks"])
    assert "vs 2026-W46" in text and "*eNPS: +100* (+83 vs 2026-W46 ⚑ beyond the noise)" in text
    first_average = round(sum(s[0] for s, _ in six) / 6, 1)
    assert f"*5.0* / 5 (+{round(5 - first_average, 1)} vs 2026-W46 ⚑ beyond the noise)" in text


async def test_results_are_for_managers_only(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                             clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = CLOSES + timedelta(hours=1)
    await tick(app, CLOSES)
    member = await bot.command("/pulse", "results", user=team.members[0])
    assert "managers can see its pulse results" in member.text and f"<@{team.manager}>" in member.text
    outsider = await bot.command("/pulse", "results", user=team.outsider)
    assert "Only a team's managers" in outsider.text
    setup = await bot.command("/pulse", "setup", user=team.members[0])
    assert "managers can change its pulse" in setup.text


async def test_a_second_answer_and_a_late_one_are_refused_and_change_nothing(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    first = team.members[0]
    view = await open_form(bot, slack, first)
    assert (await answer(bot, slack, first, (4, 4, 4, 4), 9, view=view)).json["response_action"] == "update"
    again = await answer(bot, slack, first, (1, 1, 1, 1), 0, view=view)  # the same modal, submitted twice
    assert "already answered" in again.errors[ids.question(0)]
    button = await bot.click(ids.ANSWER, user=first, value=str(asks(slack, first)[-1].args["blocks"][0]
                                                                  ["accessory"]["value"]))
    assert button.status == 200 and "already answered" in slack.last("response_url").args.get("text", "")
    late_view = await open_form(bot, slack, team.members[1])
    clock.now = CLOSES
    late = await answer(bot, slack, team.members[1], (1, 1, 1, 1), 0, view=late_view)
    assert "closed on" in late.errors[ids.question(0)]
    async with app.services.db() as session:
        of = await pulse.get(session, int(late_view["private_metadata"]))
        assert of is not None and of.ballots == 1
        counted = await pulse.tally(session, of)
        assert counted.counts == {0: {4: 1}, 1: {4: 1}, 2: {4: 1}, 3: {4: 1}, 4: {9: 1}}
        assert not await pulse.has_answered(session, of.id, team.members[1])


async def test_the_reminder_goes_to_non_responders_once(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                                        clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    for member in team.members[:2]:
        await answer(bot, slack, member, (3, 3, 3, 3), 7)
    assert await tick(app, REMINDER - timedelta(minutes=1)) == 0
    assert await tick(app, REMINDER) == 4
    for minute in range(1, 30):
        assert await tick(app, REMINDER + timedelta(minutes=minute)) == 0
    assert [len(reminders(slack, m)) for m in team.members] == [0, 0, 1, 1, 1, 1]
    assert "closes" in reminders(slack, PARIS)[0].text


async def test_a_member_who_answered_early_through_the_command_is_not_asked(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    team = await pulse_team(app, slack)
    await tick(app, OPENS)  # the round opens with Paris; New York's own time is 19:00 UTC
    clock.now = OPENS + timedelta(hours=1)
    early = team.members[0]
    await bot.command("/pulse", user=early)
    form = slack.last("views.open").response["view"]
    assert (await answer(bot, slack, early, (3, 3, 3, 3), 7, view=form)).json["response_action"] == "update"
    await tick(app, NEW_YORK_ASK)
    assert not asks(slack, early)
    assert [len(asks(slack, m)) for m in team.members[1:]] == [1] * 5
    await tick(app, REMINDER)
    assert not reminders(slack, early)


async def test_a_member_sees_whether_they_answered(app: Supportbot, slack: FakeSlack, bot: SlackDriver,
                                                   clock: Clock) -> None:
    team = await pulse_team(app, slack)
    before = await bot.command("/pulse", user=team.members[0])
    assert "No Customer Care pulse is open" in before.text and "Friday at 14:00" in before.text
    await tick(app, OPENS)
    await tick(app, NEW_YORK_ASK)
    clock.now = NEW_YORK_ASK + timedelta(hours=1)
    opened = slack.count("views.open")
    waiting = await bot.command("/pulse", user=team.members[0])
    assert "haven't answered" in waiting.text and slack.count("views.open") == opened + 1  # the form opens
    form = slack.last("views.open").response["view"]
    assert form["callback_id"] == ids.ANSWER_FORM
    await answer(bot, slack, team.members[0], (3, 3, 3, 3), 7, view=form)
    done = await bot.command("/pulse", user=team.members[0])
    assert f"You answered the Customer Care pulse of {WEEK}" in done.text
    assert slack.count("views.open") == opened + 1
    assert "I don't know `/pulse frobnicate`" in (await bot.command("/pulse", "frobnicate", user=team.members[0])).text
    assert "/pulse results" in (await bot.command("/pulse", "help", user=team.members[0])).text
