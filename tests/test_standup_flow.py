"""Stand-ups end to end through the fake Slack: prompts at each member's own 09:30, answers in the day's
thread, edits in place, one reminder, and a summary that puts blockers first and pings nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.app import Supportbot
from handlers.escalations import ids as escalation_ids
from handlers.standups import ids
from storage import standups as stored
from tests.conftest import Clock
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.standup_steps import (
    BERLIN,
    CHANNEL,
    NY,
    TOKYO,
    answer,
    button,
    parents,
    prompts,
    reminders,
    setup_team,
    thread,
    tick,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_a_week_across_dst_prompts_each_member_at_their_own_0930(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    await setup_team(app, slack, extra=", holidays: [2026-10-28]")
    clock.now = utc("2026-10-22T12:00")
    await bot.command("/standup", "away 2026-10-29 2026-10-30", user=BERLIN)
    at, sent_at = utc("2026-10-23T00:00"), {}
    while at <= utc("2026-11-02T23:30"):
        out = at.date() == date(2026, 10, 30)  # Tokyo's Slack status says they are out on Fri 30 Oct (UTC day)
        slack.users[TOKYO]["profile"]["status_emoji"] = ":palm_tree:" if out else ""
        before = {user: len(prompts(slack, user)) for user in (NY, BERLIN, TOKYO)}
        await tick(app, at)
        assert await tick(app, at) == 0  # the same instant twice sends nothing new
        for user in (NY, BERLIN, TOKYO):
            if len(prompts(slack, user)) > before[user]:
                sent_at.setdefault(user, []).append(at)
        at += timedelta(minutes=30)
    assert sent_at[NY] == [utc(t) for t in ("2026-10-23T13:30", "2026-10-26T13:30", "2026-10-27T13:30",
                                             "2026-10-29T13:30", "2026-10-30T13:30", "2026-11-02T14:30")]
    assert sent_at[BERLIN] == [utc(t) for t in ("2026-10-23T07:30", "2026-10-26T08:30", "2026-10-27T08:30",
                                                 "2026-11-02T08:30")]
    assert sent_at[TOKYO] == [utc(t) for t in ("2026-10-23T00:30", "2026-10-26T00:30", "2026-10-27T00:30",
                                                "2026-10-29T00:30", "2026-11-02T00:30")]
    async with app.services.db() as session:
        tokyo_friday = await stored.entry(session, (await app.services.directory.current()).teams[0].id, TOKYO,
                                          date(2026, 10, 30))
    assert tokyo_friday is not None and tokyo_friday.status == "away"


async def test_a_late_start_still_prompts_and_after_the_window_nothing_is_sent(
        app: Supportbot, slack: FakeSlack) -> None:
    await setup_team(app, slack)
    assert await tick(app, utc("2026-11-24T18:00")) == 1  # down all morning: New York's window is still open
    assert len(prompts(slack, NY)) == 1 and not prompts(slack, BERLIN)  # Berlin's closed at 12:30 UTC
    assert await tick(app, utc("2026-11-24T18:00")) == 0
    assert await tick(app, utc("2026-11-24T18:45")) == 1  # the summary, nothing else
    assert len(prompts(slack, NY)) == 1


async def test_answers_go_to_the_days_thread_and_an_edit_updates_the_same_reply(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    await setup_team(app, slack)
    await tick(app, utc("2026-11-24T14:30"))
    clock.now = utc("2026-11-24T14:40")
    await answer(bot, slack, NY, "Closed 12 tickets", "Refund <ACME> & friends", "Waiting on billing")
    [parent] = parents(slack)
    assert "Stand-up · Tue 24 Nov" in str(parent.blocks) and "1 of 3 answered" in (parent.text or "")
    [reply] = thread(slack, parent.ts or "")
    assert "Nora York" in str(reply.blocks) and "Refund &lt;ACME&gt; &amp; friends" in str(reply.blocks)
    assert "<@" not in str(reply.blocks) + (reply.text or "")
    dm = slack.last("chat.update", channel=prompts(slack, NY)[-1].response["channel"])
    assert "posted" in (dm.text or "")

    await answer(bot, slack, NY, "Closed 13 tickets", "Refund ACME", "none", via=dm)
    assert len(thread(slack, parent.ts or "")) == 1  # no second reply
    edited = slack.last("chat.update", channel=CHANNEL, ts=reply.ts)
    assert "Closed 13 tickets" in str(edited.blocks)
    assert "Closed 12 tickets" in str(slack.last("views.open").view)  # the Edit form showed the answer


async def test_an_answer_after_midnight_belongs_to_the_day_of_its_prompt(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    await setup_team(app, slack, members=[NY], at="22:00")
    await tick(app, utc("2026-11-25T03:00"))  # 22:00 in New York on Tue 24 Nov
    clock.now = utc("2026-11-25T05:30")  # 00:30 on Wed 25 Nov in New York
    await answer(bot, slack, NY, "Night shift", "Sleep", "")
    team_id = (await app.services.directory.current()).teams[0].id
    async with app.services.db() as session:
        assert (await stored.entry(session, team_id, NY, date(2026, 11, 24))).status == "answered"  # type: ignore[union-attr]
        assert await stored.entry(session, team_id, NY, date(2026, 11, 25)) is None
    assert "Tue 24 Nov" in str(parents(slack)[0].blocks)


async def test_the_reminder_reaches_only_the_silent_once_and_the_summary_puts_blockers_first(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    members = [NY, "U0AMY", "U0BOB"]
    await setup_team(app, slack, members=members)
    await tick(app, utc("2026-11-24T14:30"))
    clock.now = utc("2026-11-24T14:45")
    await answer(bot, slack, "U0AMY", "Tickets", "More tickets", "VPN to the EU cluster is down", mood="4")
    await bot.command("/standup", "skip", user="U0BOB")
    await tick(app, utc("2026-11-24T15:30"))
    await tick(app, utc("2026-11-24T16:00"))
    assert len(reminders(slack, NY)) == 1 and not reminders(slack, "U0AMY") and not reminders(slack, "U0BOB")
    assert "1 of your 2 teammates has answered" in (reminders(slack, NY)[0].text or "")

    await tick(app, utc("2026-11-24T18:30"))  # the window closes: the parent becomes the summary
    summary = slack.last("chat.update", channel=CHANNEL, ts=parents(slack)[0].ts)
    blocks = summary.blocks or []
    rendered = str(blocks)
    assert rendered.index("Blockers") < rendered.index("Answered") and "VPN to the EU cluster" in rendered
    assert "Missed (1)" in rendered and "Nora York" in rendered and "Skipped (1)" in rendered
    assert "<@" not in rendered + (summary.text or "")
    assert await tick(app, utc("2026-11-24T18:45")) == 0  # summarised once

    escalate = next(b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == ids.ESCALATE_BLOCKER)
    await bot.click(ids.ESCALATE_BLOCKER, user=NY, value=escalate["value"], channel=CHANNEL)
    form = slack.last("views.open").view
    assert form is not None and form["callback_id"] == escalation_ids.ESCALATION_FORM
    assert "VPN to the EU cluster is down" in str(form["blocks"]) and "Member U0AMY" in str(form["blocks"])


async def test_a_prompt_says_skip_and_start(app: Supportbot, slack: FakeSlack) -> None:
    await setup_team(app, slack, members=[NY])
    await tick(app, utc("2026-11-24T14:30"))
    prompt = prompts(slack, NY)[0]
    assert button(prompt, ids.START)["value"] == button(prompt, ids.SKIP)["value"] == "global|2026-11-24"


async def test_members_the_bot_never_asked_are_in_the_summary_and_counted(
        app: Supportbot, slack: FakeSlack, bot: SlackDriver, clock: Clock) -> None:
    await setup_team(app, slack)
    assert await tick(app, utc("2026-11-24T08:30")) == 1  # the bot runs only at Berlin's 09:30
    clock.now = utc("2026-11-24T08:40")
    await answer(bot, slack, BERLIN, "Closed 9 tickets", "The billing queue", "none")
    assert "1 of 3 answered" in (parents(slack)[0].text or "")  # New York's day has not started: still expected
    await tick(app, utc("2026-11-24T18:30"))  # back when New York's window has closed: the summary
    summary = slack.last("chat.update", channel=CHANNEL, ts=parents(slack)[0].ts)
    rendered = str(summary.blocks)
    assert "1 of 3 answered" in (summary.text or "") and "*Answered (1)*: Ben Lin" in rendered
    assert "*Not asked (2)*: Nora York, Tomo Kyo (the bot was not running at their time)" in rendered
    assert not prompts(slack, NY) and not prompts(slack, TOKYO)
