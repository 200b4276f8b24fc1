"""A ticket linked to an open escalation is marked among the digest's contributors (issue 22 point 6), through the
real `digest` job and the fake Slack; once the escalation is resolved the mark goes."""

from __future__ import annotations

from sqlalchemy import update

from bot.app import Supportbot
from handlers.kpi.jobs import run_digest
from storage.models import Escalation
from tests.conftest import TeamPeople
from tests.kit.block_limits import problems
from tests.kit.fake_slack import FakeSlack
from tests.kpi_steps import add_escalation, add_tickets, day_of_tickets, tier1, utc
from tests.test_kpi_digest import digests
from tests.test_kpi_digest_reads import texts, with_zendesk


async def test_a_ticket_behind_an_open_escalation_is_marked_in_the_contributors(
        app: Supportbot, slack: FakeSlack, team: TeamPeople) -> None:
    await with_zendesk(app, synced=utc("2026-11-02T13:55"))
    profile = await tier1(app)
    tickets = day_of_tickets("2026-11-01", first_response_minutes=90, good=6)
    for n, ticket in enumerate(tickets):
        ticket["id"] = str(4400 + n)
    await add_tickets(app, profile.id, *tickets)
    number = await add_escalation(app, profile, opened="2026-11-01T16:00", ack_due="2026-11-01T16:15",
                                  resolve_due="2026-11-01T20:00", acknowledged="2026-11-01T16:05")
    linked = [{"system": "Zendesk", "ref": "4405", "url": "https://acme.zendesk.com/agent/tickets/4405"},
              {"system": None, "ref": "#4403", "url": None},  # a plain id counts too
              {"system": "Freshdesk", "ref": "4404", "url": "https://acme.freshdesk.com/a/tickets/4404"}]
    async with app.services.db() as session:
        await session.execute(update(Escalation).where(Escalation.id == number).values(tickets=linked))
        await session.commit()

    await run_digest(app.services, utc("2026-11-02T14:00"))
    [digest] = digests(slack)
    shown = "\n".join(texts(digest.blocks or []))
    assert ("Behind *First response (median)*: <https://acme.zendesk.com/agent/tickets/4405|4405> 🚨 "
            f"ESC-{number} 1 h 35 min · <https://acme.zendesk.com/agent/tickets/4404|4404> 1 h 34 min · "
            f"<https://acme.zendesk.com/agent/tickets/4403|4403> 🚨 ESC-{number} 1 h 33 min") in shown
    assert problems(digest.blocks or []) == []

    async with app.services.db() as session:  # resolved: no longer marked
        await session.execute(update(Escalation).where(Escalation.id == number).values(status="resolved"))
        await session.commit()
    await run_digest(app.services, utc("2026-11-03T14:00"))
    assert all("🚨" not in "\n".join(texts(d.blocks or [])) for d in digests(slack)[1:])
