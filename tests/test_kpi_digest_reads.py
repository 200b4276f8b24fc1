"""What a manager reads in the daily digest (issue 23 points 1-3, 5 and issue 21 point 4), through the real
`digest` job and the fake Slack: signal first, the count behind every rate and median, contributors linked
to their helpdesk and escalation card, "no escalations due", how fresh the synced tickets are, and one
notice to the managers when the helpdesk stops syncing (and one when it recovers)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.app import Supportbot
from bot.rules.team_config import parse_teams
from handlers.kpi.jobs import run_digest
from storage import helpdesks, teams
from storage.models import EscalationPost
from tests.conftest import TEAM_YAML, TeamPeople
from tests.kit.block_limits import problems
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import FakeSlack
from tests.kpi_steps import add_escalation, add_tickets, day_of_tickets, tier1, utc
from tests.test_kpi_commands import kpi_on_demand
from tests.test_kpi_digest import DIGEST, digests, posts

WITH_ZENDESK = """
helpdesks:
  - {key: zendesk, kind: zendesk, url: "https://acme.zendesk.com", client_id: bot, client_secret_env: ZD_SECRET,
     stale_after_minutes: 60}
""" + TEAM_YAML.replace("    channels:", "    helpdesk: {source: zendesk, match: {group: Tier 1}}\n    channels:")


def texts(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """Each block's text, as a manager reads it."""
    found = []
    for block in blocks:
        if block["type"] in ("section", "header"):
            found.append(block["text"]["text"])
        elif block["type"] == "context":
            found.append(" ".join(e["text"] for e in block["elements"]))
    return found


async def with_zendesk(app: Supportbot, *, synced: datetime | None) -> None:
    async with app.services.db() as session:
        await teams.apply(session, parse_teams(WITH_ZENDESK), now=utc("2026-01-01T00:00"))
        await session.commit()
        if synced is not None:
            await synced_at(app, synced)
        await session.commit()
    app.services.directory.invalidate()


async def synced_at(app: Supportbot, at: datetime) -> None:
    async with app.services.db() as session:
        assert await helpdesks.claim(session, "zendesk", owner="test", now=at, until=at + timedelta(minutes=5))
        await helpdesks.finish(session, "zendesk", owner="test", now=at, error=None, report="ok", unmatched=0)
        await session.commit()


async def test_the_digest_leads_with_what_is_off_target_and_shows_the_count_behind_every_rate(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-10-31", first_response_minutes=30, good=6),
                      *day_of_tickets("2026-11-01", first_response_minutes=90, good=3))
    await run_digest(app.services, utc("2026-11-02T14:00"))
    [digest] = digests(slack)
    shown = texts(digest.blocks or [])
    day = shown[:shown.index("*Last week* (Mon 26 Oct – Sun 1 Nov)")]

    assert day[2].splitlines() == [  # header, legend, then what is off target, red first
        "*Off target*",
        "🔴 *First response (median)*: 1 h 32 min of 6 tickets · target ≤ 1 h · ↑ 185% vs the day before · "
        "↑ 185% vs 7-day avg",
        "🔴 *CSAT*: 50.0% of 6 rated · target ≥ 90.0% · ↓ 50% vs the day before · ↓ 50% vs 7-day avg"]
    assert day[3].startswith("Behind *First response (median)*") and day[4].startswith("Behind *CSAT*")
    assert day[5].splitlines()[0] == "*Moved most*"
    assert day[6].splitlines() == [
        "*On target*", "🟢 *Resolution time (median)*: 2.0 h of 6 solved · target ≤ 24.0 h · → 0% vs the day "
        "before · → 0% vs 7-day avg",
        "🟢 *First-contact resolution*: 100.0% of 6 solved · target ≥ 70.0% · → 0% vs the day before · "
        "→ 0% vs 7-day avg"]
    assert day[7] == ("*Also* (moved under 20%, not judged): Resolution time (p90): 2.0 h of 6 solved · "
                      "Escalation SLA attainment: no escalations due")
    everything = "\n".join(shown)
    assert "Escalations opened" not in everything and "Stand-up participation" not in everything
    assert not re.search(r"\*: 0\b(?![^\n]*[↑↓])", everything)  # no line of a zero that did not move
    assert "🔴 *CSAT*: 75.0% of 12 rated · target ≥ 90.0%" in everything  # last week, counted too
    assert "turned red for Tier 1 Support on Sun 1 Nov: 50.0% of 6 rated (target ≥ 90.0%)" in " ".join(
        p.text or "" for p in posts(slack))


