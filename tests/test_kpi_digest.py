"""The daily digest through the fake Slack: content and statuses, written to the outbox once, sent late after downtime,
one line without data, Monday's last week, the chart, alerts once on red and once on recovery."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Supportbot
from bot.rules.team_config import CRITERIA, parse_teams
from handlers.kpi.jobs import run_digest
from storage import scorecard, teams
from tests.conftest import TeamPeople
from tests.kit.fake_slack import Call, FakeSlack
from tests.kpi_steps import add_tickets, day_of_tickets, png_size, tier1, utc

DIGEST = "C0DIGEST"
NO_DIGEST_CHANNEL = """
teams:
  - key: tier2
    name: Tier 2 Support
    timezone: America/New_York
    members: [U0AGENT1]
    managers: []
    channels: {escalations: C0ESC}
"""


def posts(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.calls("chat.postMessage", channel=DIGEST) if c.ok]


def digests(slack: FakeSlack) -> list[Call]:
    return [c for c in posts(slack) if c.blocks or "nothing to report" in (c.text or "")]


def alerts(slack: FakeSlack) -> list[str]:
    return [c.text or "" for c in posts(slack) if not c.blocks and ("turned red" in (c.text or "")
                                                                   or "back from red" in (c.text or ""))]


async def test_the_digest_posts_yesterday_at_the_teams_time_with_statuses_contributors_and_chart(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-31", first_response_minutes=30, good=6),
                      *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    assert await run_digest(app.services, utc("2026-11-02T13:59")) == 0  # 08:59 in New York
    assert await run_digest(app.services, utc("2026-11-02T14:00")) == 4  # digest, chart, two alerts

    [digest] = digests(slack)
    text = str(digest.blocks)
    assert digest.blocks and digest.blocks[0]["text"]["text"] == "📊 Tier 1 Support · Sunday 1 November"
    assert digest.text == "Tier 1 Support KPIs for Sunday 1 November: 2 red, 2 green"
    assert ("🔴 *First response (median)*: 1 h 32 min of 6 tickets · target ≤ 1 h · ↑ 185% vs the day before · "
            "↑ 185% vs 7-day avg") in text
    assert "🔴 *CSAT*: 50.0% of 6 rated · target ≥ 90.0% · ↓ 50% vs the day before" in text
    assert "🟢 *First-contact resolution*: 100.0% of 6 solved" in text
    assert "🟢 *Resolution time (median)*: 2.0 h of 6 solved" in text
    assert ("Behind *First response (median)*: `11-01-5` 1 h 35 min · `11-01-4` 1 h 34 min · "
            "`11-01-3` 1 h 33 min") in text
    assert "Behind *CSAT*: `11-01-3` · `11-01-4` · `11-01-5`" in text
    for group in ("*Off target*", "*Moved most*", "*On target*", "*Also*"):
        assert group in text
    assert "*Last week* (Mon 26 Oct – Sun 1 Nov)" in text  # Monday's digest adds last week

    upload = slack.last("files.completeUploadExternal")
    assert upload.args["channel_id"] == DIGEST
    [file] = [slack.file(f["id"]) for f in upload.args["files"]]
    assert file is not None and png_size(file["data"]) == (1200, 800)

    assert sorted(a.split("*")[1] for a in alerts(slack)) == ["CSAT", "First response (median)"]
    assert "turned red for Tier 1 Support on Sun 1 Nov: 50.0% of 6 rated (target ≥ 90.0%). Behind *CSAT*" in " ".join(
        alerts(slack))

    before = len(slack.calls())
    assert await run_digest(app.services, utc("2026-11-02T14:01")) == 0  # written once
    assert await run_digest(app.services, utc("2026-11-02T14:00")) == 0
    assert len(slack.calls()) == before


async def test_a_digest_missed_during_downtime_is_sent_late_that_day(app: Supportbot, slack: FakeSlack,
                                                                    team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=30, good=6))
    assert await run_digest(app.services, utc("2026-11-03T04:30")) >= 1  # 23:30 in New York on Monday
    [digest] = digests(slack)
    assert "Sunday 1 November" in (digest.text or "")
    assert await run_digest(app.services, utc("2026-11-03T04:31")) == 0


async def test_slack_refusing_the_digest_sends_it_on_the_next_tick(app: Supportbot, slack: FakeSlack,
                                                                   team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=30, good=6))
    slack.fail_next("chat.postMessage", status=200, error="internal_error")  # transient: tried again next tick
    assert await run_digest(app.services, utc("2026-11-02T14:00")) == 0
    assert digests(slack) == [] and slack.calls("files.completeUploadExternal") == []  # the chart waits for it
    assert await run_digest(app.services, utc("2026-11-02T14:01")) == 2  # digest and chart
    assert len(digests(slack)) == 1 and slack.count("files.completeUploadExternal") == 1


async def test_a_day_without_data_gets_one_line(app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    assert await run_digest(app.services, utc("2026-11-03T14:00")) == 1
    [line] = posts(slack)
    assert line.text == ("📊 Tier 1 Support · Monday 2 November: no tickets, escalations or logged figures, "
                         "so nothing to report.")
    assert not line.blocks and slack.calls("files.getUploadURLExternal") == []
    assert await run_digest(app.services, utc("2026-11-03T15:00")) == 0


async def test_a_metric_alerts_once_when_it_turns_red_and_once_when_it_recovers(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id,
                      *day_of_tickets("2026-11-02", first_response_minutes=30, good=2),   # CSAT red
                      *day_of_tickets("2026-11-03", first_response_minutes=30, good=1),   # still red
                      *day_of_tickets("2026-11-05", first_response_minutes=30, good=6))   # green (4th: no data)
    for day in range(3, 8):
        await run_digest(app.services, utc(f"2026-11-{day:02d}T14:00"))
    found = alerts(slack)
    assert len(found) == 2
    assert found[0].startswith("🔴 *CSAT* turned red for Tier 1 Support on Mon 2 Nov: 33.3%")
    assert found[1] == "✅ *CSAT* is back from red for Tier 1 Support on Thu 5 Nov: 100.0% of 6 rated (target ≥ 90.0%)."
    assert [d.text for d in digests(slack)][-1].startswith("📊 Tier 1 Support · Friday 6 November")


async def test_tuesdays_digest_has_no_last_week(app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-02", first_response_minutes=30, good=6))
    await run_digest(app.services, utc("2026-11-03T14:00"))
    [digest] = digests(slack)
    assert "Last week" not in str(digest.blocks)


async def test_a_team_without_a_digest_channel_gets_nothing(app: Supportbot, slack: FakeSlack) -> None:
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(NO_DIGEST_CHANNEL), now=utc("2026-01-01T00:00"))
        await session.commit()
    tier2 = (await app.services.directory.current()).find("tier2")
    assert tier2 is not None
    await add_tickets(app, tier2.id, *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    assert await run_digest(app.services, utc("2026-11-02T14:00")) == 0
    assert slack.calls("chat.postMessage") == [] and slack.calls("files.getUploadURLExternal") == []


async def test_mondays_digest_names_the_top_three_open_initiatives(app: Supportbot, slack: FakeSlack,
                                                                   team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=30, good=6))
    at = utc("2026-10-20T12:00")
    async with app.services.db() as session:
        for n, (title, each) in enumerate([("Refund <macros>", 4), ("Status page", 5), ("Chatbot", 2),
                                           ("Unscored idea", 0), ("Self-serve SSO", 3), ("Closed one", 5)]):
            made = await scorecard.propose(session, profile.id, title=title, description="", link=None,
                                           proposer=team.agent, now=at + timedelta(hours=n))
            if each:
                await scorecard.score(session, made.id, team.agent, dict.fromkeys(CRITERIA, each), now=at)
            if title == "Closed one":
                await scorecard.close(session, made, status="done", outcome="Shipped", now=at)
        await session.commit()
    await run_digest(app.services, utc("2026-11-02T14:00"))  # Monday
    [monday] = digests(slack)
    text = str(monday.blocks)
    assert ("*Top initiatives* (`/prioritize list` for all)\\n1. *Status page* · 5.00 of 5 · 1 score\\n"
            "2. *Refund &lt;macros&gt;* · 4.00 of 5 · 1 score\\n3. *Self-serve SSO* · 3.00 of 5 · 1 score") in text
    assert "Chatbot" not in text and "Closed one" not in text

    await add_tickets(app, profile.id, *day_of_tickets("2026-11-02", first_response_minutes=30, good=6))
    await run_digest(app.services, utc("2026-11-03T14:00"))  # Tuesday: no initiatives
    assert "Top initiatives" not in str(digests(slack)[-1].blocks)
