"""Every escalation message and modal, rendered with the largest realistic data, fits Block Kit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.escalations import Attainment, Durations, EscalationStats, Reminder, TeamPolicy
from handlers.escalations import views
from storage.escalations import OpenList
from storage.models import Escalation, EscalationEvent, EscalationPath, EscalationPost, Team
from tests.kit.block_limits import problems, view_problems

NOW = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
POLICY = TeamPolicy.default("America/New_York")
LONG = "Ünïcode & <markup> " * 400  # user text with mrkdwn control characters, far over every limit


def team() -> Team:
    return Team(id=1, key="tier1", name="T" * 200, timezone="America/New_York", channels={}, settings={},
                members=[], paths=[])


def escalation(number: int = 1, *, status: str = "open", tickets: int = 20) -> Escalation:
    path = EscalationPath(id=1, key="eng", name="E" * 75, channel="C0ENG", position=0, active=True)
    return Escalation(
        id=number, path=path, team_id=1, path_id=1, submission_key=f"v{number}",
        reporter="U0AGENT1", owner="U0AGENT2", customer=LONG[:200], summary=LONG[:150], details=LONG[:3000],
        tickets=[{"system": "Zendesk", "ref": str(10**12 + i), "url": f"https://{'a' * 60}.zendesk.com/agent/"
                  f"tickets/{10**12 + i}?{'q' * 100}"} for i in range(tickets)],
        severity="critical", impact="widespread", urgency="blocking", priority="P1", status=status,
        opened_at=NOW, priority_changed_at=NOW, acknowledged_at=NOW if status != "open" else None,
        last_update_at=None, resolved_at=NOW + timedelta(hours=5) if status == "resolved" else None,
        ack_due=NOW + timedelta(minutes=15), update_due=NOW + timedelta(hours=1),
        resolve_due=NOW + timedelta(hours=4), outcome=LONG[:3000] if status == "resolved" else None,
        root_cause="outage" if status == "resolved" else None, customer_told=True,
        posts=[EscalationPost(channel="C0ENG", ts="1.1")],
    )


def mrkdwn_texts(node: object) -> list[str]:
    """Every mrkdwn text in a block tree (plain_text is shown as typed, so it needs no escaping)."""
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return own + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


@pytest.mark.parametrize("status", ["open", "acknowledged", "resolved"])
def test_the_card_fits_with_the_longest_texts_and_twenty_tickets(status: str) -> None:
    blocks = views.escalation_card(escalation(status=status), POLICY, NOW)
    assert problems(blocks) == []
    rendered = str(blocks)
    markdown = " ".join(mrkdwn_texts(blocks))
    assert "&lt;markup&gt;" in markdown and "<markup>" not in markdown  # typed text cannot inject markup
    assert "more" in rendered  # tickets that do not fit are counted, not cut mid-link
    assert len(views.card_text(escalation(status=status))) <= 3000


def test_every_modal_fits() -> None:
    routes = [(f"Team {t} " + "x" * 100, [(t * 100 + p, f"Path {p} " + "y" * 80) for p in range(100)])
              for t in range(3)]
    for view in (views.escalation_form(routes, summary=LONG), views.escalation_form(routes[:1]),
                 views.update_form(escalation()), views.priority_form(escalation(), POLICY),
                 views.resolve_form(escalation()), views.reopen_form(escalation())):
        assert view_problems(view) == [], view["callback_id"]


def test_the_full_card_with_a_long_timeline_fits() -> None:
    events = [EscalationEvent(id=i, escalation_id=1, at=NOW + timedelta(minutes=i), actor="U0AGENT2",
                              kind="update", old=None, new=None, note=LONG[:3000]) for i in range(500)]
    blocks = views.escalation_detail(escalation(), events, POLICY, NOW)
    assert len(blocks) <= 50 and problems(blocks) == []
    assert "earlier events not shown" in str(blocks)


def test_a_list_of_hundreds_fits() -> None:
    listed = OpenList([escalation(i) for i in range(views.LIST_MAX)], {"P1": 400, "P2": 50, "P3": 30, "P4": 20})
    blocks = views.escalation_list("Open escalations · " + "x" * 300, listed, NOW)
    assert len(blocks) <= 50 and problems(blocks) == []
    assert "500 open" in str(blocks) and "and 480 more" in str(blocks)


def test_stats_and_the_review_with_many_customers_fit() -> None:
    customers = {f"Customer {i} " + "z" * 200: 500 - i for i in range(400)}
    figures = EscalationStats(
        since=NOW - timedelta(days=90), until=NOW, opened=99999, resolved=99999, still_open=99999,
        by_priority={"P1": 1, "P2": 2, "P3": 3, "P4": 4}, by_path={f"Path {i}": i for i in range(100)},
        by_customer=customers, by_root_cause={"outage": 1, "other": 2},
        time_to_ack=Durations(timedelta(minutes=15), timedelta(hours=3)),
        time_to_resolve=Durations(None, None), ack_attainment=Attainment(3, 4),
        resolve_attainment=Attainment(0, 0), repeat_customers=customers)
    assert problems(views.stats_blocks(figures, "Escalations · last 90 days")) == []
    text, blocks = views.weekly_review("T" * 200, figures, figures, [escalation(i) for i in range(300)], NOW)
    assert len(blocks) <= 50 and problems(blocks) == []
    assert "…and 280 more" in str(blocks)
    assert len(text) <= 3000


def test_reminders_name_the_owner_or_the_channel_and_the_managers_at_breach() -> None:
    due = NOW + timedelta(minutes=15)
    warning = Reminder(1, "ack", "warning", NOW, due)
    breach = Reminder(1, "ack", "breach", due, due)
    owned = escalation()
    assert views.reminder_text(warning, owned, ["U0MANAGER"]).startswith("⏳ <@U0AGENT2>")
    assert "U0MANAGER" not in views.reminder_text(warning, owned, ["U0MANAGER"])
    assert "cc <@U0MANAGER>" in views.reminder_text(breach, owned, ["U0MANAGER"])
    owned.owner = None
    assert "<!here>" in views.reminder_text(breach, owned, [])
