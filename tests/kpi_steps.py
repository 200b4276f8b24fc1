"""Helpers for the KPI tests: tickets and escalations inserted as rows (the importer is not needed), and
the size of a chart."""

from __future__ import annotations

import itertools
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import Supportbot
from bot.rules.directory import TeamProfile
from storage.kpi_models import Ticket
from storage.models import Escalation

_numbers = itertools.count(1)


def utc(text: str) -> datetime:
    """`2026-11-01T10:00` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def tier1(app: Supportbot) -> TeamProfile:
    found = (await app.services.directory.current()).find("tier1")
    assert found is not None
    return found


async def add_tickets(app: Supportbot, team_id: int, *tickets: dict[str, Any]) -> None:
    """Each ticket: id, created, and optionally first_response, solved, status, csat_good, reopens,
    agent_replies, sla_breached (times as `YYYY-MM-DDTHH:MM`, UTC)."""
    async with app.services.db() as session:
        for t in tickets:
            solved = utc(t["solved"]) if t.get("solved") else None
            session.add(Ticket(
                team_id=team_id, external_id=t["id"], created_at=utc(t["created"]),
                first_response_at=utc(t["first_response"]) if t.get("first_response") else None,
                solved_at=solved, status=t.get("status", "solved" if solved else "open"), channel="email",
                csat_good=t.get("csat_good"), reopens=t.get("reopens", 0), agent_replies=t.get("agent_replies"),
                sla_breached=t.get("sla_breached", False), source="generic", updated_at=utc("2026-12-01T00:00")))
        await session.commit()


async def add_escalation(app: Supportbot, team: TeamProfile, *, opened: str, ack_due: str, resolve_due: str,
                         acknowledged: str | None = None, resolved: str | None = None,
                         summary: str = "Checkout fails") -> int:
    async with app.services.db() as session:
        escalation = Escalation(
            team_id=team.id, path_id=team.active_paths[0].id, submission_key=f"kpi-{next(_numbers)}",
            reporter="U0AGENT1", owner=None, customer="ACME", summary=summary, details="", tickets=[],
            severity="high", impact="one", urgency="today", priority="P2",
            status="resolved" if resolved else ("acknowledged" if acknowledged else "open"),
            opened_at=utc(opened), acknowledged_at=utc(acknowledged) if acknowledged else None,
            last_update_at=None, resolved_at=utc(resolved) if resolved else None, priority_changed_at=utc(opened),
            ack_due=utc(ack_due), update_due=utc(resolve_due), resolve_due=utc(resolve_due))
        session.add(escalation)
        await session.commit()
        return escalation.id


def day_of_tickets(day: str, *, first_response_minutes: int, good: int, prefix: str = "") -> list[dict[str, object]]:
    """Six tickets created at 10:00-15:00 local (New York, EST) on `day`, solved two hours later."""
    tickets = []
    for n in range(6):
        created = utc(f"{day}T{15 + n:02d}:00")
        tickets.append({
            "id": f"{prefix}{day[5:]}-{n}", "created": created.isoformat()[:16],
            "first_response": (created + timedelta(minutes=first_response_minutes + n)).isoformat()[:16],
            "solved": (created + timedelta(hours=2)).isoformat()[:16], "agent_replies": 1, "csat_good": n < good,
        })
    return tickets


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