async def test_a_rate_on_too_few_ratings_says_so(app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    profile = await tier1(app)
    tickets = day_of_tickets("2026-11-02", first_response_minutes=30, good=3)
    for ticket in tickets[3:]:
        ticket["csat_good"] = None  # three of six rated
    await add_tickets(app, profile.id, *tickets)
    await run_digest(app.services, utc("2026-11-03T14:00"))
    [digest] = digests(slack)
    assert "CSAT: 100.0% · too few to judge (3 rated)" in "\n".join(texts(digest.blocks or []))
    assert "🔴 *CSAT*" not in str(digest.blocks) and "🟢 *CSAT*" not in str(digest.blocks)


async def test_contributors_link_to_their_helpdesk_ticket_and_escalation_card(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await with_zendesk(app, synced=utc("2026-11-02T13:55"))
    profile = await tier1(app)
    tickets = day_of_tickets("2026-11-01", first_response_minutes=90, good=6)
    for n, ticket in enumerate(tickets):
        ticket["id"] = str(4400 + n)
    tickets[0]["id"] = "ZD-<b>"  # an id the helpdesk would not have: shown escaped, not linked
    await add_tickets(app, profile.id, *tickets)
    for n in range(5):  # five escalations opened and never acknowledged: attainment 0%
        number = await add_escalation(app, profile, opened=f"2026-11-01T1{n}:00", ack_due=f"2026-11-01T1{n}:15",
                                      resolve_due=f"2026-11-01T20:0{n}", summary=f"Checkout <fails> {n}")
        if n == 0:
            async with app.services.db() as session:
                session.add(EscalationPost(escalation_id=number, channel="C0ESC", ts="1762000000.000100"))
                await session.commit()
    await run_digest(app.services, utc("2026-11-02T14:00"))
    [digest] = digests(slack)
    shown = "\n".join(texts(digest.blocks or []))
    assert ("Behind *First response (median)*: <https://acme.zendesk.com/agent/tickets/4405|4405> 1 h 35 min · "
            "<https://acme.zendesk.com/agent/tickets/4404|4404> 1 h 34 min · "
            "<https://acme.zendesk.com/agent/tickets/4403|4403> 1 h 33 min") in shown
    assert f"<https://slack.com/archives/C0ESC/p1762000000000100|ESC-{number - 4}> Checkout &lt;fails&gt; 0" in shown
    assert "`ESC-" in shown  # the escalations without a card are named, not linked
    assert "Tickets from Zendesk as of 08:55" in shown
    assert problems(digest.blocks or []) == []


async def test_a_stale_helpdesk_is_said_in_the_digest_and_told_to_the_managers_once(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await with_zendesk(app, synced=utc("2026-11-02T10:30"))  # 05:30 in New York
    slack.add_user("U0MANAGER")

    assert await run_digest(app.services, utc("2026-11-02T11:00")) == 0  # 30 min: fresh, before digest time
    assert await run_digest(app.services, utc("2026-11-02T12:00")) == 1  # 90 min: stale, one notice
    [notice] = slack.calls("chat.postMessage", channel="U0MANAGER")
    assert notice.text == ("⚠️ Zendesk has not synced since 05:30 (90 min ago) (source zendesk, team Tier 1 "
                           "Support): the KPI digest may be missing tickets until it recovers. "
                           "`supportbot helpdesk check` says what is wrong.")
    assert await run_digest(app.services, utc("2026-11-02T12:30")) == 0  # told once

    await run_digest(app.services, utc("2026-11-02T14:00"))  # the digest of a day with no tickets
    [line] = [p for p in posts(slack) if p.channel == DIGEST]
    assert line.text == ("📊 Tier 1 Support · Sunday 1 November: no tickets to report, but Zendesk has not synced "
                         "since 05:30 (3 h ago), so this may not have been a quiet day.")

    await synced_at(app, utc("2026-11-02T15:00"))
    assert await run_digest(app.services, utc("2026-11-02T15:01")) == 1
    assert await run_digest(app.services, utc("2026-11-02T15:02")) == 0
    recovered = slack.calls("chat.postMessage", channel="U0MANAGER")[-1].text or ""
    assert recovered == ("✅ Tickets from Zendesk (zendesk) are syncing again for Tier 1 Support: tickets from "
                         "Zendesk as of 10:00.")
    assert len(slack.calls("chat.postMessage", channel="U0MANAGER")) == 2


async def test_a_stale_helpdesk_is_said_at_the_top_of_a_digest_with_tickets(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await with_zendesk(app, synced=utc("2026-11-01T23:00"))
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=30, good=6))
    await run_digest(app.services, utc("2026-11-02T14:00"))
    [digest] = digests(slack)
    assert texts(digest.blocks or [])[1] == ("⚠️ Zendesk has not synced since Sun 1 Nov 18:00 (15 h ago): the "
                                             "figures may be missing tickets, not show a quiet day")
    assert (digest.text or "").endswith("(⚠️ Zendesk has not synced since Sun 1 Nov 18:00 (15 h ago): the figures "
                                        "may be missing tickets, not show a quiet day)")


async def test_kpi_on_demand_says_how_fresh_the_tickets_are(bot: SlackDriver, app: Supportbot, slack: FakeSlack,
                                                            team: TeamPeople) -> None:
    await with_zendesk(app, synced=utc("2026-11-02T13:55"))  # the clock reads 09:00 in New York
    profile = await tier1(app)
    await add_tickets(app, profile.id, *day_of_tickets("2026-11-01", first_response_minutes=30, good=6))
    answer = await kpi_on_demand(bot, slack, "", user=team.agent)
    assert texts(answer.blocks or [])[1] == "Tickets from Zendesk as of 08:55"
    week = await kpi_on_demand(bot, slack, "week", user=team.agent)
    assert texts(week.blocks or [])[1] == "Tickets from Zendesk as of 08:55"
